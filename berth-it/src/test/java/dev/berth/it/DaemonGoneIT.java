package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * issue 18 item 1: when the daemon goes away, a stream relayed through berth ends as it does for a
 * client of the daemon itself, and berth lets go of both connections. Before, {@code docker
 * events} through berth hung forever across a daemon restart (directly, the CLI ends within a
 * second), each such client holding two descriptors in berth.
 */
class DaemonGoneIT extends ItBase {

  @Test
  @Timeout(300)
  void events_daemonRestarts_streamEndsThroughBerthAsItDoesDirectly() throws Exception {
    Optional<PrivateDaemon> daemon = PrivateDaemon.ofEnvironment();
    assumeTrue(daemon.isPresent(), PrivateDaemon::requirement);
    int idle = berth().socketCount();
    List<String> direct = List.of(ItEnvironment.dockerCli(), "-H", ItEnvironment.upstreamUrl(),
        "events");
    try (Proc.Running viaBerth = docker.start(alice, "events");
        Proc.Running directly = Proc.start(direct)) {
      Thread.sleep(1000); // both requests reach the daemon
      assertThat(viaBerth.isAlive()).as("events through berth: %s", viaBerth.stderr()).isTrue();
      assertThat(directly.isAlive()).as("events directly: %s", directly.stderr()).isTrue();

      daemon.get().restart();

      Proc.Result d = directly.waitFor(Duration.ofSeconds(30));
      Proc.Result b = viaBerth.waitFor(Duration.ofSeconds(30));
      assertThat(d.timedOut()).as("directly: %s", d.describe()).isFalse();
      assertThat(b.timedOut()).as("regression: docker events through berth still running 30 s "
          + "after the daemon restarted (directly it ended: %s)", d.describe()).isFalse();
      assertThat(b.exitCode()).as("through berth: %s\ndirectly: %s", b.describe(), d.describe())
          .isEqualTo(d.exitCode());
    }
    // berth let go of the client's connection and its daemon connection.
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    int now = berth().socketCount();
    while (now > idle && System.nanoTime() < deadline) {
      Thread.sleep(100);
      now = berth().socketCount();
    }
    assertThat(now).as("sockets open in berth after the stream ended").isLessThanOrEqualTo(idle);
    // And berth serves the restarted daemon.
    Proc.Result version = docker.run(alice, "version", "--format", "{{.Server.APIVersion}}");
    assertThat(version.exitCode()).as(version.describe()).isZero();
  }
}
