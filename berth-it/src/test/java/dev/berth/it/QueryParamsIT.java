package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The query parameters real SDKs send, as alice through berth on the real daemon, at the API
 * version Debian's 20.10 speaks (1.41) and at the daemon's newest: parameters the daemon ignores
 * ({@code trunc_cmd}, {@code only_ids}, {@code force} on tag) are dropped and the request works;
 * {@code link=0} on remove works; parameters berth refuses are refused with the table's reason.
 */
class QueryParamsIT extends ItBase {

  /** {@code curl} as alice on berth's socket: the answer's body, then its status on a line. */
  private Proc.Result call(String method, String target) {
    List<String> curl =
        List.of(
            "curl",
            "-sS",
            "--unix-socket",
            berth().socket().toString(),
            "-X",
            method,
            "-w",
            "\n%{http_code}",
            "http://berth" + target);
    return Proc.run(docker.asUser(alice, curl), null, ItEnvironment.PROCESS_TIMEOUT);
  }

  private static String status(Proc.Result r) {
    List<String> lines = r.stdout().lines().toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  @ParameterizedTest(name = "[{index}] version prefix ''{0}''")
  @ValueSource(strings = {"/v1.41", ""})
  void sdkLists_withParametersTheDaemonIgnores_answered(String version) {
    Proc.Result ps = call("GET", version + "/containers/json?all=1&limit=-1&size=0&trunc_cmd=0");
    assertThat(status(ps)).as(ps.describe()).isEqualTo("200");
    Proc.Result images = call("GET", version + "/images/json?only_ids=0&all=0");
    assertThat(status(images)).as(images.describe()).isEqualTo("200");
  }

  @ParameterizedTest(name = "[{index}] version prefix ''{0}''")
  @ValueSource(strings = {"/v1.41", ""})
  void sdkRemove_withLinkFalse_removesOwnContainer(String version) {
    String name = container("qrm");
    Proc.Result c = docker.run(alice, "create", "--name", name, image, "true");
    assertThat(c.exitCode()).as(c.describe()).isZero();
    Proc.Result rm = call("DELETE", version + "/containers/" + name + "?v=0&link=0&force=0");
    assertThat(status(rm)).as(rm.describe()).isEqualTo("204");
    assertThat(existsUpstream(name)).isFalse();
  }

  @Test
  void containerDelete_linkTrueOnOwnContainer_removesNothing() {
    String name = container("qlink");
    Proc.Result c = docker.run(alice, "create", "--name", name, image, "true");
    assertThat(c.exitCode()).as(c.describe()).isZero();
    Proc.Result rm = call("DELETE", "/containers/" + name + "?link=1");
    assertThat(status(rm)).as(rm.describe()).doesNotStartWith("2");
    assertThat(existsUpstream(name)).as("a link removal by full id removes no container").isTrue();
  }

  @Test
  void sdkTag_withForce_tagsAndForce_isNotForwarded() {
    String repo = ItEnvironment.uniqueName("qtag");
    try {
      Proc.Result tag =
          call("POST", "/v1.41/images/" + image + "/tag?repo=" + repo + "&tag=1&force=1");
      assertThat(status(tag)).as(tag.describe()).isEqualTo("201");
      // the tag lives in alice's namespace on the daemon (issue 13): she names it as she gave it
      Proc.Result inspect = docker.run(alice, "image", "inspect", repo + ":1");
      assertThat(inspect.exitCode()).as(inspect.describe()).isZero();
    } finally {
      docker.run(alice, "rmi", "-f", repo + ":1");
    }
  }

  @Test
  void containerStart_checkpointDir_deniedWithReason() {
    String name = container("qcp");
    Proc.Result c = docker.run(alice, "create", "--name", name, image, "true");
    assertThat(c.exitCode()).as(c.describe()).isZero();
    Proc.Result start = call("POST", "/containers/" + name + "/start?checkpoint-dir=%2Ftmp");
    assertThat(status(start)).as(start.describe()).isEqualTo("403");
    assertThat(start.stdout()).contains("checkpoint-dir").contains("as root");
  }
}
