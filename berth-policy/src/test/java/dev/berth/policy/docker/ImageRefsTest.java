package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageRefsTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "busybox, busybox:latest",
    "busybox:1.36, busybox:1.36",
    "library/busybox, busybox:latest",
    "docker.io/library/busybox:1, busybox:1",
    "index.docker.io/library/busybox, busybox:latest",
    "docker.io/alice/tool, alice/tool:latest",
    "alice/tool:2, alice/tool:2",
    "alice/library/x, alice/library/x:latest",
    "library/a/b, library/a/b:latest",
    "localhost/x, localhost/x:latest",
    "localhost:5000/x:1, localhost:5000/x:1",
    "Ghcr.IO/org/tool:1.2, ghcr.io/org/tool:1.2",
    "busybox@sha256:abc, busybox@sha256:abc",
    "busybox:1@sha256:abc, busybox:1@sha256:abc"
  })
  void familiar_normalisesLikeTheDaemonListsTags(String ref, String familiar) {
    assertThat(ImageRefs.familiar(ref)).isEqualTo(familiar);
  }
}
