package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.AddressPool;
import dev.berth.policy.HostRoutes;
import dev.berth.policy.Ipv4Block;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * alice's networks through berth on the real daemon: {@code docker network create --subnet} (a
 * subnet in the daemon's default pools that no host route covers works: the pools the daemon was
 * started with, here the {@code --default-address-pool} that {@code scripts/dockerd-private.sh}
 * gives each test daemon, not dockerd's built-in ones; one over a host route, here the bridges of
 * the daemons on this machine, or outside the pools is refused with the reason; a role's own {@code
 * allow.address_pools} replace the daemon's), endpoint driver options, the predefined networks in
 * {@code docker network ls}, and the daemon's own answer to a name no network can have.
 */
class UserNetworksIT extends ItBase {
  private final List<String> networks = new ArrayList<>();

  @AfterEach
  void removeNetworks() {
    removeContainers(); // first: a network with containers cannot be removed
    for (String n : networks) {
      docker.run(alice, "network", "rm", n);
    }
  }

  private String network(String hint) {
    String n = ItEnvironment.uniqueName(hint);
    networks.add(n);
    return n;
  }

  /** The daemon's default address pools, as its {@code /info} lists them. */
  private static List<AddressPool> daemonPools() throws IOException {
    Proc.Result info = DockerCli.upstream("info", "--format", "{{json .DefaultAddressPools}}");
    assertThat(info.exitCode()).as(info.describe()).isZero();
    return AddressPool.ofDaemon(DockerJson.mapper().readTree(info.stdout().strip()));
  }

  /** A /24 of {@code pools} that no route of this host covers now. */
  private static Ipv4Block freeSubnet(List<AddressPool> pools) throws IOException {
    List<Ipv4Block> routes = HostRoutes.local().routes();
    for (AddressPool pool : pools) {
      for (long s = pool.base().start(); s < pool.base().end(); s += 256) {
        Ipv4Block candidate = new Ipv4Block(s, 24);
        if (routes.stream().noneMatch(candidate::overlaps)) {
          return candidate;
        }
      }
    }
    throw new AssertionError("no free /24 in " + pools + " on this host");
  }

  private static String address(Ipv4Block subnet, int host) {
    return new Ipv4Block(subnet.start() + host, 32).toString().replace("/32", "");
  }

  @Test
  void createWithSubnetInTheDaemonsPools_containerGetsItsAddress() throws IOException {
    List<AddressPool> pools = daemonPools();
    assertThat(pools)
        .as("the test daemon is started with its own --default-address-pool")
        .isNotEqualTo(AddressPool.BUILT_IN);
    Ipv4Block subnet = freeSubnet(pools);
    String net = network("subnet");
    Proc.Result create =
        docker.run(
            alice,
            "network",
            "create",
            "--subnet",
            subnet.toString(),
            "--gateway",
            address(subnet, 1),
            net);
    assertThat(create.exitCode()).as(create.describe()).isZero();
    String name = container("subnet");
    Proc.Result run =
        docker.run(
            alice,
            "run",
            "-d",
            "--name",
            name,
            "--network",
            net,
            "--ip",
            address(subnet, 10),
            image,
            "sleep",
            "60");
    assertThat(run.exitCode()).as(run.describe()).isZero();
    Proc.Result ip =
        docker.run(
            alice,
            "inspect",
            "--format",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            name);
    assertThat(ip.stdout().strip()).as(ip.describe()).isEqualTo(address(subnet, 10));
  }

  /**
   * The daemon's default pools hold no route on a host whose daemons draw from other pools (the
   * test daemons here take a /16 of 10.0.0.0/8 each), so this test runs its own berth whose user
   * role draws from 10.0.0.0/8, where the test daemon's own bridge is a host route.
   */
  @Test
  void createWithSubnetOverAHostRoute_refusedNamingTheRoute() throws IOException {
    Ipv4Block pool = Ipv4Block.parse("10.0.0.0/8");
    Ipv4Block route =
        HostRoutes.local().routes().stream()
            .filter(pool::contains)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no route in " + pool + " on this host"));
    Path policy = policyWithPools("{base: " + pool + ", size: 24}");
    Ipv4Block inside = new Ipv4Block(route.start(), Math.max(24, route.prefix()));
    try (BerthServer own =
        BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", policy.toString()))) {
      Proc.Result create =
          new DockerCli(own.socket())
              .run(
                  alice, "network", "create", "--subnet", inside.toString(), network("over-route"));
      assertThat(create.exitCode()).as(create.describe()).isNotZero();
      assertThat(create.stderr()).as(create.describe()).contains("overlaps the host's route to");
    }
  }

  /**
   * A subnet in dockerd's built-in pools, which the daemon was not given: refused, naming the pools
   * the daemon was given (before, berth judged by the built-in pools whatever the daemon's).
   */
  @Test
  void createWithSubnet_inBuiltInPoolsNotTheDaemons_refusedNamingTheDaemonsPools()
      throws IOException {
    List<AddressPool> pools = daemonPools();
    Ipv4Block builtIn = freeSubnet(AddressPool.BUILT_IN);
    assertThat(pools).noneMatch(p -> p.base().overlaps(builtIn));
    Proc.Result create =
        docker.run(alice, "network", "create", "--subnet", builtIn.toString(), network("builtin"));
    assertThat(create.exitCode()).as(create.describe()).isNotZero();
    assertThat(create.stderr())
        .as(create.describe())
        .contains(builtIn + " is not inside the address pools of your role")
        .contains("the daemon's default pools: " + pools.get(0));
  }

