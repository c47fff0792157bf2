package dev.berth.cli;

import dev.berth.audit.SyslogForwarder;
import dev.berth.audit.TrailForwarder;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of {@code berth serve} and {@code berth plugin} that copy the audit trail to a
 * central syslog collector ({@link SyslogForwarder}). The PEM files are read with Netty's {@link
 * SslContextBuilder} (the JDK provider), whose JDK context makes the forwarder's sockets.
 */
final class AuditForwardOptions {
  private static final Path KERNEL_HOSTNAME = Path.of("/proc/sys/kernel/hostname");

  @Option(
      names = "--audit-forward",
      paramLabel = "syslog+tls://HOST:PORT",
      description = {
        "Also send every audit record and anchor, once on disk, to a syslog "
            + "collector: RFC 5424 over TLS (RFC 5425), e.g. rsyslog's imtcp with the gtls "
            + "driver. The collector's copy verifies with 'berth audit verify'; the local trail "
            + "stays authoritative (a collector that is down never slows or refuses requests: "
            + "records wait in a queue and are dropped, counted in the metrics, when it is full)."
      })
  String url;

  @Option(
      names = "--audit-forward-ca",
      paramLabel = "FILE",
      description =
          "PEM certificates of the CA that signed the collector's certificate "
              + "(required with --audit-forward); HOST must be one of the names in it.")
  Path ca;

  @Option(
      names = "--audit-forward-cert",
      paramLabel = "FILE",
      description =
          "A PEM client certificate for collectors that authenticate senders "
              + "(with --audit-forward-key).")
  Path cert;

  @Option(
      names = "--audit-forward-key",
      paramLabel = "FILE",
      description = "The PKCS#8 PEM key of --audit-forward-cert.")
  Path key;

  @Option(
      names = "--audit-forward-queue",
      paramLabel = "N",
      defaultValue = "100000",
      description = "How many messages may wait for the collector (default: ${DEFAULT-VALUE}).")
  int queue;

  @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
  CommandLine.Model.CommandSpec spec;

  /** The forwarder these options ask for, or {@link TrailForwarder#NONE}. */
  TrailForwarder open(Consumer<String> problems) throws IOException {
    if (url == null) {
      if (ca != null || cert != null || key != null) {
        throw usage("--audit-forward-ca, -cert and -key need --audit-forward");
      }
      return TrailForwarder.NONE;
    }
    SyslogForwarder.Target target;
    try {
      target = SyslogForwarder.Target.parse(url);
    } catch (IllegalArgumentException e) {
      throw usage("--audit-forward: " + e.getMessage());
    }
    if (ca == null) {
      throw usage("--audit-forward needs --audit-forward-ca (the collector's CA)");
    }
    if ((cert == null) != (key == null)) {
      throw usage("--audit-forward-cert and --audit-forward-key go together");
    }
    if (queue < 1) {
      throw usage("--audit-forward-queue: expected at least 1, got " + queue);
    }
    return new SyslogForwarder(
        target,
        socketFactory(),
        queue,
        hostname(),
        ProcessHandle.current().pid(),
        InstantSource.system(),
        problems);
  }

  /**
   * The kernel's host name, for the messages' HOSTNAME: read from the kernel rather than resolved,
   * so that a slow or broken resolver cannot delay or stop berth's start ("-" when it cannot be
   * read, as RFC 5424 allows).
   */
  private static String hostname() {
    try {
      return Files.readString(KERNEL_HOSTNAME).strip();
    } catch (IOException e) {
      return "-";
    }
  }

  private SSLSocketFactory socketFactory() throws IOException {
    try {
      SslContextBuilder b =
          SslContextBuilder.forClient()
              .sslProvider(SslProvider.JDK)
              .trustManager(ca.toFile())
              .protocols("TLSv1.3", "TLSv1.2");
      if (cert != null) {
        b.keyManager(cert.toFile(), key.toFile());
      }
      return ((JdkSslContext) b.build()).context().getSocketFactory();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IOException(
          "cannot use "
              + ca
              + (cert == null ? "" : ", " + cert + " and " + key)
              + " for --audit-forward: "
              + e.getMessage(),
          e);
    }
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
