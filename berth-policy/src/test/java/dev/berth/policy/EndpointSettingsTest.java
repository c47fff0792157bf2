package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.berth.policy.CanonicalRequest.Body;
import org.junit.jupiter.api.Test;

/**
 * Endpoint settings on the caller's own networks: aliases and the driver options berth judges
 * ({@code docker network connect --alias/--driver-opt}, {@code docker run --network
 * name=N,driver-opt=K=V}); and references no object can have, answered as the daemon answers.
 */
class EndpointSettingsTest {
  private static Decision connect(String network, String endpoint) {
    return Fixtures.decide(
        ALICE,
        "POST",
        "/networks/" + network + "/connect",
        "{\"Container\":\"abc\",\"EndpointConfig\":" + endpoint + "}");
  }

  private static Decision run(String endpoint) {
    return Fixtures.decide(
        ALICE,
        "POST",
        "/containers/create",
        "{\"Image\":\"busybox\","
            + "\"NetworkingConfig\":{\"EndpointsConfig\":{\"alicenet\":"
            + endpoint
            + "}}}");
  }

  private static String reason(Decision d) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    return ((Decision.Deny) d).reason();
  }

  @Test
  void connect_aliasesAndIfnameOnOwnNetwork_forwarded() {
    Decision d =
        connect(
            "alicenet",
            "{\"Aliases\":[\"db\",\"bobweb\"],\"DriverOpts\":{"
                + "\"com.docker.network.endpoint.ifname\":\"data0\"}}");
    assertThat(d).isInstanceOf(Decision.Allow.class);
    assertThat(
            ((Body.Json) ((Decision.Allow) d).forward().body())
                .value()
                .at("/EndpointConfig/DriverOpts/com.docker.network.endpoint.ifname")
                .asText())
        .isEqualTo("data0");
  }

  @Test
  void connect_foreignAliasOnOthersNetwork_notFound() {
    Decision d = connect("bobnet", "{\"Aliases\":[\"db\"]}");
    assertThat(d)
        .isInstanceOfSatisfying(
            Decision.Deny.class,
            deny -> assertThat(deny.status()).isEqualTo(Decision.Status.NOT_FOUND));
  }

  @Test
  void connect_unknownDriverOpt_refusedNamingTheKey() {
    assertThat(
            reason(
                connect(
                    "alicenet",
                    "{\"DriverOpts\":{\"com.docker.network.bridge.name\":\"docker0\"}}")))
        .contains("'com.docker.network.bridge.name' is not allowed");
  }

  @Test
  void connect_endpointSysctls_refusedPointingToSysctl() {
    assertThat(
            reason(
                connect(
                    "alicenet",
                    "{\"DriverOpts\":{"
                        + "\"com.docker.network.endpoint.sysctls\":\"net.ipv4.conf.IFNAME.forwarding=1\"}}")))
        .contains("use --sysctl");
  }

  @Test
  void connect_lowerCaseDriverOptsKey_judgedAsGoDecodesIt() {
    assertThat(reason(connect("alicenet", "{\"driveropts\":{\"x\":\"y\"}}")))
        .contains("'x' is not allowed");
  }

  @Test
  void connect_ifnameNotAnInterfaceName_refused() {
    assertThat(
            reason(
                connect(
                    "alicenet",
                    "{\"DriverOpts\":{"
                        + "\"com.docker.network.endpoint.ifname\":\"../../eth0\"}}")))
        .contains("must be an interface name");
  }

  @Test
  void create_endpointIfnameOnOwnNetwork_allowed() {
    assertThat(run("{\"DriverOpts\":{\"com.docker.network.endpoint.ifname\":\"app0\"}}"))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void create_unknownEndpointDriverOpt_refused() {
    assertThat(reason(run("{\"DriverOpts\":{\"x\":\"y\"}}"))).contains("--network alicenet");
  }

  @Test
  void networkRemove_nameWithASpace_notFoundAsTheDaemonAnswers() {
    Decision d = Fixtures.decide(ALICE, "DELETE", "/networks/a%20b", null);
    assertThat(d)
        .isInstanceOfSatisfying(
            Decision.Deny.class,
            deny -> {
              assertThat(deny.status()).isEqualTo(Decision.Status.NOT_FOUND);
              assertThat(deny.reason()).contains("network a b not found");
            });
  }

  private static JsonNode listed(String target, FakeObjects objects) throws Exception {
    Decision d = Fixtures.decide(Fixtures.ENGINE, objects, ALICE, "GET", target, null);
    assertThat(d).isInstanceOf(Decision.Allow.class);
    Decision.Allow a = (Decision.Allow) d;
    assertThat(a.forward().query().get("filters").orElseThrow())
        .contains("dev.berth.owner.uid=1001");
    JsonNode answer =
        JsonNodeFactory.instance
            .arrayNode()
            .add(JsonNodeFactory.instance.objectNode().put("Name", "alicenet"));
    return a.followUp() instanceof Decision.FollowUp.MapNames m
        ? m.mapping().apply(answer)
        : answer;
  }

  @Test
  void networkList_predefinedNetworksAppendedReadOnly() throws Exception {
    JsonNode shown = listed("/networks", Fixtures.objects());
    assertThat(shown.findValuesAsText("Name"))
        .containsExactly("alicenet", "bridge", "host", "none");
  }

  @Test
  void networkList_callersTypeFilterCustomOnly_noPredefinedAndNoOtherCustom() throws Exception {
    FakeObjects objects = Fixtures.objects();
    JsonNode shown =
        listed("/networks?filters=%7B%22type%22%3A%7B%22custom%22%3Atrue%7D%7D", objects);
    assertThat(shown.findValuesAsText("Name")).containsExactly("alicenet");
    assertThat(objects.builtinFilters).isNull(); // never asked with type=custom widened
  }

  @Test
  void networkList_nameFilterAppliedByBerthToThePredefinedToo() throws Exception {
    // the caller's name regex never reaches the daemon (NameFilter: its rules, bounded)
    FakeObjects objects = Fixtures.objects();
    JsonNode shown = listed("/networks?filters=%7B%22name%22%3A%5B%22br%22%5D%7D", objects);
    assertThat(objects.builtinFilters).isEqualTo("{\"type\":{\"builtin\":true}}");
    assertThat(shown.findValuesAsText("Name")).contains("bridge").doesNotContain("host", "none");
  }

  @Test
  void networkList_daemonUnreachableForThePredefined_ownListStillAnswered() throws Exception {
    FakeObjects objects = Fixtures.objects();
    objects.broken = true;
    assertThat(listed("/networks", objects).findValuesAsText("Name")).containsExactly("alicenet");
  }
}
