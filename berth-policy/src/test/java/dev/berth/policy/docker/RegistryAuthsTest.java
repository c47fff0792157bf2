package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** A classic build's per-registry credentials, chosen for berth's pull as the daemon chooses. */
class RegistryAuthsTest {
  private static String b64(String json) {
    return Base64.getUrlEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String decoded(String auth) {
    return new String(Base64.getUrlDecoder().decode(auth), StandardCharsets.UTF_8);
  }

  private static final String CONFIG =
      b64(
          "{\"https://index.docker.io/v1/\":{\"username\":\"hub\"},"
              + "\"docker.io\":{\"username\":\"wrong\"},"
              + "\"https://ghcr.io/v2/token\":{\"username\":\"gh\"},"
              + "\"127.0.0.1:5000\":{\"username\":\"local\",\"password\":\"p\"},"
              + "\"http://plain.example:8080\":{\"username\":\"plain\"},"
              + "\"odd.example\":\"not an object\"}");

  @Test
  void forImage_hubUsesTheIndexKey() {
    assertThat(decoded(RegistryAuths.forImage(CONFIG, "docker.io/library/busybox:latest")))
        .isEqualTo("{\"username\":\"hub\"}");
  }

  @Test
  void forImage_otherRegistry_keyByHostWithOrWithoutSchemeAndPath() {
    assertThat(decoded(RegistryAuths.forImage(CONFIG, "127.0.0.1:5000/a/b:1")))
        .isEqualTo("{\"username\":\"local\",\"password\":\"p\"}");
    assertThat(decoded(RegistryAuths.forImage(CONFIG, "ghcr.io/org/tool:1")))
        .isEqualTo("{\"username\":\"gh\"}");
    assertThat(decoded(RegistryAuths.forImage(CONFIG, "plain.example:8080/x:1")))
        .isEqualTo("{\"username\":\"plain\"}");
  }

  @Test
  void forImage_noEntryOrUnreadable_none() {
    assertThat(RegistryAuths.forImage(CONFIG, "quay.io/x/y:1")).isEmpty();
    assertThat(RegistryAuths.forImage(CONFIG, "odd.example/x:1")).isEmpty();
    assertThat(RegistryAuths.forImage("", "busybox:latest")).isEmpty();
    assertThat(RegistryAuths.forImage("  ", "busybox:latest")).isEmpty();
    assertThat(RegistryAuths.forImage("%%%", "busybox:latest")).isEmpty();
    assertThat(RegistryAuths.forImage(b64("not json"), "busybox:latest")).isEmpty();
    assertThat(RegistryAuths.forImage(b64("{}"), "busybox:latest")).isEmpty();
  }

  @Test
  void host_schemeAndPathDropped() {
    assertThat(RegistryAuths.host("https://h:1/v1/")).isEqualTo("h:1");
    assertThat(RegistryAuths.host("http://h/x")).isEqualTo("h");
    assertThat(RegistryAuths.host("h")).isEqualTo("h");
    assertThat(RegistryAuths.host("/v1/")).isEmpty();
  }
}
