package dev.berth.it;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.testing.RawHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The environment contract of the end-to-end tests.
 *
 * <ul>
 *   <li>{@code BERTH_IT_DOCKER_HOST}: the upstream daemon, {@code unix:///path/docker.sock} (start
 *       one with {@code scripts/dockerd-private.sh start /tmp/bdit current}).
 *   <li>{@code BERTH_IT_IMAGE}: the test image, default {@code berth-test:latest} (busybox-static,
 *       default user root; imported by {@code dockerd-private.sh}).
 *   <li>Users {@code alice} and {@code bob} ({@code scripts/test-users.sh}); the tests run as root
 *       so that they can become them with {@code setpriv}.
 *   <li>The docker CLI: {@code /usr/local/bin/docker}, else {@code docker} on PATH.
 * </ul>
 *
 * <p>When something is missing the tests are skipped (JUnit assumptions), except when {@code
 * CI=true}: then they fail, so that a CI job cannot pass by testing nothing.
 */
final class ItEnvironment {
  /** The limit for every child process unless a test says otherwise. */
  static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(60);

  /** Prefix of every container this run creates: {@code it-<RUN_ID>-}. */
  static final String RUN_ID = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));

  private static final AtomicInteger SEQ = new AtomicInteger();
  private static final Map<String, UnixUser> USERS = new ConcurrentHashMap<>();
  private static volatile String checked;

  private ItEnvironment() {}

  static boolean isCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** Skips the test (or fails it on CI) because the environment cannot run it. */
  static void unavailable(String why) {
    String msg = "berth-it environment not ready: " + why;
    if (isCi()) {
      fail(msg + " (CI=true, so this is a failure, not a skip)");
    }
    assumeTrue(false, msg);
  }

  /** The upstream daemon's URL, {@code unix:///...}. */
  static String upstreamUrl() {
    String v = System.getenv("BERTH_IT_DOCKER_HOST");
    if (v == null || v.isBlank()) {
      unavailable(
          "BERTH_IT_DOCKER_HOST is not set (e.g. unix:///tmp/bdit/docker.sock, from "
              + "scripts/dockerd-private.sh start /tmp/bdit current)");
    }
    if (!v.startsWith("unix://")) {
      unavailable("BERTH_IT_DOCKER_HOST must be a unix:// URL, got " + v);
    }
    return v.strip();
  }

  static Path upstreamSocket() {
    return Path.of(upstreamUrl().substring("unix://".length()));
  }

  static String image() {
    String v = System.getenv("BERTH_IT_IMAGE");
    return v == null || v.isBlank() ? "berth-test:latest" : v.strip();
  }

  /** The docker CLI binary. */
  static String dockerCli() {
    if (Files.isExecutable(Path.of("/usr/local/bin/docker"))) {
      return "/usr/local/bin/docker";
    }
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, "docker");
      if (Files.isExecutable(p)) {
        return p.toAbsolutePath().toString();
      }
    }
    unavailable("no docker CLI (neither /usr/local/bin/docker nor docker on PATH)");
    throw new AssertionError("unreachable");
  }

  /**
   * The directory holding the {@code docker-compose} CLI plugin: {@code BERTH_IT_COMPOSE_PLUGINS},
   * else where {@code scripts/engine.sh fetch-compose} unpacks it.
   */
  static String composePluginDir() {
    String v = System.getenv("BERTH_IT_COMPOSE_PLUGINS");
    String dir =
        v == null || v.isBlank()
            ? "/var/cache/berth-test/compose/root/usr/libexec/docker/cli-plugins"
            : v.strip();
    if (!Files.isExecutable(Path.of(dir, "docker-compose"))) {
      unavailable(
          "no docker-compose plugin in "
              + dir
              + " (run scripts/engine.sh fetch-compose "
              + "or set BERTH_IT_COMPOSE_PLUGINS)");
    }
    return dir;
  }

  /** The repository root: the parent of this module's directory. */
  static Path repoRoot() {
    String base = System.getProperty("basedir", System.getProperty("user.dir"));
    Path root = Path.of(base).toAbsolutePath().normalize().getParent();
    if (root == null || !Files.isRegularFile(root.resolve("berth"))) {
      fail("cannot find the berth launcher in the parent of " + base);
    }
    return root;
  }

  /**
   * Checks everything the tests need once per JVM: root, setpriv, users, docker CLI, a daemon that
   * answers {@code /_ping}, and the test image. Skips or fails (CI) otherwise.
   */
  static void require() {
    String problem = problem();
    if (problem != null) {
      unavailable(problem);
    }
  }

  /** What is missing for the tests to run, or null when the environment is ready. */
  static synchronized String problem() {
    if (checked == null) {
      String problem = check();
      checked = problem == null ? "" : problem;
    }
    return checked.isEmpty() ? null : checked;
  }

  private static String check() {
    String v = System.getenv("BERTH_IT_DOCKER_HOST");
    if (v == null || v.isBlank()) {
      return "BERTH_IT_DOCKER_HOST is not set (e.g. unix:///tmp/bdit/docker.sock, from "
          + "scripts/dockerd-private.sh start /tmp/bdit current)";
    }
    if (!v.strip().startsWith("unix://")) {
      return "BERTH_IT_DOCKER_HOST must be a unix:// URL, got " + v;
    }
    if (ProcessHandle.current().info().user().map(u -> !u.equals("root")).orElse(true)) {
      return "the tests must run as root (they become alice and bob with setpriv)";
    }
    for (String tool : List.of("/usr/bin/setpriv", "/usr/bin/script")) {
      if (!Files.isExecutable(Path.of(tool))) {
        return tool + " is missing (util-linux)";
      }
    }
    for (String name : List.of("alice", "bob")) {
      Proc.Result r = Proc.run(List.of("id", "-u", name));
      if (!r.ok()) {
        return "user " + name + " does not exist; run scripts/test-users.sh as root";
      }
    }
    Path socket = Path.of(v.strip().substring("unix://".length()));
    String ping;
    try {
      ping =
          RawHttp.exchange(
                  socket,
                  RawHttp.request("GET /_ping HTTP/1.1", "Connection: close"),
                  Duration.ofSeconds(5))
              .text();
    } catch (IOException e) {
      return "the daemon at " + v + " does not answer /_ping (" + e.getMessage() + ")";
    }
    if (!ping.startsWith("HTTP/1.1 200") || !ping.endsWith("OK")) {
      return "the daemon at " + v + " answered /_ping with: " + ping;
    }
    Proc.Result img =
        Proc.run(
            List.of(
                dockerCli(), "-H", v.strip(), "image", "inspect", "--format", "{{.Id}}", image()));
    if (!img.ok()) {
      return "image " + image() + " is missing on " + v + ": " + img.stderr().strip();
    }
    return null;
  }

  /** A container name unique to this run: {@code it-<run>-<hint>-<n>}. */
  static String uniqueName(String hint) {
    return "it-" + RUN_ID + "-" + hint + "-" + SEQ.incrementAndGet();
  }

  /** A real Unix user, looked up with {@code id} and {@code getent}. */
  static UnixUser user(String name) {
    return USERS.computeIfAbsent(name, ItEnvironment::lookup);
  }

  private static UnixUser lookup(String name) {
    Proc.Result uid = Proc.run(List.of("id", "-u", name));
    Proc.Result gid = Proc.run(List.of("id", "-g", name));
    Proc.Result pw = Proc.run(List.of("getent", "passwd", name));
    if (!uid.ok() || !gid.ok() || !pw.ok()) {
      unavailable("user " + name + " does not exist; run scripts/test-users.sh as root");
    }
    String[] fields = pw.stdout().strip().split(":");
    return new UnixUser(
        name,
        Integer.parseInt(uid.stdout().strip()),
        Integer.parseInt(gid.stdout().strip()),
        fields[5]);
  }

  /** A Unix account the tests act as. */
  record UnixUser(String name, int uid, int gid, String home) {
    /** What busybox {@code id} prints first for this user. */
    String idPrefix() {
      return "uid=" + uid + " gid=" + gid;
    }
  }
}