  /**
   * And the other way round: a role whose {@code allow.address_pools} are dockerd's built-in pools
   * may use them, and not the pools the daemon was given.
   */
  @Test
  void createWithSubnet_rolePoolsAreTheBuiltIns_builtInAcceptedDaemonsRefused() throws IOException {
    StringBuilder list = new StringBuilder();
    for (AddressPool p : AddressPool.BUILT_IN) {
      list.append(list.isEmpty() ? "" : ", ")
          .append("{base: ")
          .append(p.base())
          .append(", size: ")
          .append(p.size())
          .append("}");
    }
    Path policy = policyWithPools(list.toString());
    Ipv4Block builtIn = freeSubnet(AddressPool.BUILT_IN);
    Ipv4Block daemons = freeSubnet(daemonPools());
    try (BerthServer own =
        BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", policy.toString()))) {
      DockerCli cli = new DockerCli(own.socket());
      Proc.Result ok =
          cli.run(alice, "network", "create", "--subnet", builtIn.toString(), network("role-in"));
      assertThat(ok.exitCode()).as(ok.describe()).isZero();
      Proc.Result refused =
          cli.run(alice, "network", "create", "--subnet", daemons.toString(), network("role-out"));
      assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
      assertThat(refused.stderr())
          .as(refused.describe())
          .contains(daemons + " is not inside the address pools of your role (172.17.0.0/16");
    }
  }

  /** The embedded default policy, its user role given {@code address_pools: [pools]}. */
  private static Path policyWithPools(String pools) throws IOException {
    Path dir = Files.createTempDirectory("berth-pools");
    Path policy = dir.resolve("policy.yaml");
    String anchor = "bindings:\n";
    String text = PolicyDefaults.text();
    assertThat(text).contains("\n  user:\n").doesNotContain("    allow:");
    Files.writeString(
        policy,
        text.replace(anchor, "    allow:\n      address_pools: [" + pools + "]\n" + anchor),
        StandardCharsets.UTF_8);
    return policy;
  }

  @Test
  void createWithSubnetOutsideThePools_refused() {
    Proc.Result create =
        docker.run(alice, "network", "create", "--subnet", "10.250.0.0/24", network("outside"));
    assertThat(create.exitCode()).as(create.describe()).isNotZero();
    assertThat(create.stderr())
        .as(create.describe())
        .contains("is not inside the address pools of your role");
  }

  @Test
  void networkLs_listsThePredefinedNetworksAsTheDaemonDoes() {
    Proc.Result daemon =
        DockerCli.upstream("network", "ls", "--filter", "type=builtin", "--format", "{{.Name}}");
    Proc.Result mine = docker.run(alice, "network", "ls", "--format", "{{.Name}}");
    assertThat(mine.exitCode()).as(mine.describe()).isZero();
    assertThat(mine.stdout().lines())
        .as(mine.describe())
        .containsAll(daemon.stdout().lines().toList());
    Proc.Result rm = docker.run(alice, "network", "rm", "none");
    assertThat(rm.exitCode())
        .as("predefined networks are read-only: %s", rm.describe())
        .isNotZero();
  }

  @Test
  void networkRm_nameWithASpace_getsTheDaemonsNotFound() {
    Proc.Result rm = docker.run(alice, "network", "rm", "a b");
    assertThat(rm.exitCode()).as(rm.describe()).isNotZero();
    assertThat(rm.stderr())
        .as(rm.describe())
        .contains("network a b not found")
        .doesNotContain("must not contain");
  }

  @Test
  void connect_aliasAndIfnameDriverOptOnOwnNetwork_works() {
    String first = network("ep1");
    String net = network("ep2");
    for (String n : List.of(first, net)) {
      Proc.Result create = docker.run(alice, "network", "create", n);
      assertThat(create.exitCode()).as(create.describe()).isZero();
    }
    String name = container("ep");
    Proc.Result run =
        docker.run(alice, "run", "-d", "--name", name, "--network", first, image, "sleep", "60");
    assertThat(run.exitCode()).as(run.describe()).isZero();
    Proc.Result connect =
        docker.run(
            alice,
            "network",
            "connect",
            "--alias",
            "db",
            "--driver-opt",
            "com.docker.network.endpoint.ifname=data0",
            net,
            name);
    assertThat(connect.exitCode()).as(connect.describe()).isZero();
    Proc.Result aliases =
        docker.run(
            alice,
            "inspect",
            "--format",
            "{{range .NetworkSettings.Networks}}{{.Aliases}}{{end}}",
            name);
    assertThat(aliases.stdout()).as(aliases.describe()).contains("db");
    Proc.Result other =
        docker.run(
            alice,
            "network",
            "connect",
            "--driver-opt",
            "com.docker.network.bridge.name=docker0",
            net,
            name);
    assertThat(other.exitCode()).as(other.describe()).isNotZero();
    assertThat(other.stderr())
        .as(other.describe())
        .contains("'com.docker.network.bridge.name' is not allowed");
  }
}
