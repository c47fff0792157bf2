package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.berth.audit.AuditFiles;
import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.testing.FakeDockerd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A caller who logged in as alice and runs {@code sudo -u bob docker ps} is recorded as bob with
 * alice's login uid: berth reads the kernel's {@code /proc/PID/loginuid} of the calling process,
 * which sudo does not change and the caller cannot.
 *
 * <p>The login is simulated the way {@code pam_loginuid} makes it: a root process writes alice's
 * uid to its own {@code /proc/self/loginuid}, then becomes alice ({@code setpriv}), who runs {@code
 * sudo -u bob} under a sudoers rule that exists for the test only. That needs the kernel's audit
 * support; without it the test is skipped, saying so. A {@link FakeDockerd} stands in for the
 * daemon. Needs root, sudo ({@code scripts/test} installs it), the docker CLI and the users alice
 * and bob.
 */
class AuditSudoIT {
  private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private Path dir;
  private FakeDockerd upstream;
  private Path sudoers;

  @BeforeEach
  void environment() throws IOException {
    if (!"root".equals(System.getProperty("user.name"))) {
      ItEnvironment.unavailable("the test sets a login uid and writes a sudoers rule: needs root");
    }
    if (!Files.isExecutable(Path.of("/usr/bin/sudo"))) {
      ItEnvironment.unavailable(
          "/usr/bin/sudo is missing (apt-get install sudo; scripts/test " + "installs it)");
    }
    Proc.Result probe = Proc.run(List.of("sh", "-c", "echo 0 > /proc/self/loginuid"));
    assumeTrue(
        probe.ok(),
        "cannot set a login uid ("
            + probe.stderr().strip()
            + "): the "
            + "kernel lacks audit support (CONFIG_AUDITSYSCALL) or login uids are immutable "
            + "(loginuid_immutable), so a login cannot be simulated here");
    dir = Files.createTempDirectory(Path.of("/tmp"), "bsudo-");
    upstream = new FakeDockerd(dir.resolve("up.sock"));
  }

  @AfterEach
  void cleanUp() throws IOException {
    if (sudoers != null) {
      Files.deleteIfExists(sudoers);
    }
    if (upstream != null) {
      upstream.close();
    }
    if (dir != null) {
      Files.deleteIfExists(dir);
    }
  }

  @Test
  void sudoAsBob_afterLoginAsAlice_recordedAsBobWithAlicesLoginUid() throws Exception {
    UnixUser alice = ItEnvironment.user("alice");
    UnixUser bob = ItEnvironment.user("bob");
    String docker = ItEnvironment.dockerCli();
    sudoers = Path.of("/etc/sudoers.d/berth-it-" + ItEnvironment.RUN_ID);
    Files.writeString(sudoers, "alice ALL=(bob) NOPASSWD: " + docker + "\n");
    Files.setPosixFilePermissions(sudoers, PosixFilePermissions.fromString("r--r-----"));
    Proc.Result check = Proc.run(List.of("visudo", "-cf", sudoers.toString()));
    assertThat(check.ok()).as(check.describe()).isTrue();

    try (BerthServer berth =
        BerthServer.start(upstream.url(), List.of("--audit-anchors", "none"))) {
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  "sh",
                  "-c",
                  "echo \"$1\" > /proc/self/loginuid && shift && exec \"$@\"",
                  "sh",
                  Integer.toString(alice.uid()),
                  "setpriv",
                  "--reuid",
                  Integer.toString(alice.uid()),
                  "--regid",
                  Integer.toString(alice.gid()),
                  "--init-groups",
                  "env",
                  "-i",
                  "PATH=" + PATH,
                  "HOME=" + alice.home(),
                  "USER=alice",
                  "LOGNAME=alice",
                  "sudo",
                  "-n",
                  "-u",
                  "bob",
                  docker,
                  "-H",
                  "unix://" + berth.socket(),
                  "ps"));
      Proc.Result ps = Proc.run(cmd);
      assertThat(ps.ok()).as(ps.describe()).isTrue();
      assertThat(ps.stdout()).as(ps.describe()).startsWith("CONTAINER ID");

      JsonNode record = awaitRecord(berth.auditLog(), "/containers/json");
      JsonNode who = record.path("principal");
      assertThat(who.path("user").asText()).as(record.toString()).isEqualTo("bob");
      assertThat(who.path("uid").asInt()).as(record.toString()).isEqualTo(bob.uid());
      assertThat(who.path("loginUid").asInt(-1)).as(record.toString()).isEqualTo(alice.uid());
      assertThat(record.path("decision").asText()).isEqualTo("allow");
    }
  }

  /** The decision record of a request for {@code path} (reads are recorded just after). */
  private static JsonNode awaitRecord(Path trail, String path) throws Exception {
    var json = JsonMapper.builder().build();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : AuditFiles.records(trail)) {
        JsonNode n = json.readTree(line);
        if (n.path("path").asText().equals(path)) {
          return n;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no record of " + path + " in " + trail);
  }
}
