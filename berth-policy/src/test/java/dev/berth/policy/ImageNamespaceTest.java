package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue #13: users' tags live in a namespace of their own, mapped both ways. */
class ImageNamespaceTest {

  @ParameterizedTest
  @CsvSource({
    "python:3.12, berth.invalid/u1001/docker.io/library/python:3.12, python:3.12",
    "python, berth.invalid/u1001/docker.io/library/python:latest, python:latest",
    "docker.io/library/python:3, berth.invalid/u1001/docker.io/library/python:3, python:3",
    "alice/tool:1, berth.invalid/u1001/docker.io/alice/tool:1, alice/tool:1",
    "ghcr.io/org/tool:1.2, berth.invalid/u1001/ghcr.io/org/tool:1.2, ghcr.io/org/tool:1.2",
    "localhost:5000/app:v1, berth.invalid/u1001/localhost__5000/app:v1, localhost:5000/app:v1",
    "Reg.Example.com:443/a/b, berth.invalid/u1001/reg.example.com__443/a/b:latest,"
        + " reg.example.com:443/a/b:latest"
  })
  void privateName_roundTrips(String ref, String daemon, String shown) {
    assertThat(ImageNamespace.privateName(ref, 1001)).hasValue(daemon);
    ImageNamespace.PrivateTag p = ImageNamespace.parse(daemon).orElseThrow();
    assertThat(p.uid()).isEqualTo(1001);
    assertThat(p.name()).isEqualTo(shown);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "berth.invalid/u1002/docker.io/library/x:1",
        "BERTH.INVALID/u1/x",
        "berth.invalid:5000/x",
        "Berth.Invalid/x"
      })
  void reservedNames_cannotBeMappedOrGiven(String ref) {
    assertThat(ImageNamespace.isReserved(ref)).isTrue();
    assertThat(ImageNamespace.privateName(ref, 1001)).isEmpty();
  }

  @Test
  void digestsAndIpv6Registries_areNotMapped() {
    assertThat(ImageNamespace.privateName("busybox@sha256:" + "a".repeat(64), 1)).isEmpty();
    assertThat(ImageNamespace.privateName("[::1]:5000/app:1", 1)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "busybox:latest",
        "berth.invalid/docker.io/x:1",
        "berth.invalid/ux/docker.io/x:1",
        "evil.example/berth.invalid/u1/docker.io/x:1"
      })
  void sharedTags_areNotPrivate(String tag) {
    assertThat(ImageNamespace.parse(tag)).isEmpty();
  }

  @Test
  void privateName_tenDigitDirectoryUid_mapsBothWays() {
    String daemon = ImageNamespace.privateName("app:1", 2_000_200_000).orElseThrow();
    ImageNamespace.PrivateTag p = ImageNamespace.parse(daemon).orElseThrow();
    assertThat(p.uid()).isEqualTo(2_000_200_000);
    assertThat(p.name()).isEqualTo("app:1");
  }

  @Test
  void parse_uidBeyondAnInt_privateToNobodyNeverShared() {
    ImageNamespace.PrivateTag p =
        ImageNamespace.parse("berth.invalid/u9999999999/docker.io/library/app:1").orElseThrow();
    assertThat(p.uid()).isEqualTo(-1);
  }

  @Test
  void shownInText_loadAnswer_ownNamesAsGivenOthersHidden() {
    // a load's answer lines go through this one renaming, like every image progress stream
    assertThat(
            ImageNamespace.shownInText(
                "Loaded image: berth.invalid/u1001/docker.io/library/busybox:latest\n", 1001))
        .isEqualTo("Loaded image: busybox:latest\n");
    assertThat(
            ImageNamespace.shownInText(
                "berth.invalid/u1002/docker.io/library/x:1 and "
                    + "berth.invalid/u1001/localhost__5000/app:1",
                1001))
        .isEqualTo(ImageNamespace.OTHERS + " and localhost:5000/app:1");
  }
}
