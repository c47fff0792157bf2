package dev.berth.cli;

import dev.berth.proxy.ProxyConfig;
import dev.berth.proxy.ProxyServer;
import dev.berth.proxy.TlsListener;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Where {@code berth serve} listens: a unix socket, a TCP port with mutual TLS, or both ({@code
 * --listen} twice). TCP is served only with TLS and a client certificate.
 */
final class ListenOptions {
  @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--listen",
      paramLabel = "URL",
      defaultValue = "unix:///run/berth/docker.sock",
      description = {
        "Where to listen (default: ${DEFAULT-VALUE}): unix:///path/docker.sock, "
            + "or tcp://HOST:PORT with mutual TLS (needs --tls-cert, --tls-key and --tls-ca).",
        "Repeat for both; at most one of each. Only the listeners given are opened."
      })
  List<String> listen;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description = "The TLS listener's certificate (PEM), e.g. from 'berth pki server'.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "Its private key (PKCS#8 PEM).")
  Path tlsKey;

  @Option(
      names = "--tls-ca",
      paramLabel = "FILE",
      description =
          "CA certificate(s) that client certificates must chain to (PEM). A client "
              + "certificate's CommonName names the user (NSS).")
  Path tlsCa;

  @Option(
      names = "--tls-crl",
      paramLabel = "FILE",
      description =
          "The CA's revocation list (PEM), re-read when it changes and on SIGHUP. "
              + "While it cannot be read or is past its nextUpdate, every TLS client is refused.")
  Path tlsCrl;

  /** The proxy configuration for these listeners. */
  ProxyConfig config(Path upstream, Set<PosixFilePermission> mode, String group, int threads) {
    Path unix = null;
    InetSocketAddress tcp = null;
    for (String url : listen) {
      URI uri = parse(url);
      switch (uri.getScheme()) {
        case "unix" -> {
          if (unix != null) {
            throw usage("--listen: at most one unix socket, got " + listen);
          }
          unix = Path.of(uri.getPath());
        }
        case "tcp" -> {
          if (tcp != null) {
            throw usage("--listen: at most one tcp listener, got " + listen);
          }
          tcp = new InetSocketAddress(uri.getHost(), uri.getPort());
        }
        default -> throw usage("--listen: expected unix:///path or tcp://host:port, got " + url);
      }
    }
    TlsListener tls = null;
    if (tcp != null) {
      if (tlsCert == null || tlsKey == null || tlsCa == null) {
        throw usage(
            "--listen "
                + "tcp://...: berth serves TCP only with mutual TLS; give "
                + "--tls-cert, --tls-key and --tls-ca (see 'berth pki')");
      }
      tls = new TlsListener(tcp, tlsCert, tlsKey, tlsCa, tlsCrl);
    } else if (tlsCert != null || tlsKey != null || tlsCa != null || tlsCrl != null) {
      throw usage("--tls-* options need a --listen tcp://HOST:PORT");
    }
    return new ProxyConfig(unix, upstream, mode, group, threads, tls);
  }

  private URI parse(String url) {
    String u = url.startsWith("/") ? "unix://" + url : url;
    URI uri;
    try {
      uri = new URI(u);
    } catch (URISyntaxException e) {
      throw usage("--listen: not a URL: " + url);
    }
    if ("unix".equals(uri.getScheme()) && (uri.getPath() == null || uri.getPath().isEmpty())) {
      throw usage("--listen: expected unix:///path/to/socket, got " + url);
    }
    if ("tcp".equals(uri.getScheme())
        && (uri.getHost() == null
            || uri.getPort() < 0
            || (uri.getPath() != null && !uri.getPath().isEmpty()))) {
      throw usage("--listen: expected tcp://HOST:PORT (e.g. tcp://0.0.0.0:2376), got " + url);
    }
    if (uri.getScheme() == null) {
      throw usage("--listen: expected unix:///path or tcp://host:port, got " + url);
    }
    return uri;
  }

  /** Where berth serves, for the startup line. */
  static String describe(ProxyConfig config) {
    List<String> where = new ArrayList<>();
    if (config.listen() != null) {
      where.add(config.listen().toString());
    }
    if (config.tls() != null) {
      where.add(
          "tcp://"
              + config.tls().address().getHostString()
              + ":"
              + config.tls().address().getPort()
              + " (mutual TLS)");
    }
    return String.join(" and ", where);
  }

  /** SIGHUP also re-reads the CRL, after whatever handled it before (the policy reload). */
  static void reloadOnHangup(ProxyServer server) {
    SignalHandler[] previous = new SignalHandler[1];
    previous[0] =
        Signal.handle(
            new Signal("HUP"),
            sig -> {
              SignalHandler p = previous[0];
              if (p != null && p != SignalHandler.SIG_DFL && p != SignalHandler.SIG_IGN) {
                p.handle(sig);
              }
              server.reloadRevocations();
            });
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
