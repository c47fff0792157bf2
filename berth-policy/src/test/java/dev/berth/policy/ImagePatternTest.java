package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Issue 16 item 2: the image policy's patterns on canonical names. */
class ImagePatternTest {
  @ParameterizedTest(name = "{0} ~ {1}: {2}")
  @CsvSource({
    "registry.site.edu/*, registry.site.edu/tool, true",
    "registry.site.edu/*, registry.site.edu/group/sub/tool, true",
    "registry.site.edu/*, registry.site.edu.evil.com/tool, false",
    "registry.site.edu/*, evil.com/registry.site.edu/tool, false",
    "registry.site.edu/*, docker.io/registry.site.edu/tool, false",
    "*.site.edu/*, hpc.site.edu/tool, true",
    "*.site.edu/*, evil.com/x.site.edu/tool, false",
    "*.site.edu/*, site.edu/tool, false",
    "*.site.edu/*, evilsite.edu/tool, false",
    "docker.io/library/*, docker.io/library/busybox, true",
    "docker.io/library/*, docker.io/libraryx/busybox, false",
    "docker.io/library/*, docker.io/evil/library/busybox, false",
    "docker.io/library/busybox, docker.io/library/busybox, true",
    "docker.io/library/busybox, docker.io/library/busyboxx, false",
    "docker.io/library/busybox, docker.io/library/busybo, false",
    "docker.io/library/py*, docker.io/library/python, true",
    "ghcr.io/org/tool-*, ghcr.io/org/tool-cli, true",
    "ghcr.io/org/tool-*, ghcr.io/org/other, false",
    "localhost:5000/*, localhost:5000/app, true",
    "localhost:5000/*, localhost:5001/app, false",
    "*/library/*, quay.io/library/x, true",
    "*/library/*, quay.io/evil/library/x, false",
    "docker.io/a.b/*, docker.io/aXb/c, false",
    "Registry.Site.Edu/*, registry.site.edu/tool, true",
  })
  void matches_canonicalNames(String pattern, String name, boolean matches) {
    assertThat(ImagePattern.of(pattern).matches(name)).isEqualTo(matches);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "busybox|write docker.io/library/busybox for Docker Hub",
        "library/busybox|write docker.io/library/busybox for Docker Hub",
        "/library/busybox|expected registry/repository such as docker.io/library/*",
        "docker.io/|expected registry/repository such as docker.io/library/*",
        "index.docker.io/library/x|write docker.io, the canonical name of Docker Hub",
        "docker.io/Library/x|repository: lower-case letters"
      })
  void of_malformedPattern_saysWhatToWrite(String pattern, String message) {
    assertThatThrownBy(() -> ImagePattern.of(pattern))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void of_registryCase_samePatternAndTheRegexBuildKitGets() {
    ImagePattern p = ImagePattern.of("*.Site.Edu/*");
    assertThat(p)
        .isEqualTo(ImagePattern.of("*.site.edu/*"))
        .hasSameHashCodeAs(ImagePattern.of("*.site.edu/*"));
    assertThat(p).isNotEqualTo(ImagePattern.of("*.site.edu/tool"));
    assertThat(p.regex()).isEqualTo("[^/]*\\Q.site.edu\\E/.*");
  }
}
