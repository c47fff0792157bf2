package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.testing.RawHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * berth's process contract, on instances of its own: ready when the socket exists (with mode 0666),
 * gone with its socket on SIGTERM, and a clear 502 when the daemon is not there.
 */
class LifecycleIT {

  @BeforeEach
  void environment() {
    ItEnvironment.require();
  }

  @Test
  void serve_untilSigterm_servesThenExitsAndRemovesItsSocket() throws IOException {
    UnixUser alice = ItEnvironment.user("alice");
    try (BerthServer berth = BerthServer.start(ItEnvironment.upstreamUrl())) {
      Path socket = berth.socket();
      PosixFileAttributes attrs =
          Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      assertThat(attrs.isOther()).as("%s is a socket", socket).isTrue();
      assertThat(attrs.permissions())
          .as("default --socket-mode 0666")
          .isEqualTo(BerthServer.SOCKET_MODE);

      Proc.Result ping =
          Proc.run(
              new DockerCli(socket).docker(alice, "version", "--format", "{{.Server.APIVersion}}"),
              null,
              Duration.ofSeconds(30));
      assertThat(ping.exitCode()).as(ping.describe() + "\n" + berth.logs()).isZero();
      assertThat(ping.stdout().strip()).matches("1\\.[0-9]+");

      // A client that is connected during shutdown must not keep berth alive.
      try (Proc.Running events = new DockerCli(socket).start(alice, "events")) {
        Thread.sleep(1000);
        long t0 = System.nanoTime();
        int exit = berth.stop();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(millis)
            .as("berth took %d ms to exit on SIGTERM\n%s", millis, berth.logs())
            .isLessThan(10_000);
        assertThat(Files.exists(socket, LinkOption.NOFOLLOW_LINKS))
            .as("berth must remove %s on SIGTERM (exit code %d)\n%s", socket, exit, berth.logs())
            .isFalse();
        Proc.Result ev = events.waitFor(Duration.ofSeconds(10));
        assertThat(ev.timedOut())
            .as("the events client must see berth go away: %s", ev.describe())
            .isFalse();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void version_whenDaemonIsDown_failsWith502NotReachable() throws IOException {
    UnixUser alice = ItEnvironment.user("alice");
    Path missing = Path.of("/tmp", "bit-no-daemon-" + ItEnvironment.RUN_ID + ".sock");
    assertThat(missing).doesNotExist();
    try (BerthServer berth = BerthServer.start("unix://" + missing)) {
      Proc.Result r =
          Proc.run(
              new DockerCli(berth.socket()).docker(alice, "version"), null, Duration.ofSeconds(30));
      assertThat(r.timedOut()).as(r.describe()).isFalse();
      assertThat(r.exitCode()).as(r.describe()).isNotZero();
      assertThat(r.stderr())
          .as(r.describe() + "\n" + berth.logs())
          .contains("Error response from daemon: berth:")
          .contains("not reachable")
          .contains(missing.toString());
      RawHttp.Response raw =
          RawHttp.exchange(
              berth.socket(),
              RawHttp.request("GET /_ping HTTP/1.1", "Connection: close"),
              Duration.ofSeconds(10));
      assertThat(raw.statusLine()).as(raw.describe()).isEqualTo("HTTP/1.1 502 Bad Gateway");
      assertThat(raw.text()).as(raw.describe()).contains("not reachable");
      assertThat(berth.isAlive()).as("berth keeps running without its daemon").isTrue();
      berth.stop();
      assertThat(berth.socket()).doesNotExist();
    }
  }
}
