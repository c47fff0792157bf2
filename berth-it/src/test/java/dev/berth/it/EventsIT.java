package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code docker events} is an endless response: it must stream, and when the client goes away berth
 * must drop the daemon side too (no leaked connection, nothing stuck).
 */
class EventsIT extends ItBase {

  @Test
  void events_containerLifecycle_streamsAndEndsWhenClientGoes() throws InterruptedException {
    String name = container("events");
    try (Proc.Running events =
        docker.start(alice, "events", "--format", "{{.Status}} {{.Actor.Attributes.name}}")) {
      // Give the events request time to reach the daemon before anything happens.
      Thread.sleep(1000);
      assertThat(events.isAlive()).as("docker events exited: %s", events.stderr()).isTrue();

      Proc.Result create = docker.run(alice, "create", "--name", name, image, "true");
      assertThat(create.exitCode()).as(create.describe()).isZero();
      Proc.Result start = docker.run(alice, "start", "-a", name);
      assertThat(start.exitCode()).as(start.describe()).isZero();
      Proc.Result rm = docker.run(alice, "rm", name);
      assertThat(rm.exitCode()).as(rm.describe()).isZero();

      assertThat(events.awaitStdout("destroy " + name, Duration.ofSeconds(10)))
          .as("events seen: %s\nstderr: %s", events.stdout(), events.stderr())
          .isTrue();
      assertThat(events.stdout())
          .containsSubsequence("create " + name, "start " + name, "die " + name, "destroy " + name);
      assertThat(events.isAlive()).as("docker events must still be following").isTrue();

      int withEvents = berth().socketCount();
      events.kill();
      // The client connection and the daemon connection it used both go.
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      int now = berth().socketCount();
      while (now > withEvents - 2 && System.nanoTime() < deadline) {
        Thread.sleep(100);
        now = berth().socketCount();
      }
      assertThat(now)
          .as(
              "regression: %d sockets open in berth while 'docker events' ran, still "
                  + "%d five seconds after the client was killed: berth did not notice the client hanging "
                  + "up while the response streamed, so the client socket and its daemon connection stay "
                  + "open until the next event makes a write fail (same for logs -f on a quiet container "
                  + "and docker wait); a user can pile up leaked connections.",
              withEvents, now)
          .isLessThanOrEqualTo(withEvents - 2);
    }
    // And berth still answers promptly.
    Proc.Result version =
        Proc.run(
            docker.docker(alice, "version", "--format", "{{.Server.APIVersion}}"),
            null,
            Duration.ofSeconds(10));
    assertThat(version.exitCode()).as(version.describe()).isZero();
    assertThat(version.elapsed()).isLessThan(Duration.ofSeconds(5));
  }
}
