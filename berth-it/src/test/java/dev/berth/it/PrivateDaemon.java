package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The upstream daemon when {@code scripts/dockerd-private.sh} started it, so that a test can stop
 * and start it again.
 *
 * <p>Its DIR is {@code BERTH_IT_DOCKER_DIR}, else the directory of the socket named by {@code
 * BERTH_IT_DOCKER_HOST} when that is {@code DIR/docker.sock} and DIR holds the script's {@code
 * flavor} file. Its engine is {@code BERTH_IT_ENGINE} (set by {@code scripts/test}), else the
 * content of that file. Any other daemon (the system's, one started by hand) is not ours to
 * restart: {@link #ofEnvironment} is then empty.
 *
 * @param dir the daemon's DIR
 * @param engine {@code current} or {@code debian}
 */
record PrivateDaemon(Path dir, String engine) {
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  /** The daemon of this environment, when it can be restarted, else why not. */
  static Optional<PrivateDaemon> ofEnvironment() {
    Path socket = ItEnvironment.upstreamSocket();
    String explicit = System.getenv("BERTH_IT_DOCKER_DIR");
    Path dir =
        explicit != null && !explicit.isBlank() ? Path.of(explicit.strip()) : socket.getParent();
    if (dir == null || !socket.equals(dir.resolve("docker.sock"))) {
      return Optional.empty();
    }
    String engine = System.getenv("BERTH_IT_ENGINE");
    if (engine == null || engine.isBlank()) {
      try {
        engine = Files.readString(dir.resolve("flavor"), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return Optional.empty(); // not started by dockerd-private.sh
      }
    }
    engine = engine.strip();
    if (!engine.equals("current") && !engine.equals("debian")) {
      return Optional.empty();
    }
    return Optional.of(new PrivateDaemon(dir, engine));
  }

  /** What {@link #ofEnvironment} needs, for the message of a skipped test. */
  static String requirement() {
    return "restarting the daemon needs one started by scripts/dockerd-private.sh (DIR/docker.sock "
        + "with DIR/flavor), or BERTH_IT_DOCKER_DIR and BERTH_IT_ENGINE; BERTH_IT_DOCKER_HOST is "
        + ItEnvironment.upstreamUrl();
  }

  /**
   * Stops the daemon (the script kills running containers first) and starts it again with the same
   * DIR and engine: same data root, so containers, volumes and networks come back, stopped.
   */
  void restart() {
    Path script = ItEnvironment.repoRoot().resolve("scripts").resolve("dockerd-private.sh");
    Proc.Result stop =
        Proc.run(List.of(script.toString(), "stop", dir.toString()), null, STOP_TIMEOUT);
    assertThat(stop.ok()).as("stopping the daemon: %s", stop.describe()).isTrue();
    Proc.Result start =
        Proc.run(List.of(script.toString(), "start", dir.toString(), engine), null, START_TIMEOUT);
    assertThat(start.ok()).as("starting the daemon again: %s", start.describe()).isTrue();
  }
}
