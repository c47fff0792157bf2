package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.AddressPool;
import dev.berth.policy.HostRoutes;
import dev.berth.policy.Ipv4Block;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code docker network create --subnet} as alice through berth on the real daemon: a subnet in
 * the daemon's default pools that no host route covers works; one over a host route (here, the
 * bridges of the daemons on this machine) or outside the pools is refused with the reason.
 */
class NetworkSubnetsIT extends ItBase {
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

  /** A /24 of the daemon's default pools that no route of this host covers now. */
  private static Ipv4Block freeSubnet() throws IOException {
    List<Ipv4Block> routes = HostRoutes.local().routes();
    for (AddressPool pool : AddressPool.DAEMON_DEFAULTS) {
      for (long s = pool.base().start(); s < pool.base().end(); s += 256) {
        Ipv4Block candidate = new Ipv4Block(s, 24);
        if (routes.stream().noneMatch(candidate::overlaps)) {
          return candidate;
        }
      }
    }
    throw new AssertionError("no free /24 in the daemon's default pools on this host");
  }

  private static String address(Ipv4Block subnet, int host) {
    return new Ipv4Block(subnet.start() + host, 32).toString().replace("/32", "");
  }

  @Test
  void createWithSubnetInThePools_containerGetsItsAddress() throws IOException {
    Ipv4Block subnet = freeSubnet();
    String net = network("subnet");
    Proc.Result create = docker.run(alice, "network", "create", "--subnet", subnet.toString(),
        "--gateway", address(subnet, 1), net);
    assertThat(create.exitCode()).as(create.describe()).isZero();
    String name = container("subnet");
    Proc.Result run = docker.run(alice, "run", "-d", "--name", name, "--network", net, "--ip",
        address(subnet, 10), image, "sleep", "60");
    assertThat(run.exitCode()).as(run.describe()).isZero();
    Proc.Result ip = docker.run(alice, "inspect", "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name);
    assertThat(ip.stdout().strip()).as(ip.describe()).isEqualTo(address(subnet, 10));
  }

  @Test
  void createWithSubnetOverAHostRoute_refusedNamingTheRoute() throws IOException {
    Ipv4Block route = HostRoutes.local().routes().stream()
        .filter(r -> AddressPool.DAEMON_DEFAULTS.stream().anyMatch(p -> p.base().overlaps(r)))
        .findFirst().orElseThrow(() -> new AssertionError("no daemon bridge route on this host"));
    Ipv4Block inside = new Ipv4Block(route.start(), Math.max(24, route.prefix()));
    Proc.Result create = docker.run(alice, "network", "create", "--subnet", inside.toString(),
        network("over-route"));
    assertThat(create.exitCode()).as(create.describe()).isNotZero();
    assertThat(create.stderr()).as(create.describe()).contains("overlaps the host's route to");
  }

  @Test
  void createWithSubnetOutsideThePools_refused() {
    Proc.Result create = docker.run(alice, "network", "create", "--subnet", "10.99.0.0/24",
        network("outside"));
    assertThat(create.exitCode()).as(create.describe()).isNotZero();
    assertThat(create.stderr()).as(create.describe())
        .contains("is not inside the address pools of your role");
  }
}
