package dev.berth.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real rsyslog (Debian's {@code rsyslogd}, with {@code rsyslog-gnutls}) as a site's central
 * collector: {@code imtcp} with the {@code gtls} stream driver on 127.0.0.1 and a port the test
 * chose, requiring client certificates signed by the test's CA ({@code x509/certvalid}). It writes
 * the bodies (MSG) of berth's messages to two files: records (MSGID {@code record}) and anchors
 * (MSGID {@code anchor}). Everything lives in the test's directory; the host's syslog is not
 * touched.
 */
final class Rsyslog implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path dir;
  private final int port;
  private final Process process;

  private Rsyslog(Path dir, int port, Process process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** A TCP port on 127.0.0.1 that nothing listens on right now. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  /**
   * Starts rsyslogd in {@code dir} on {@code port}, with the collector's certificate and key and
   * the CA that signs both sides, and waits until it accepts connections. Skips (fails on CI) when
   * rsyslog or its gtls driver is not installed.
   */
  static Rsyslog start(Path dir, int port, Path ca, Path cert, Path key) throws Exception {
    if (!Files.isExecutable(Path.of("/usr/sbin/rsyslogd"))
        || !Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so"))) {
      ItEnvironment.unavailable(
          "rsyslog and rsyslog-gnutls are not installed " + "(scripts/test installs them)");
    }
    Files.createDirectories(dir.resolve("work"));
    Path conf = dir.resolve("rsyslog.conf");
    Files.writeString(
        conf,
        """
        global(workDirectory="%1$s/work" maxMessageSize="64k"
          defaultNetstreamDriverCAFile="%2$s"
          defaultNetstreamDriverCertFile="%3$s"
          defaultNetstreamDriverKeyFile="%4$s")
        module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1"
          streamDriver.authMode="x509/certvalid")
        input(type="imtcp" address="127.0.0.1" port="%5$d")
        template(name="body" type="string" string="%%msg%%\\n")
        if $app-name == "berth-audit" and $msgid == "record" then {
          action(type="omfile" file="%1$s/records.jsonl" template="body")
        }
        if $app-name == "berth-audit" and $msgid == "anchor" then {
          action(type="omfile" file="%1$s/anchors.log" template="body")
        }
        """
            .formatted(dir, ca, cert, key, port),
        StandardCharsets.UTF_8);
    Process p =
        new ProcessBuilder(
                "/usr/sbin/rsyslogd",
                "-n",
                "-f",
                conf.toString(),
                "-i",
                dir.resolve("rsyslogd.pid").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("rsyslogd.out").toFile())
            .start();
    Rsyslog r = new Rsyslog(dir, port, p);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError(
            "rsyslogd exited with "
                + p.exitValue()
                + ":\n"
                + Files.readString(dir.resolve("rsyslogd.out")));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return r;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    r.close();
    throw new AssertionError(
        "rsyslogd did not listen on " + port + " within " + START_TIMEOUT.toSeconds() + " s");
  }

  int port() {
    return port;
  }

  /** The file of the collected records' bodies. */
  Path records() {
    return dir.resolve("records.jsonl");
  }

  /** The file of the collected anchors. */
  Path anchors() {
    return dir.resolve("anchors.log");
  }

  /** The lines of a collected file so far (none before the first message). */
  static List<String> lines(Path file) throws IOException {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }

  /** Waits until the collected records are exactly {@code expected}; returns them. */
  List<String> awaitRecords(List<String> expected, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> got = lines(records());
    while (!got.equals(expected) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      got = lines(records());
    }
    return got;
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
