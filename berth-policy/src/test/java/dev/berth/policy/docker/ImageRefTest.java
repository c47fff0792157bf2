package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The one canonical form of image references that the image policy judges. */
class ImageRefTest {
  private static final String D = "sha256:" + "ab".repeat(32);

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "busybox, docker.io/library/busybox:latest",
    "busybox:1.36, docker.io/library/busybox:1.36",
    "library/busybox, docker.io/library/busybox:latest",
    "docker.io/busybox, docker.io/library/busybox:latest",
    "docker.io/library/busybox:1, docker.io/library/busybox:1",
    "index.docker.io/library/busybox, docker.io/library/busybox:latest",
    "index.docker.io/busybox:2, docker.io/library/busybox:2",
    "Docker.IO/library/busybox, docker.io/library/busybox:latest",
    "alice/tool:1, docker.io/alice/tool:1",
    "alice/sub/tool, docker.io/alice/sub/tool:latest",
    "ghcr.io/org/tool:1.2, ghcr.io/org/tool:1.2",
    "GHCR.io/org/tool, ghcr.io/org/tool:latest",
    "localhost/app, localhost/app:latest",
    "localhost:5000/app:1, localhost:5000/app:1",
    "registry.site.edu:443/a/b/c:x_1, registry.site.edu:443/a/b/c:x_1",
    "Foo/bar, foo/bar:latest",
    "localhost:5000, docker.io/library/localhost:5000",
    "a.b-c/d__e/f.g-h, a.b-c/d__e/f.g-h:latest",
  })
  void parse_canonicalForm(String ref, String canonical) {
    assertThat(ImageRef.parse(ref)).hasToString(canonical);
  }

  @Test
  void parse_digest_keptAndNoDefaultTag() {
    ImageRef r = ImageRef.parse("busybox@" + D);
    assertThat(r).hasToString("docker.io/library/busybox@" + D);
    assertThat(r.pinned()).isTrue();
    assertThat(r.tag()).isEmpty();
    assertThat(r.name()).isEqualTo("docker.io/library/busybox");
  }

  @Test
  void parse_tagAndDigest_bothKept() {
    ImageRef r = ImageRef.parse("ghcr.io/org/tool:1@" + D);
    assertThat(r).hasToString("ghcr.io/org/tool:1@" + D);
    assertThat(r.pinned()).isTrue();
  }

  @Test
  void parse_sameImageWrittenManyWays_oneCanonicalForm() {
    assertThat(ImageRef.parse("busybox"))
        .isEqualTo(ImageRef.parse("docker.io/library/busybox"))
        .isEqualTo(ImageRef.parse("index.docker.io/library/busybox:latest"))
        .isEqualTo(ImageRef.parse("library/busybox:latest"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "Busybox",
        "docker.io/Library/busybox",
        "busybox:",
        "busybox@",
        "busybox@sha256:abc",
        "busybox@md5:0123456789abcdef0123456789abcdef",
        "busybox@sha256:ABabababababababababababababababababababababababababababababababab",
        "busybox:-x",
        "/busybox",
        "busybox/",
        "a//b",
        "[::1]:5000/app",
        "reg_istry.io/app",
        "-bad.io/app",
        "busy..box",
        "registry.site.edu/app:tag with space"
      })
  void parse_outsideTheGrammar_refused(String ref) {
    assertThatThrownBy(() -> ImageRef.parse(ref)).isInstanceOf(IllegalArgumentException.class);
    assertThat(ImageRef.tryParse(ref)).isEmpty();
  }

  @Test
  void parse_longerThanTheDaemonAllows_refused() {
    assertThatThrownBy(() -> ImageRef.parse("a".repeat(256)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parse_imageId_isNotAName() {
    assertThat(ImageRef.isId("ab".repeat(32))).isTrue();
    assertThat(ImageRef.isId(D)).isTrue();
    assertThat(ImageRef.isId("abab")).isFalse();
    assertThatThrownBy(() -> ImageRef.parse("ab".repeat(32)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "fromImage={0} tag={1} -> {2}")
  @CsvSource({
    "busybox, '', docker.io/library/busybox:latest",
    "busybox, 1.36, docker.io/library/busybox:1.36",
    "busybox:1.35, 1.36, docker.io/library/busybox:1.36",
    "busybox:1.35, "
        + "sha256:abababababababababababababababababababababababababababababababab"
        + ", docker.io/library/busybox@"
        + "sha256:abababababababababababababababababababababababababababababababab",
    "busybox@sha256:abababababababababababababababababababababababababababababababab, 1, "
        + "docker.io/library/busybox:1@"
        + "sha256:abababababababababababababababababababababababababababababababab",
  })
  void ofPull_tagParameter_appliedAsTheDaemonDoes(String from, String tag, String canonical) {
    assertThat(ImageRef.ofPull(from, tag)).hasToString(canonical);
  }

  @Test
  void ofPull_invalidTagParameter_refused() {
    assertThatThrownBy(() -> ImageRef.ofPull("busybox", "a b"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
