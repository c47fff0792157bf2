package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, item 3, end to end with two real users: a container that asks for the default network
 * joins its user's own bridge network, so bob's container cannot reach an unpublished port of
 * alice's, while alice's own containers reach each other and published ports stay reachable across
 * users.
 *
 * <p>The suite's daemons run without a bridge and without iptables (they share the host's network
 * namespace and must not touch its firewall), so nothing would isolate two bridges there. This test
 * starts its own daemon ({@code scripts/dockerd-private.sh} with {@code BERTH_DOCKERD_NETNS=1}, the
 * suite's engine) in a network namespace of its own, with the default bridge, iptables rules and
 * the userland proxy as on a production host, and berth on the default policy in front of it.
 */
class PrivateNetworksIT {
  private static final Duration DAEMON_TIMEOUT = Duration.ofSeconds(120);
  private static final String LISTEN =
      "while true; do echo hello-from-$(id -u) | busybox nc -l " + "-p 8080; done";

  private static Path dir;
  private static String upstream;
  private static BerthServer berth;
  private static DockerCli cli;
  private static UnixUser alice;
  private static UnixUser bob;
  private static final String IMAGE = ItEnvironment.image();

  @BeforeAll
  static void start() {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    bob = ItEnvironment.user("bob");
    dir = Path.of("/tmp/bn" + ItEnvironment.RUN_ID);
    String engine = PrivateDaemon.ofEnvironment().map(PrivateDaemon::engine).orElse("current");
    Proc.Result r =
        Proc.run(
            List.of("env", "BERTH_DOCKERD_NETNS=1", script(), "start", dir.toString(), engine),
            null,
            DAEMON_TIMEOUT);
    assertThat(r.ok()).as("a daemon in its own network namespace: %s", r.describe()).isTrue();
    upstream = "unix://" + dir.resolve("docker.sock");
    berth = BerthServer.start(upstream);
    cli = new DockerCli(berth.socket());
  }

  @AfterAll
  static void stop() {
    if (berth != null) {
      berth.close();
    }
    if (dir != null) {
      Proc.run(List.of(script(), "clean", dir.toString()), null, DAEMON_TIMEOUT);
    }
  }

  private static String script() {
    return ItEnvironment.repoRoot().resolve("scripts").resolve("dockerd-private.sh").toString();
  }

  @Test
  void otherUsersContainer_unpublishedPort_unreachable() {
    String ip = ip(alice, server(alice, "srv", List.of()));
    assertThat(connect(bob, ip, 8080))
        .as("bob's container on bob's default network")
        .doesNotContain("hello-from-");
    assertThat(connect(alice, ip, 8080))
        .as("alice's own containers share her default network")
        .contains("hello-from-" + alice.uid());
  }

  @Test
  void otherUsersContainer_publishedPort_reachable() {
    server(alice, "pub", List.of("-p", "18080:8080"));
    Proc.Result gw =
        cli.run(bob, "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", "bridge");
    assertThat(gw.ok()).as(gw.describe()).isTrue();
    assertThat(connect(bob, gw.stdout().strip(), 18080))
        .as("a published port is the host's")
        .contains("hello-from-" + alice.uid());
  }

  @Test
  void userContainer_defaultNetwork_isTheUsersOwnShownAsBridge() {
    String name = server(bob, "own", List.of());
    Proc.Result ps = cli.run(bob, "ps", "--filter", "name=" + name, "--format", "{{.Networks}}");
    assertThat(ps.stdout().strip()).as(ps.describe()).isEqualTo("bridge");
    Proc.Result real =
        Proc.run(
            List.of(
                ItEnvironment.dockerCli(),
                "-H",
                upstream,
                "network",
                "inspect",
                "-f",
                "{{json .Labels}}",
                "u" + bob.uid() + "_bridge"));
    assertThat(real.stdout())
        .as(real.describe())
        .contains("\"dev.berth.owner.uid\":\"" + bob.uid() + "\"")
        .contains("\"dev.berth.default-network\":\"" + bob.uid() + "\"");
  }

  @Test
  void admin_defaultNetwork_isTheDaemonsBridge() {
    String name = ItEnvironment.uniqueName("adm");
    Proc.Result r =
        Proc.run(
            List.of(
                ItEnvironment.dockerCli(),
                "-H",
                "unix://" + berth.socket(),
                "run",
                "-d",
                "--name",
                name,
                IMAGE,
                "sleep",
                "60"));
    assertThat(r.ok()).as(r.describe()).isTrue();
    Proc.Result nets =
        Proc.run(
            List.of(
                ItEnvironment.dockerCli(),
                "-H",
                upstream,
                "inspect",
                "-f",
                "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}",
                name));
    assertThat(nets.stdout().strip()).as(nets.describe()).isEqualTo("bridge");
  }

  /** A new container of {@code u} answering on port 8080 (its name). */
  private static String server(UnixUser u, String hint, List<String> options) {
    String name = ItEnvironment.uniqueName(hint);
    List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name));
    args.addAll(options);
    args.addAll(List.of(IMAGE, "sh", "-c", LISTEN));
    Proc.Result run = cli.run(u, args.toArray(String[]::new));
    assertThat(run.ok()).as(run.describe()).isTrue();
    return name;
  }

  /** The address of container {@code name} of {@code u}, as {@code u} sees it. */
  private static String ip(UnixUser u, String name) {
    Proc.Result ip =
        cli.run(
            u, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name);
    assertThat(ip.stdout().strip()).as(ip.describe()).isNotEmpty();
    return ip.stdout().strip();
  }

  /** What a new container of {@code u} on the default network reads from {@code ip:port}. */
  private static String connect(UnixUser u, String ip, int port) {
    Proc.Result r =
        cli.run(
            u,
            "run",
            "--rm",
            IMAGE,
            "sh",
            "-c",
            "busybox nc -w 3 " + ip + " " + port + " </dev/null; echo exit=$?");
    assertThat(r.stdout()).as(r.describe()).contains("exit=");
    return r.stdout();
  }
}
