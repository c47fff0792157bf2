package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * issue 18 item 1: when the daemon goes away, every exchange relayed through berth ends as it does
 * for a client of the daemon itself, and berth lets go of both connections. Before, {@code docker
 * events} through berth hung forever across a daemon restart (directly, the CLI ends within a
 * second), each such client holding two descriptors in berth.
 */
class DaemonGoneIT extends ItBase {

  @Test
  @Timeout(300)
  void daemonRestarts_everyStreamThroughBerthEnds_eventsAsDirectly() throws Exception {
    Optional<PrivateDaemon> daemon = PrivateDaemon.ofEnvironment();
    assumeTrue(daemon.isPresent(), PrivateDaemon::requirement);
    String name = container("gone");
    Proc.Result run = docker.run(alice, "run", "-d", "-i", "--name", name, image, "cat");
    assertThat(run.exitCode()).as(run.describe()).isZero();
    int idle = berth().socketCount();
    List<String> direct =
        List.of(ItEnvironment.dockerCli(), "-H", ItEnvironment.upstreamUrl(), "events");
    Map<String, Proc.Running> viaBerth = new LinkedHashMap<>();
    try (Proc.Running directly = Proc.start(direct)) {
      viaBerth.put("events", docker.start(alice, "events")); // chunked stream
      viaBerth.put("logs -f", docker.start(alice, "logs", "-f", name)); // stream of a container
      viaBerth.put("wait", docker.start(alice, "wait", name)); // pending request
      viaBerth.put("attach", docker.start(alice, "attach", "--sig-proxy=false", name)); // hijack
      viaBerth.put("exec -i", docker.start(alice, "exec", "-i", name, "cat")); // hijack
      Thread.sleep(1500); // every request reaches the daemon
      viaBerth.forEach(
          (what, p) ->
              assertThat(p.isAlive()).as("%s through berth: %s", what, p.stderr()).isTrue());
      assertThat(directly.isAlive()).as("events directly: %s", directly.stderr()).isTrue();

      daemon.get().restart();

      Proc.Result d = directly.waitFor(Duration.ofSeconds(30));
      assertThat(d.timedOut()).as("directly: %s", d.describe()).isFalse();
      for (Map.Entry<String, Proc.Running> e : viaBerth.entrySet()) {
        Proc.Result b = e.getValue().waitFor(Duration.ofSeconds(30));
        assertThat(b.timedOut())
            .as(
                "regression: %s through berth still running 30 s after the "
                    + "daemon restarted: %s",
                e.getKey(), b.describe())
            .isFalse();
        if (e.getKey().equals("events")) {
          assertThat(b.exitCode())
              .as("events through berth: %s\ndirectly: %s", b.describe(), d.describe())
              .isEqualTo(d.exitCode());
        }
      }
    } finally {
      viaBerth.values().forEach(Proc.Running::close);
    }
    // berth let go of the clients' connections and their daemon connections.
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    int now = berth().socketCount();
    while (now > idle && System.nanoTime() < deadline) {
      Thread.sleep(100);
      now = berth().socketCount();
    }
    assertThat(now).as("sockets open in berth after the streams ended").isLessThanOrEqualTo(idle);
    // And berth serves the restarted daemon.
    Proc.Result version = docker.run(alice, "version", "--format", "{{.Server.APIVersion}}");
    assertThat(version.exitCode()).as(version.describe()).isZero();
  }
}
