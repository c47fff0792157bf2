package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyLoader;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Custom subnets on {@code docker network create}: drawn from the role's address pools. */
class NetworkSubnetsTest {
  /** A host with a LAN on 192.168.1.0/24, a VPN on 172.20.0.0/16, and a default route. */
  private static final HostRoutes HOST_ROUTES =
      () ->
          HostRoutes.parse(
              List.of(
                  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
                  "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0",
                  "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0",
                  "tun0\t000014AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0"));

  private static final PolicyEngine ENGINE =
      new PolicyEngine(PolicyDefaults.policy(), Fixtures.HOST, HOST_ROUTES);

  private static Decision create(PolicyEngine engine, String ipam) {
    return Fixtures.decide(
        engine,
        Fixtures.objects(),
        ALICE,
        "POST",
        "/networks/create",
        "{\"Name\":\"n\",\"IPAM\":" + ipam + "}");
  }

  private static JsonNode forwardedIpam(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return ((Body.Json) ((Decision.Allow) d).forward().body()).value().path("IPAM");
  }

  private static String refusal(Decision d) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    return ((Decision.Deny) d).reason();
  }

  @Test
  void create_subnetInsideTheDaemonsDefaultPools_forwardedJudged() {
    JsonNode ipam =
        forwardedIpam(
            create(
                ENGINE,
                "{\"Driver\":\"default\",\"Config\":[{"
                    + "\"Subnet\":\"172.25.3.0/24\",\"IPRange\":\"172.25.3.128/25\","
                    + "\"Gateway\":\"172.25.3.1\",\"AuxiliaryAddresses\":{\"r\":\"172.25.3.2\"},"
                    + "\"Extra\":1}]}"));
    assertThat(ipam.toString())
        .isEqualTo(
            "{\"Driver\":\"default\",\"Config\":[{"
                + "\"Subnet\":\"172.25.3.0/24\",\"IPRange\":\"172.25.3.128/25\","
                + "\"Gateway\":\"172.25.3.1\",\"AuxiliaryAddresses\":{\"r\":\"172.25.3.2\"}}]}");
  }

  @Test
  void create_lowerCaseIpamKeys_judgedAsGoDecodesThem() {
    JsonNode ipam =
        forwardedIpam(
            create(
                ENGINE,
                "{\"config\":[{\"subnet\":\"192.168.64.0/20\","
                    + "\"gateway\":\"192.168.64.1\"}]}"));
    assertThat(ipam.at("/Config/0/Subnet").asText()).isEqualTo("192.168.64.0/20");
  }

  @Test
  void create_subnetOverlappingAHostRoute_refusedNamingTheRoute() {
    assertThat(refusal(create(ENGINE, "{\"Config\":[{\"Subnet\":\"192.168.1.0/24\"}]}")))
        .contains("overlaps the host's route to 192.168.1.0/24");
    assertThat(refusal(create(ENGINE, "{\"Config\":[{\"Subnet\":\"172.20.8.0/24\"}]}")))
        .contains("overlaps the host's route to 172.20.0.0/16");
  }

  @Test
  void create_subnetShadowingTheHostsLanOutsideThePools_refused() {
    assertThat(refusal(create(ENGINE, "{\"Config\":[{\"Subnet\":\"10.0.0.0/8\"}]}")))
        .contains("not inside the address pools of your role");
  }

  @Test
  void create_subnetLargerThanThePoolsSize_refused() {
    assertThat(refusal(create(ENGINE, "{\"Config\":[{\"Subnet\":\"192.168.0.0/16\"}]}")))
        .contains("not inside the address pools");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"Config\":[{\"Subnet\":\"172.25.3.0/24\",\"Gateway\":\"10.0.0.1\"}]}",
        "{\"Config\":[{\"Subnet\":\"172.25.3.0/24\",\"IPRange\":\"172.25.4.0/25\"}]}",
        "{\"Config\":[{\"Subnet\":\"172.25.3.0/24\",\"AuxiliaryAddresses\":{\"a\":\"8.8.8.8\"}}]}",
        "{\"Config\":[{\"Subnet\":\"172.25.3.1/24\"}]}",
        "{\"Config\":[{\"Subnet\":\"fd00::/64\"}]}",
        "{\"Config\":[{\"Gateway\":\"172.25.3.1\"}]}",
        "{\"Driver\":\"dhcp\"}",
        "{\"Options\":{\"com.docker.network.ipam.serial\":\"true\"}}"
      })
  void create_ipamOutsideTheSubnetOrTheDefaults_refused(String ipam) {
    assertThat(refusal(create(ENGINE, ipam))).startsWith("berth: ");
  }

  @Test
  void create_hostRoutesUnreadable_refusedFailClosed() {
    PolicyEngine blind =
        new PolicyEngine(
            PolicyDefaults.policy(),
            Fixtures.HOST,
            () -> {
              throw new IOException("no /proc");
            });
    assertThat(refusal(create(blind, "{\"Config\":[{\"Subnet\":\"172.25.3.0/24\"}]}")))
        .contains("the host's routes cannot be read");
  }

  @Test
  void create_noSubnet_noRoutesRead() {
    PolicyEngine blind =
        new PolicyEngine(
            PolicyDefaults.policy(),
            Fixtures.HOST,
            () -> {
              throw new IOException("no /proc");
            });
    assertThat(
            forwardedIpam(create(blind, "{\"Driver\":\"default\",\"Config\":[]}"))
                .path("Driver")
                .asText())
        .isEqualTo("default");
  }

  @Test
  void create_adminConfiguredPool_replacesTheDefaults() throws Exception {
    Policy policy =
        PolicyLoader.load(
            """
        roles:
          user:
            actions: [network_create]
            allow:
              address_pools:
                - {base: 10.77.0.0/16, size: 24}
        bindings:
          - {role: user, users: [alice]}
        """,
            "t.yaml",
            g -> Optional.empty());
    PolicyEngine engine = new PolicyEngine(policy, Fixtures.HOST, HOST_ROUTES);
    forwardedIpam(create(engine, "{\"Config\":[{\"Subnet\":\"10.77.5.0/24\"}]}"));
    assertThat(refusal(create(engine, "{\"Config\":[{\"Subnet\":\"10.77.0.0/20\"}]}")))
        .contains("10.77.0.0/16 in /24s");
    assertThat(refusal(create(engine, "{\"Config\":[{\"Subnet\":\"172.25.3.0/24\"}]}")))
        .contains("not inside the address pools");
  }

  @Test
  void policy_addressPoolWithHostBits_refusedAtLoad() {
    assertThatThrownBy(
            () ->
                PolicyLoader.load(
                    """
        roles:
          user:
            actions: [network_create]
            allow:
              address_pools:
                - {base: 10.77.0.1/16, size: 24}
        bindings:
          - {role: user, users: [alice]}
        """,
                    "t.yaml",
                    g -> Optional.empty()))
        .hasMessageContaining("host bits");
  }

  @Test
  void hostRoutes_procNetRoute_readLittleEndian() throws IOException {
    assertThat(HOST_ROUTES.routes())
        .containsExactly(Ipv4Block.parse("192.168.1.0/24"), Ipv4Block.parse("172.20.0.0/16"));
  }

  @Test
  void create_fieldNoRuleJudges_droppedWithANote() {
    Decision d =
        Fixtures.decide(
            ENGINE,
            Fixtures.objects(),
            ALICE,
            "POST",
            "/networks/create",
            "{\"Name\":\"n\",\"Bogus\":1}");
    assertThat(d)
        .isInstanceOfSatisfying(
            Decision.Allow.class,
            a -> {
              assertThat(((Body.Json) a.forward().body()).value().has("Bogus")).isFalse();
              assertThat(a.rewrites())
                  .contains(
                      "body field Bogus dropped: berth does not judge it, so it is not forwarded");
            });
  }

  private static final List<AddressPool> SITE_POOL =
      List.of(new AddressPool(Ipv4Block.parse("10.200.0.0/16"), 24));

  private static Decision create(PolicyEngine engine, FakeObjects host, String ipam) {
    return Fixtures.decide(
        engine, host, ALICE, "POST", "/networks/create", "{\"Name\":\"n\",\"IPAM\":" + ipam + "}");
  }

  /** A host whose daemon was started with {@code default-address-pools} 10.200.0.0/16 in /24s. */
  private static FakeObjects siteDaemon() {
    FakeObjects host = Fixtures.objects();
    host.pools = SITE_POOL;
    host.poolsAfterRestart = SITE_POOL;
    return host;
  }

  @Test
  void create_noRolePools_subnetInTheDaemonsConfiguredPoolAccepted() {
    FakeObjects host = siteDaemon();
    assertThat(
            forwardedIpam(create(ENGINE, host, "{\"Config\":[{\"Subnet\":\"10.200.7.0/24\"}]}"))
                .at("/Config/0/Subnet")
                .asText())
        .isEqualTo("10.200.7.0/24");
    assertThat(host.poolReads).containsExactly(false);
  }

  @Test
  void create_twoSubnetsInTheDaemonsPool_daemonAskedOncePerRequest() {
    FakeObjects host = siteDaemon();
    forwardedIpam(
        create(
            ENGINE,
            host,
            "{\"Config\":[{\"Subnet\":\"10.200.7.0/24\"},{\"Subnet\":\"10.200.8.0/24\"}]}"));
    assertThat(host.poolReads).containsExactly(false);
  }

  @Test
  void create_noRolePools_subnetInTheBuiltInPoolsOnly_refusedNamingTheDaemonsPools() {
    FakeObjects host = siteDaemon();
    assertThat(refusal(create(ENGINE, host, "{\"Config\":[{\"Subnet\":\"172.25.3.0/24\"}]}")))
        .contains("172.25.3.0/24 is not inside the address pools of your role")
        .contains("the daemon's default pools: 10.200.0.0/16 in /24s");
    assertThat(host.poolReads).as("read, then read fresh once").containsExactly(false, true);
  }

  @Test
  void create_noRolePools_subnetLargerThanTheDaemonsPoolSize_refused() {
    assertThat(
            refusal(create(ENGINE, siteDaemon(), "{\"Config\":[{\"Subnet\":\"10.200.0.0/20\"}]}")))
        .contains("not inside the address pools");
  }

  @Test
  void create_daemonRestartedWithOtherPools_freshReadAdmitsTheSubnet() {
    FakeObjects host = Fixtures.objects();
    host.poolsAfterRestart = SITE_POOL;
    forwardedIpam(create(ENGINE, host, "{\"Config\":[{\"Subnet\":\"10.200.7.0/24\"}]}"));
    assertThat(host.poolReads).containsExactly(false, true);
  }

  @Test
  void create_rolePoolsGiven_daemonsPoolsNeitherAskedNorAdmitted() throws Exception {
    Policy policy =
        PolicyLoader.load(
            """
        roles:
          user:
            actions: [network_create]
            allow:
              address_pools:
                - {base: 172.25.0.0/16, size: 24}
        bindings:
          - {role: user, users: [alice]}
        """,
            "t.yaml",
            g -> Optional.empty());
    PolicyEngine engine = new PolicyEngine(policy, Fixtures.HOST, HOST_ROUTES);
    FakeObjects host = siteDaemon();
    forwardedIpam(create(engine, host, "{\"Config\":[{\"Subnet\":\"172.25.3.0/24\"}]}"));
    assertThat(refusal(create(engine, host, "{\"Config\":[{\"Subnet\":\"10.200.7.0/24\"}]}")))
        .contains("not inside the address pools of your role (172.25.0.0/16 in /24s)");
    assertThat(host.poolReads).isEmpty();
  }

  @Test
  void create_rolePoolsEmpty_noSubnetAtAllDaemonNotAsked() throws Exception {
    Policy policy =
        PolicyLoader.load(
            """
        roles:
          user:
            actions: [network_create]
            allow:
              address_pools: []
        bindings:
          - {role: user, users: [alice]}
        """,
            "t.yaml",
            g -> Optional.empty());
    FakeObjects host = siteDaemon();
    assertThat(
            refusal(
                create(
                    new PolicyEngine(policy, Fixtures.HOST, HOST_ROUTES),
                    host,
                    "{\"Config\":[{\"Subnet\":\"10.200.7.0/24\"}]}")))
        .contains("your role may name no subnet (its allow.address_pools is empty)");
    assertThat(host.poolReads).isEmpty();
  }

  @Test
  void create_daemonsPoolsUnreadable_refusedFailClosed() {
    FakeObjects host = Fixtures.objects();
    host.broken = true;
    Decision d = create(ENGINE, host, "{\"Config\":[{\"Subnet\":\"172.25.3.0/24\"}]}");
    assertThat(d)
        .isInstanceOfSatisfying(
            Decision.Indeterminate.class,
            i ->
                assertThat(i.detail())
                    .contains("could not read the daemon's default address pools")
                    .contains("daemon unreachable"));
  }

  @Test
  void create_noSubnet_daemonsPoolsNotAsked() {
    FakeObjects host = siteDaemon();
    forwardedIpam(create(ENGINE, host, "{\"Driver\":\"default\",\"Config\":[]}"));
    assertThat(host.poolReads).isEmpty();
  }

  @Test
  void consultsDirectory_networkCreateUnderARoleWithoutPools_evenForScopeAll() throws Exception {
    Policy policy =
        PolicyLoader.load(
            """
        roles:
          ops:
            actions: [network_create]
            scope: all
        bindings:
          - {role: ops, users: [alice]}
        """,
            "t.yaml",
            g -> Optional.empty());
    PolicyEngine engine = new PolicyEngine(policy, Fixtures.HOST, HOST_ROUTES);
    assertThat(engine.consultsDirectory(ALICE, CanonicalRequest.parse("POST", "/networks/create")))
        .isTrue();
  }
}
