package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.yaml.PolicyException;
import dev.berth.policy.yaml.PolicyLoader;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Issue #8: admin-vetted profiles, granted to roles, asked for with a label. */
class ProfileTest {
  private static final String POLICY =
      """
      profiles:
        gpu:
          devices: [/dev/nvidia0]
          device_requests: [{driver: nvidia, count: all, capabilities: [gpu]}]
          env: [NVIDIA_VISIBLE_DEVICES=all]
        scratch:
          mounts: ["/scratch:/scratch", "/data/sets:/data:ro"]
        secret:
          mounts: ["/srv/secret:/secret"]
      roles:
        user:
          actions: [container_create]
          profiles: [gpu, scratch]
      bindings: [{role: user, users: ["*"]}]
      """;

  private static Decision create(String labels, String hostConfig) throws Exception {
    PolicyEngine e =
        new PolicyEngine(PolicyLoader.load(POLICY, "t.yaml", g -> Optional.empty()), Fixtures.HOST);
    return Fixtures.decide(
        e,
        Fixtures.objects(),
        ALICE,
        "POST",
        "/containers/create",
        "{\"Image\":\"x\",\"Labels\":" + labels + ",\"HostConfig\":" + hostConfig + "}");
  }

  private static JsonNode forwarded(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return ((CanonicalRequest.Body.Json) ((Decision.Allow) d).forward().body()).value();
  }

  @Test
  void grantedProfiles_addExactlyTheirMountsDevicesAndEnv() throws Exception {
    JsonNode body = forwarded(create("{\"dev.berth.profile\":\"gpu,scratch\"}", "{}"));
    assertThat(body.at("/HostConfig/Binds").toString())
        .isEqualTo("[\"/scratch:/scratch\",\"/data/sets:/data:ro\"]");
    assertThat(body.at("/HostConfig/Devices/0/PathOnHost").asText()).isEqualTo("/dev/nvidia0");
    assertThat(body.at("/HostConfig/DeviceRequests/0/Driver").asText()).isEqualTo("nvidia");
    assertThat(body.at("/HostConfig/DeviceRequests/0/Count").asInt()).isEqualTo(-1);
    assertThat(body.at("/HostConfig/DeviceRequests/0/Capabilities/0/0").asText()).isEqualTo("gpu");
    assertThat(body.at("/Env").toString()).contains("NVIDIA_VISIBLE_DEVICES=all");
    // never privileged or with capabilities, whatever the profile
    assertThat(body.at("/HostConfig/Privileged").asBoolean(false)).isFalse();
    assertThat(body.at("/HostConfig/CapDrop").toString()).isEqualTo("[\"ALL\"]");
  }

  @Test
  void noProfile_sameRequestGetsNone() throws Exception {
    JsonNode body = forwarded(create("{}", "{}"));
    assertThat(
            body.at("/HostConfig/Devices").isMissingNode()
                || body.at("/HostConfig/Devices").isEmpty())
        .isTrue();
    assertThat(body.at("/HostConfig/Binds").isMissingNode()).isTrue();
  }

  @Test
  void profileNotGranted_refused() throws Exception {
    Decision d = create("{\"dev.berth.profile\":\"secret\"}", "{}");
    assertThat(((Decision.Deny) d).reason()).contains("profile \"secret\" is not granted");
  }

  @Test
  void devicesAskedDirectly_stillRefused() throws Exception {
    Decision d =
        create(
            "{\"dev.berth.profile\":\"gpu\"}",
            "{\"Devices\":[{\"PathOnHost\":\"/dev/sda\",\"PathInContainer\":\"/dev/sda\"}]}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
  }

  @Test
  void profileMountOnTheCallersTarget_refused() throws Exception {
    Decision d =
        create(
            "{\"dev.berth.profile\":\"scratch\"}", "{\"Binds\":[\"/home/alice/data:/scratch\"]}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
  }

  @Test
  void profileMountNestedInTheCallersMount_refused() throws Exception {
    Decision d = create("{\"dev.berth.profile\":\"scratch\"}", "{\"Binds\":[\"vol1:/data/mine\"]}");
    assertThat(((Decision.Deny) d).reason()).contains("/data and /data/mine nest");
  }

  @Test
  void callersMountNestedInAProfileMount_refused() throws Exception {
    Decision d =
        create("{\"dev.berth.profile\":\"scratch\"}", "{\"Tmpfs\":{\"/scratch/tmp\":\"\"}}");
    assertThat(((Decision.Deny) d).reason()).contains("/scratch and /scratch/tmp nest");
  }

  @Test
  void loader_badProfilesReportedWithPlace() {
    assertThatThrownBy(
            () ->
                PolicyLoader.load(
                    """
        profiles:
          bad: {mounts: ["scratch"], devices: [/etc/passwd], env: ["1=x"], privileged: true}
        roles:
          user: {actions: [ping], profiles: [bda]}
        bindings: [{role: user, users: ["*"]}]
        """,
                    "t.yaml",
                    g -> Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .satisfies(
            e ->
                assertThat(((PolicyException) e).errors())
                    .anyMatch(m -> m.contains("profiles.bad.mounts[0]"))
                    .anyMatch(m -> m.contains("profiles.bad.devices[0]"))
                    .anyMatch(m -> m.contains("profiles.bad.env[0]"))
                    .anyMatch(m -> m.contains("profiles.bad.privileged"))
                    .anyMatch(
                        m -> m.contains("unknown profile \"bda\"") && m.contains("did you mean")));
  }
}
