package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.policy.yaml.PolicyDefaults;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue #8 through the real CLI: a quota stops the N+1th container, and a role in audit-only mode
 * lets a would-be refusal through and records it as such.
 */
class RolloutIT {
  private static BerthServer quota;
  private static BerthServer auditOnly;
  private static UnixUser alice;
  private static UnixUser bob;

  @BeforeAll
  static void start() throws Exception {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    bob = ItEnvironment.user("bob");
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "bro-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    String base = RolePolicy.defaultUserRole();
    Path quotaPolicy = dir.resolve("quota.yaml");
    Files.writeString(quotaPolicy, base.replace("ROLE_EXTRA", "quota: {containers: 2}"));
    Path auditPolicy = dir.resolve("audit-only.yaml");
    Files.writeString(auditPolicy, base.replace("ROLE_EXTRA", "mode: audit-only"));
    quota =
        BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", quotaPolicy.toString()));
    auditOnly =
        BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", auditPolicy.toString()));
  }

  @AfterAll
  static void stop() {
    for (BerthServer s : new BerthServer[] {quota, auditOnly}) {
      if (s != null) {
        s.close();
      }
    }
  }

  @Test
  void quota_thirdRunningContainer_refusedWithClearError() {
    DockerCli cli = new DockerCli(quota.socket());
    List<String> names =
        List.of(
            ItEnvironment.uniqueName("q"),
            ItEnvironment.uniqueName("q"),
            ItEnvironment.uniqueName("q"));
    try {
      for (int i = 0; i < 2; i++) {
        Proc.Result r =
            cli.run(
                bob, "run", "-d", "--name", names.get(i), ItEnvironment.image(), "sleep", "120");
        assertThat(r.exitCode()).as(r.describe()).isZero();
      }
      Proc.Result third =
          cli.run(bob, "run", "-d", "--name", names.get(2), ItEnvironment.image(), "sleep", "120");
      assertThat(third.exitCode()).isNotZero();
      assertThat(third.stderr())
          .contains("quota exceeded")
          .contains("running containers are limited to 2 (2 running)");
      // another user's quota is their own
      Proc.Result alices = cli.run(alice, "run", "--rm", ItEnvironment.image(), "true");
      assertThat(alices.exitCode()).as(alices.describe()).isZero();
      // stopping one makes room
      assertThat(cli.run(bob, "rm", "-f", names.get(0)).exitCode()).isZero();
      Proc.Result again = cli.run(bob, "start", names.get(2));
      assertThat(again.exitCode()).as(again.describe()).isZero();
    } finally {
      for (String n : names) {
        cli.run(bob, "rm", "-f", n);
      }
    }
  }

  @Test
  void auditOnly_wouldBeRefusal_allowedAndRecorded() throws Exception {
    DockerCli cli = new DockerCli(auditOnly.socket());
    Proc.Result r =
        cli.run(alice, "run", "--rm", "--cap-add", "SYS_ADMIN", ItEnvironment.image(), "true");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    String audit = Files.readString(auditOnly.socket().resolveSibling("audit.jsonl"));
    assertThat(audit)
        .contains("\"rule\":\"audit_only\"")
        .contains("audit-only: would be refused by container_create")
        .contains("\"user\":\"alice\"");
  }

  /** The embedded default policy's user role, with a placeholder for one more role key. */
  private static final class RolePolicy {
    static String defaultUserRole() {
      String text = PolicyDefaults.text();
      return text.replace("    scope: own\n", "    scope: own\n    ROLE_EXTRA\n");
    }
  }
}
