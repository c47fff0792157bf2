package dev.berth.cli;

import dev.berth.audit.AuditLog;
import dev.berth.cli.login.LoginServer;
import dev.berth.policy.UserDirectory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options of {@code berth serve} for its login service (a picocli mixin). */
final class LoginOptions {
  @Option(
      names = "--login",
      paramLabel = "tcp://HOST:PORT",
      description =
          "Also serve 'berth login' here: Kerberos (SPNEGO) for a short-lived client "
              + "certificate of the --login-pki CA, over TLS with --tls-cert and --tls-key.")
  String login;

  @Option(
      names = "--login-keytab",
      paramLabel = "FILE",
      defaultValue = "/etc/krb5.keytab",
      description = "The keytab with the service's key (mode 0600; default: ${DEFAULT-VALUE}).")
  Path keytab;

  @Option(
      names = "--login-principal",
      paramLabel = "NAME",
      description = "The service principal, e.g. HTTP/berth.example.org@EXAMPLE.ORG.")
  String principal;

  @Option(
      names = "--login-realm",
      paramLabel = "REALM",
      description = "The realm whose user principals may log in (default: the principal's).")
  String realm;

  @Option(
      names = "--login-pki",
      paramLabel = "DIR",
      defaultValue = "/etc/berth/pki",
      description =
          "The CA that issues the certificates ('berth pki init'; default: "
              + "${DEFAULT-VALUE}). Its CRL is the one to give --tls-crl.")
  Path pki;

  @Option(
      names = "--login-validity",
      paramLabel = "DURATION",
      defaultValue = "8h",
      converter = AuditOptions.DurationConverter.class,
      description = "How long an issued certificate is valid (default: ${DEFAULT-VALUE}).")
  Duration validity;

  /** Starts the login service if {@code --login} was given. */
  Optional<LoginServer> start(
      CommandLine cmd, Path tlsCert, Path tlsKey, UserDirectory users, AuditLog audit)
      throws IOException {
    if (login == null) {
      return Optional.empty();
    }
    URI uri = URI.create(login);
    if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
      throw new CommandLine.ParameterException(
          cmd, "--login: expected tcp://HOST:PORT, got " + login);
    }
    if (tlsCert == null || tlsKey == null || principal == null) {
      throw new CommandLine.ParameterException(
          cmd, "--login needs --tls-cert, --tls-key and " + "--login-principal");
    }
    String r =
        realm != null
            ? realm
            : principal.contains("@") ? principal.substring(principal.lastIndexOf('@') + 1) : "";
    if (r.isEmpty()) {
      throw new CommandLine.ParameterException(
          cmd, "--login-realm is needed when " + "--login-principal names no realm");
    }
    return Optional.of(
        LoginServer.start(
            new LoginServer.Config(
                new InetSocketAddress(uri.getHost(), uri.getPort()),
                tlsCert,
                tlsKey,
                pki,
                keytab,
                principal,
                r,
                validity),
            users,
            audit));
  }
}
