package dev.berth.cli;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.yaml.PolicyException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine;

/**
 * What {@code berth serve} and {@code berth plugin} both run on: the policy in force (reloaded on
 * change and SIGHUP), the audit trail and the owner store, opened in that order and closed after
 * the server on shutdown, so that the last decisions still reach the disk.
 */
final class Services {
  /** The options of both commands that say where these come from (a picocli mixin). */
  static final class Options {
    @CommandLine.Option(
        names = "--policy",
        paramLabel = "FILE",
        description =
            "Policy file (default: the embedded default policy, see 'berth policy "
                + "show'). Reloaded on SIGHUP and when the file changes.")
    Path policy;

    @CommandLine.Option(
        names = "--audit-log",
        paramLabel = "FILE",
        defaultValue = AuditCommand.DEFAULT_FILE,
        description =
            "The audit trail: one hash-chained record per decision (default: "
                + "${DEFAULT-VALUE}). Changes are forwarded only once their record is on disk.")
    Path auditLog;

    @CommandLine.Mixin AuditOptions auditOptions;

    @CommandLine.Option(
        names = "--state-dir",
        paramLabel = "DIR",
        defaultValue = "/var/lib/berth",
        description =
            "Where berth keeps the owners of execs and images, which carry no "
                + "labels (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    /** See {@link Services#open}. */
    Optional<Services> open(UserDirectory users, PrintWriter err) throws IOException {
      return Services.open(policy, users, auditOptions, auditLog, stateDir, err);
    }
  }

  final PolicySource policies;
  final AuditLog audit;
  final OwnerStore owners;

  private Services(PolicySource policies, AuditLog audit, OwnerStore owners) {
    this.policies = policies;
    this.audit = audit;
    this.owners = owners;
  }

  /**
   * Opens everything, or reports an invalid policy on {@code err} and returns empty (berth does not
   * start on a policy it cannot read).
   */
  static Optional<Services> open(
      Path policy,
      UserDirectory users,
      AuditOptions auditOptions,
      Path auditLog,
      Path stateDir,
      PrintWriter err)
      throws IOException {
    PolicySource policies;
    try {
      policies = PolicySource.open(policy, users);
    } catch (PolicyException e) {
      err.println(String.join("\n", e.errors()));
      err.println("berth: not starting: the policy is not valid");
      err.flush();
      return Optional.empty();
    }
    policies.watch();
    AuditLog audit = auditOptions.open(auditLog);
    return Optional.of(new Services(policies, audit, OwnerStore.open(stateDir)));
  }

  /** On SIGTERM or SIGINT: tell systemd, close {@code server}, then the stores. */
  void closeOnShutdown(AutoCloseable server, PrintWriter err) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  Readiness.stopping();
                  try {
                    server.close();
                    owners.close();
                    audit.close();
                  } catch (Exception e) {
                    err.println("berth: shutting down: " + e.getMessage());
                    err.flush();
                  }
                },
                "berth-shutdown"));
  }
}
