package dev.berth.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * berth as a subprocess, started through the repository's {@code berth} launcher exactly as an
 * operator would: {@code berth serve --listen unix://DIR/docker.sock --upstream URL}.
 *
 * <p>DIR is a fresh directory under /tmp with mode 0755 (so alice and bob can reach the socket) and
 * a short path (unix socket paths are limited to 108 bytes). berth's stdout and stderr go to files
 * in DIR; their tail is part of every startup or shutdown failure message.
 */
final class BerthServer implements AutoCloseable {
  static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  /** The default {@code --socket-mode}. */
  static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-rw-rw-");

  private final Path dir;
  private final Path socket;
  private final ProcessBuilder command;
  private Process process;
  private final String upstream;

  private BerthServer(
      Path dir, Path socket, ProcessBuilder command, Process process, String upstream) {
    this.dir = dir;
    this.socket = socket;
    this.command = command;
    this.process = process;
    this.upstream = upstream;
  }

  /** Starts berth in front of {@code upstreamUrl} and waits until its socket is ready. */
  static BerthServer start(String upstreamUrl) {
    return start(upstreamUrl, List.of());
  }

  /**
   * Starts berth in front of {@code upstreamUrl}, with more {@code berth serve} options, and waits
   * until its socket is ready. The audit trail is {@link #auditLog()}.
   */
  static BerthServer start(String upstreamUrl, List<String> serveOptions) {
    return start(List.of(), upstreamUrl, serveOptions, null);
  }

  /**
   * Starts berth with {@code --state-dir stateDir} (the owners of execs and images), so that a
   * second berth on the same directory takes over what the first one recorded. The directory
   * outlives {@link #close}; null gives a fresh one inside berth's own directory.
   */
  static BerthServer start(String upstreamUrl, Path stateDir) {
    return start(List.of(), upstreamUrl, List.of(), stateDir);
  }

  /**
   * Starts berth as above, through {@code wrapper}: a command that ends by running the command line
   * appended to it in the same process (e.g. {@code unshare --mount sh -c '...; exec "$@"' sh}), so
   * that {@link #pid} is still berth's.
   */
  static BerthServer start(List<String> wrapper, String upstreamUrl, List<String> serveOptions) {
    return start(wrapper, upstreamUrl, serveOptions, null);
  }

  private static BerthServer start(
      List<String> wrapper, String upstreamUrl, List<String> serveOptions, Path stateDir) {
    Path dir;
    try {
      dir = Files.createTempDirectory(Path.of("/tmp"), "bit-");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new AssertionError("cannot create berth's socket directory: " + e, e);
    }
    Path socket = dir.resolve("docker.sock");
    if (socket.toString().length() >= 100) {
      fail("socket path too long for a unix socket: " + socket);
    }
    Path root = ItEnvironment.repoRoot();
    List<String> args = new ArrayList<>(wrapper);
    args.addAll(
        List.of(
            root.resolve("berth").toString(),
            "serve",
            "--listen",
            "unix://" + socket,
            "--upstream",
            upstreamUrl,
            "--audit-log",
            socket.resolveSibling("audit.jsonl").toString(),
            "--state-dir",
            (stateDir != null ? stateDir : socket.resolveSibling("state")).toString()));
    args.addAll(serveOptions);
    ProcessBuilder pb =
        new ProcessBuilder(args)
            .directory(root.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(dir.resolve("stdout.log").toFile())
            .redirectError(dir.resolve("stderr.log").toFile());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError("cannot start " + pb.command() + ": " + e.getMessage(), e);
    }
    BerthServer server = new BerthServer(dir, socket, pb, p, upstreamUrl);
    server.awaitReady();
    return server;
  }

  /**
   * Kills berth with SIGKILL: no shutdown hook runs, nothing is flushed or closed, as in a crash.
   */
  void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        fail("berth did not die of SIGKILL within " + STOP_TIMEOUT.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Starts berth again after {@link #kill}, with the same command: same socket, same audit trail.
   * The stale socket the killed process left is removed first, so that readiness means the new
   * process listens (berth would replace it too).
   */
  void restart() {
    if (process.isAlive()) {
      throw new IllegalStateException("berth still runs");
    }
    try {
      Files.deleteIfExists(socket);
      command
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()))
          .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("stderr.log").toFile()));
      process = command.start();
    } catch (IOException e) {
      throw new AssertionError("cannot restart berth: " + e.getMessage(), e);
    }
    awaitReady();
  }

  /** The active file of berth's audit trail; rotated files are beside it. */
  Path auditLog() {
    return dir.resolve("audit.jsonl");
  }

  /**
   * Ready means: the socket exists with its final mode (berth applies {@code --socket-mode} right
   * after binding, so a test user connecting before that could be refused).
   */
  private void awaitReady() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        String why = "berth exited with " + process.exitValue() + " during startup\n" + logs();
        saveLogs();
        deleteDir();
        fail(why);
      }
      if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
        try {
          if (Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)
              .containsAll(SOCKET_MODE)) {
            return;
          }
        } catch (IOException e) {
          // raced with berth applying permissions; look again
        }
      }
      sleep(50);
    }
    String why =
        "berth did not create " + socket + " within " + START_TIMEOUT.toSeconds() + " s\n" + logs();
    close();
    fail(why);
  }

  Path socket() {
    return socket;
  }

  Path dir() {
    return dir;
  }

  String upstream() {
    return upstream;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** berth's stdout and the tail of its stderr, for failure messages. */
  String logs() {
    return "--- berth stdout ("
        + dir.resolve("stdout.log")
        + ") ---\n"
        + tail(dir.resolve("stdout.log"), 20)
        + "\n--- berth stderr ("
        + dir.resolve("stderr.log")
        + "), last lines ---\n"
        + tail(dir.resolve("stderr.log"), 60);
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  /** Open unix sockets in the berth process: its listener, client and upstream connections. */
  int socketCount() {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
      return (int)
          fds.filter(
                  fd -> {
                    try {
                      return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                    } catch (IOException e) {
                      return false; // closed while listing
                    }
                  })
              .count();
    } catch (IOException e) {
      throw new AssertionError("cannot list berth's file descriptors: " + e, e);
    }
  }

  /**
   * Sends SIGTERM and waits for berth to exit. The contract: berth exits promptly and removes its
   * socket.
   *
   * @return the exit code
   */
  int stop() {
    process.destroy(); // SIGTERM
    boolean exited;
    try {
      exited = process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      exited = false;
    }
    if (!exited) {
      process.destroyForcibly();
      fail("berth did not exit within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM\n" + logs());
    }
    return process.exitValue();
  }

  /** Stops berth if it still runs (forcibly if need be) and deletes its directory. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
    saveLogs();
    deleteDir();
  }

  /** Keeps berth's logs under target/berth-logs for a post-mortem (CI artifacts). */
  private void saveLogs() {
    try {
      Path target =
          Path.of(
              System.getProperty("basedir", System.getProperty("user.dir")),
              "target",
              "berth-logs");
      Files.createDirectories(target);
      for (String name : List.of("stdout.log", "stderr.log")) {
        Path log = dir.resolve(name);
        if (Files.exists(log)) {
          Files.copy(
              log,
              target.resolve(dir.getFileName() + "-" + name),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      // best effort
    }
  }

  private void deleteDir() {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort
                }
              });
    } catch (IOException e) {
      // best effort
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
