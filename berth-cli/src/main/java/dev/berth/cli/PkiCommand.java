package dev.berth.cli;

import dev.berth.nss.NssUserDirectory;
import dev.berth.pki.CertificateAuthority;
import dev.berth.pki.CertificateBundle;
import dev.berth.pki.FileOwner;
import dev.berth.pki.IndexEntry;
import dev.berth.pki.PkiException;
import dev.berth.pki.SubjectAltName;
import dev.berth.policy.UserDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth pki}: the certificates of berth's TLS listener. A CA per host, a server certificate
 * for the listener (and for dockerd's TLS endpoint), and a client certificate per user whose
 * CommonName is the user's name.
 */
@Command(
    name = "pki",
    mixinStandardHelpOptions = true,
    description = {
      "Certificates for berth's TLS listener (berth serve --listen tcp://...).",
      "",
      "The CA lives in --dir (default "
          + PkiCommand.DEFAULT_DIR
          + "). A user's certificate "
          + "names them in its CommonName; berth resolves that name through NSS like a "
          + "unix-socket caller's uid."
    },
    subcommands = {
      PkiCommand.Init.class,
      PkiCommand.Server.class,
      PkiCommand.User.class,
      PkiCommand.Revoke.class,
      PkiCommand.Crl.class,
      PkiCommand.ListCommand.class
    })
final class PkiCommand {
  static final String DEFAULT_DIR = "/etc/berth/pki";

  private PkiCommand() {}

  /** The PKI directory option every subcommand takes. */
  static final class PkiDir {
    @Option(
        names = "--dir",
        paramLabel = "DIR",
        defaultValue = DEFAULT_DIR,
        description = "The CA's directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    CertificateAuthority open() throws PkiException {
      return CertificateAuthority.open(dir, Clock.systemUTC());
    }
  }

  /**
   * Runs a PKI operation; a {@link PkiException} becomes its message and exit status 1. Every
   * subcommand extends it, and so takes {@code --dir} from here.
   */
  abstract static class PkiOperation implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin PkiDir pki;

    @Override
    public final Integer call() throws Exception {
      try {
        run(spec.commandLine().getOut());
        return 0;
      } catch (PkiException | UserDirectory.LookupException e) {
        spec.commandLine().getErr().println("berth pki: " + e.getMessage());
        return 1;
      } finally {
        spec.commandLine().getOut().flush();
        spec.commandLine().getErr().flush();
      }
    }

    abstract void run(PrintWriter out) throws PkiException, UserDirectory.LookupException;

    static Duration days(int n, CommandLine.Model.CommandSpec spec, String option) {
      if (n < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), option + ": expected a number of days of at least 1, got " + n);
      }
      return Duration.ofDays(n);
    }
  }

  /** {@code berth pki init}. */
  @Command(
      name = "init",
      mixinStandardHelpOptions = true,
      description = {
        "Create the CA: ca.pem, ca-key.pem (mode 0600), index.tsv and an empty " + "crl.pem.",
        "Refuses to touch a directory that already holds a CA."
      })
  static final class Init extends PkiOperation {
    @Option(
        names = "--days",
        paramLabel = "N",
        defaultValue = "3650",
        description = "How long the CA is valid (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    void run(PrintWriter out) throws PkiException {
      CertificateAuthority ca =
          CertificateAuthority.create(pki.dir, days(days, spec, "--days"), Clock.systemUTC());
      out.printf(
          "created the CA in %s (valid until %s)%n",
          ca.directory(), ca.certificate().getNotAfter().toInstant());
      out.printf(
          "next: berth pki server --dir %s --san DNS:$(hostname -f) --san IP:...%n",
          ca.directory());
    }
  }

  /** {@code berth pki server}. */
  @Command(
      name = "server",
      mixinStandardHelpOptions = true,
      description = {
        "Issue a TLS server certificate (serverAuth) for berth's TCP listener or "
            + "for dockerd's TLS endpoint.",
        "Writes NAME-cert.pem and NAME-key.pem (mode 0600) into --out, replacing earlier ones; "
            + "and ca.pem when --out is not the CA's directory."
      })
  static final class Server extends PkiOperation {
    @Option(
        names = "--san",
        paramLabel = "DNS:NAME|IP:ADDRESS",
        required = true,
        description = "A name clients connect to (repeat for each). Clients check only these.")
    List<String> sans;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        defaultValue = "berth",
        description = "CommonName and file name prefix (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(
        names = "--days",
        paramLabel = "N",
        defaultValue = "825",
        description = "Validity (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(
        names = "--out",
        paramLabel = "DIR",
        description = "Where to write the files (default: the CA's directory).")
    Path out;

    @Override
    void run(PrintWriter w) throws PkiException {
      List<SubjectAltName> names = new ArrayList<>();
      for (String s : sans) {
        try {
          names.add(SubjectAltName.parse(s));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--san: " + e.getMessage());
        }
      }
      CertificateAuthority ca = pki.open();
      CertificateBundle b = ca.issueServer(name, names, days(days, spec, "--days"));
      Path dir = out == null ? ca.directory() : out;
      ca.writeServerFiles(b, name, dir);
      w.printf(
          "issued %s for %s, serial %s, valid until %s%n",
          name,
          names,
          b.certificate().getSerialNumber().toString(16),
          b.certificate().getNotAfter().toInstant());
      w.printf(
          "wrote %s and %s%n", dir.resolve(name + "-cert.pem"), dir.resolve(name + "-key.pem"));
    }
  }

  /** {@code berth pki user}. */
  @Command(
      name = "user",
      mixinStandardHelpOptions = true,
      description = {
        "Issue a client certificate (clientAuth only) for a Unix user: its "
            + "CommonName is NAME, which must exist in NSS.",
        "Writes ca.pem, cert.pem and key.pem, owned by the user (directory 0700, key 0600), "
            + "into --out, default ~NAME/.docker/berth: the user then sets "
            + "DOCKER_CERT_PATH to it. Earlier certificates of the user stay valid until they "
            + "expire or are revoked."
      })
  static final class User extends PkiOperation {
    @Parameters(index = "0", paramLabel = "NAME", description = "The user's name.")
    String name;

    @Option(
        names = "--out",
        paramLabel = "DIR",
        description = "Where to write the files (default: ~NAME/.docker/berth).")
    Path out;

    @Option(
        names = "--days",
        paramLabel = "N",
        defaultValue = "365",
        description = "Validity (default: ${DEFAULT-VALUE}).")
    int days;

    UserDirectory users = new NssUserDirectory();

    @Override
    void run(PrintWriter w) throws PkiException, UserDirectory.LookupException {
      UserDirectory.Account account =
          users
              .byName(name)
              .orElseThrow(
                  () ->
                      new PkiException(
                          "no user "
                              + name
                              + " (NSS): berth identifies TLS clients by their certificate's "
                              + "CommonName, so it must be an existing user"));
      if (account.uid() == 0) {
        throw new PkiException(
            name
                + " is uid 0: berth issues no certificate that would make "
                + "its holder root; root uses the unix socket");
      }
      Duration validity = days(days, spec, "--days");
      Path dir = out != null ? out : Path.of(account.home(), ".docker", "berth");
      CertificateAuthority ca = pki.open();
      CertificateBundle b = ca.issueUser(account.name(), validity);
      CertificateAuthority.writeUserFiles(
          b, dir, new FileOwner(account.name(), account.uid(), account.gid()));
      w.printf(
          "issued a certificate for %s (uid %d), serial %s, valid until %s%n",
          account.name(),
          account.uid(),
          b.certificate().getSerialNumber().toString(16),
          b.certificate().getNotAfter().toInstant());
      w.printf("wrote %s/{ca,cert,key}.pem; %s uses it with:%n", dir, account.name());
      w.printf(
          "  export DOCKER_HOST=tcp://HOST:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=%s%n", dir);
    }
  }

  /** {@code berth pki revoke}. */
  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = {
        "Revoke every valid client certificate of a user and write a new crl.pem.",
        "berth's TLS listener (--tls-crl) picks the new CRL up at the next connection."
      })
  static final class Revoke extends PkiOperation {
    @Parameters(index = "0", paramLabel = "NAME", description = "The user's name.")
    String name;

    @Option(
        names = "--crl-days",
        paramLabel = "N",
        defaultValue = "30",
        description = "How long the new CRL is valid (default: ${DEFAULT-VALUE}).")
    int crlDays;

    @Override
    void run(PrintWriter w) throws PkiException {
      List<IndexEntry> revoked = pki.open().revoke(name, days(crlDays, spec, "--crl-days"));
      for (IndexEntry e : revoked) {
        w.printf("revoked %s serial %s%n", e.name(), e.serialHex());
      }
      w.printf("wrote %s%n", pki.dir.resolve(CertificateAuthority.CRL));
    }
  }

  /** {@code berth pki crl}. */
  @Command(
      name = "crl",
      mixinStandardHelpOptions = true,
      description = {
        "Sign a fresh crl.pem (same revocations, new nextUpdate).",
        "berth refuses every TLS client once its CRL is past nextUpdate: run this from cron "
            + "well before then, e.g. weekly with the default 30 days."
      })
  static final class Crl extends PkiOperation {
    @Option(
        names = "--crl-days",
        paramLabel = "N",
        defaultValue = "30",
        description = "How long the CRL is valid (default: ${DEFAULT-VALUE}).")
    int crlDays;

    @Override
    void run(PrintWriter w) throws PkiException {
      var crl = pki.open().refreshCrl(days(crlDays, spec, "--crl-days"));
      w.printf(
          "wrote %s (next update %s)%n",
          pki.dir.resolve(CertificateAuthority.CRL), crl.getNextUpdate().toInstant());
    }
  }

  /** {@code berth pki list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List the certificates the CA issued: serial, kind, not-after, status, name.")
  static final class ListCommand extends PkiOperation {
    @Override
    void run(PrintWriter w) throws PkiException {
      Instant now = Instant.now();
      for (IndexEntry e : pki.open().index()) {
        String status =
            e.revoked() != null
                ? "revoked " + e.revoked()
                : e.notAfter().isAfter(now) ? "valid" : "expired";
        w.printf(
            "%-34s %-6s %-20s %-30s %s%n",
            e.serialHex(),
            e.kind().name().toLowerCase(Locale.ROOT),
            e.notAfter(),
            status,
            e.name());
      }
    }
  }
}
