package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.BOB;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.rules.PrivateNames;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyLoader;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13, item 3: a user's container that asks for the default network joins the user's own
 * bridge network, so containers of different users meet only through published ports.
 */
class PrivateNetworksTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> ALICE_NET_LABELS =
      Map.of(Owner.UID_LABEL, "1001", Owner.GID_LABEL, "", PrivateNames.NETWORK_LABEL, "1001");
  private static final PolicyEngine PREFIXED = Fixtures.ENGINE;

  /** The default policy without {@code name_prefix}. */
  private static final PolicyEngine UNPREFIXED = unprefixed();

  private static PolicyEngine unprefixed() {
    try {
      return new PolicyEngine(
          PolicyLoader.load(
              PolicyDefaults.text().replace("    name_prefix: \"u{uid}_\"\n", ""),
              "t.yaml",
              g -> Optional.empty()),
          Fixtures.HOST);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Decision.Allow allowed(
      PolicyEngine engine,
      FakeObjects objects,
      Principal who,
      String method,
      String target,
      String body) {
    Decision d = Fixtures.decide(engine, objects, who, method, target, body);
    assertThat(d).as("%s", d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static JsonNode body(Decision.Allow a) {
    return ((Body.Json) a.forward().body()).value();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "default", "bridge"})
  void userContainer_defaultNetwork_joinsTheUsersOwnBridge(String mode) throws Exception {
    FakeObjects objects = Fixtures.objects();
    Decision.Allow a =
        allowed(
            PREFIXED,
            objects,
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"" + mode + "\"}}");
    assertThat(body(a).at("/HostConfig/NetworkMode").asText()).isEqualTo("u1001_bridge");
    assertThat(a.effects()).contains(new Effect.EnsureNetwork("u1001_bridge", ALICE_NET_LABELS));
    assertThat(objects.network("u1001_bridge")).as("not while deciding").isEmpty();
    for (Effect e : a.effects()) {
      assertThat(e.perform(objects)).isEmpty();
    }
    assertThat(objects.network("u1001_bridge"))
        .hasValueSatisfying(n -> assertThat(n.owner()).hasValue(new Owner(1001, -1)));
  }

  @Test
  void userContainer_defaultNetworkWithoutPrefix_joinsBerthBridgeOfTheUid() {
    Decision.Allow a =
        allowed(
            UNPREFIXED, Fixtures.objects(), BOB, "POST", "/containers/create", "{\"Image\":\"x\"}");
    assertThat(body(a).at("/HostConfig/NetworkMode").asText()).isEqualTo("berth-bridge-1002");
  }

  @Test
  void userContainer_endpointOnBridge_mappedToTheUsersOwn() {
    Decision.Allow a =
        allowed(
            PREFIXED,
            Fixtures.objects(),
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"bridge\"},"
                + "\"NetworkingConfig\":{\"EndpointsConfig\":{\"bridge\":{\"Aliases\":[\"a\"]}}}}");
    assertThat(body(a).at("/NetworkingConfig/EndpointsConfig/u1001_bridge/Aliases/0").asText())
        .isEqualTo("a");
    assertThat(a.effects()).filteredOn(Effect.EnsureNetwork.class::isInstance).hasSize(1);
  }

  @Test
  void userContainer_networkNone_keptAndNothingCreated() {
    Decision.Allow a =
        allowed(
            PREFIXED,
            Fixtures.objects(),
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"none\"}}");
    assertThat(body(a).at("/HostConfig/NetworkMode").asText()).isEqualTo("none");
    assertThat(a.effects()).noneMatch(Effect.EnsureNetwork.class::isInstance);
  }

  @Test
  void admin_defaultNetwork_keepsTheDaemonsBridge() {
    Decision.Allow a =
        allowed(
            PREFIXED,
            Fixtures.objects(),
            ROOT,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"bridge\"}}");
    assertThat(body(a).at("/HostConfig/NetworkMode").asText()).isEqualTo("bridge");
    assertThat(a.effects()).isEmpty();
  }

  @Test
  void squattedDefaultNetwork_withoutBerthsLabel_refusedWhenPerformed() throws Exception {
    FakeObjects objects =
        Fixtures.objects()
            .network("u1001_bridge", Map.of(Owner.UID_LABEL, "1001", Owner.GID_LABEL, ""));
    Decision.Allow a =
        allowed(PREFIXED, objects, ALICE, "POST", "/containers/create", "{\"Image\":\"x\"}");
    Effect ensure =
        a.effects().stream()
            .filter(Effect.EnsureNetwork.class::isInstance)
            .findFirst()
            .orElseThrow();
    assertThat(ensure.perform(objects))
        .hasValueSatisfying(d -> assertThat(d.reason()).contains("is not berth's"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"bridge", "default", "host", "none"})
  void userNetworkCreate_predefinedName_refused(String name) {
    Decision d =
        Fixtures.decide(
            PREFIXED,
            Fixtures.objects(),
            ALICE,
            "POST",
            "/networks/create",
            "{\"Name\":\"" + name + "\"}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason()).contains("pre-defined network");
  }

  @Test
  void userNetworkCreate_anotherUsersDefaultNetworkName_refused() {
    Decision d =
        Fixtures.decide(
            UNPREFIXED,
            Fixtures.objects(),
            ALICE,
            "POST",
            "/networks/create",
            "{\"Name\":\"berth-bridge-1002\"}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason()).contains("berth's own");
  }

  @Test
  void userNetworkConnect_bridge_theUsersOwnEnsured() {
    FakeObjects objects =
        Fixtures.objects().container("c1" + "0".repeat(62), "u1001_app", FakeObjects.owner(1001));
    Decision.Allow a =
        allowed(
            PREFIXED,
            objects,
            ALICE,
            "POST",
            "/networks/bridge/connect",
            "{\"Container\":\"app\"}");
    assertThat(a.forward().path()).isEqualTo("/networks/u1001_bridge/connect");
    assertThat(body(a).path("Container").asText()).isEqualTo("c1" + "0".repeat(62));
    assertThat(a.effects()).contains(new Effect.EnsureNetwork("u1001_bridge", ALICE_NET_LABELS));
  }

  @Test
  void userNetworkInspect_bridge_isTheUsersOwnShownAsBridge() throws Exception {
    FakeObjects objects =
        Fixtures.objects()
            .network("u1001_bridge", ALICE_NET_LABELS)
            .network(
                "u1002_bridge",
                Map.of(
                    Owner.UID_LABEL,
                    "1002",
                    Owner.GID_LABEL,
                    "",
                    PrivateNames.NETWORK_LABEL,
                    "1002"));
    Decision.Allow a = allowed(PREFIXED, objects, ALICE, "GET", "/networks/bridge", null);
    assertThat(a.forward().path()).isEqualTo("/networks/u1001_bridge");
    JsonNode shown =
        ((FollowUp.MapNames) a.followUp())
            .mapping()
            .apply(JSON.readTree("{\"Name\":\"u1001_bridge\",\"IPAM\":{},\"Containers\":{}}"));
    assertThat(shown.path("Name").asText()).isEqualTo("bridge");
  }

  @Test
  void userContainerList_ownBridge_shownAsBridge() throws Exception {
    Decision.Allow a =
        allowed(PREFIXED, Fixtures.objects(), ALICE, "GET", "/containers/json", null);
    JsonNode shown =
        ((FollowUp.MapNames) a.followUp())
            .mapping()
            .apply(
                JSON.readTree(
                    """
        [{"Names": ["/u1001_web"], "HostConfig": {"NetworkMode": "u1001_bridge"},
          "NetworkSettings": {"Networks": {"u1001_bridge": {"NetworkID": "n"}}}}]"""));
    assertThat(shown.at("/0/HostConfig/NetworkMode").asText()).isEqualTo("bridge");
    assertThat(shown.at("/0/NetworkSettings/Networks/bridge/NetworkID").asText()).isEqualTo("n");
  }
}
