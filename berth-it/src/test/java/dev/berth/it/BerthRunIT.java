package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue #8: {@code berth run} as a real user through berth: the user's name and groups inside,
 * files written in {@code $PWD} owned by the user, and a profile that grants exactly its mounts.
 *
 * <p>The user runs berth's jars from a world-readable copy (the checkout may sit in root's home),
 * with the same JDK the launcher would use.
 */
class BerthRunIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static BerthServer berth;
  private static Path dir;
  private static Path scratch;
  private static Path other;
  private static UnixUser alice;

  @BeforeAll
  static void start() throws Exception {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    dir = Files.createTempDirectory(Path.of("/tmp"), "brr-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path root = ItEnvironment.repoRoot();
    Files.createDirectories(dir.resolve("lib"));
    Files.copy(root.resolve("berth-cli/target/berth-cli.jar"), dir.resolve("berth-cli.jar"));
    try (Stream<Path> jars = Files.list(root.resolve("berth-cli/target/lib"))) {
      for (Path j : jars.toList()) {
        Files.copy(
            j, dir.resolve("lib").resolve(j.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    scratch = Files.createDirectories(dir.resolve("scratch"));
    other = Files.createDirectories(dir.resolve("other"));
    Files.writeString(scratch.resolve("shared.txt"), "from the site\n");
    Files.writeString(other.resolve("hidden.txt"), "not in any profile\n");
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        PolicyDefaults.text()
            .replace(
                "roles:\n",
                "profiles:\n  scratch:\n    mounts: [\""
                    + scratch
                    + ":/scratch:ro\"]\n    env: [SCRATCH=/scratch]\nroles:\n")
            .replace("    scope: own\n", "    scope: own\n    profiles: [scratch]\n"));
    berth = BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", policy.toString()));
  }

  @AfterAll
  static void stop() {
    if (berth != null) {
      berth.close();
    }
  }

  /** {@code berth run ARGS} as {@code user} in {@code cwd}. */
  private static Proc.Result berthRun(UnixUser user, Path cwd, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid",
                Integer.toString(user.uid()),
                "--regid",
                Integer.toString(user.gid()),
                "--init-groups",
                "env",
                "-i",
                "PATH=/usr/local/bin:/usr/bin:/bin",
                "HOME=" + user.home(),
                "LANG=C.UTF-8",
                "DOCKER_HOST=unix://" + berth.socket(),
                "/bin/sh",
                "-c",
                "cd '" + cwd + "' && exec \"$@\"",
                "berth-run",
                javaHome() + "/bin/java",
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-cp",
                dir.resolve("berth-cli.jar") + ":" + dir.resolve("lib") + "/*",
                "dev.berth.cli.BerthCommand",
                "run"));
    cmd.addAll(List.of(args));
    return Proc.run(cmd, null, TIMEOUT);
  }

  private static String javaHome() {
    String home = System.getProperty("java.home");
    return home;
  }

  /** A directory of alice's, inside her home (which the default policy lets her mount). */
  private static Path workDir() throws IOException {
    Path work = Files.createDirectories(Path.of(alice.home(), "berth-run-" + ItEnvironment.RUN_ID));
    Files.setAttribute(work, "unix:uid", alice.uid());
    Files.setAttribute(work, "unix:gid", alice.gid());
    return work;
  }

  @Test
  void run_showsTheUsersNameAndGroupsInside() throws Exception {
    Proc.Result r =
        berthRun(
            alice,
            workDir(),
            "--rm",
            ItEnvironment.image(),
            "sh",
            "-c",
            "whoami; id -un; id -gn; id -Gn; echo $HOME; pwd");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    List<String> lines = r.stdout().strip().lines().toList();
    Proc.Result groups = Proc.run(List.of("id", "-Gn", alice.name()));
    assertThat(lines.get(0)).isEqualTo(alice.name());
    assertThat(lines.get(1)).isEqualTo(alice.name());
    assertThat(List.of(lines.get(3).split(" ")))
        .containsExactlyInAnyOrder(groups.stdout().strip().split(" "));
    assertThat(lines.get(4)).isEqualTo(alice.home());
  }

  @Test
  void run_filesWrittenInPwd_ownedByTheUser() throws Exception {
    Path work = workDir();
    Proc.Result r =
        berthRun(
            alice, work, "--rm", ItEnvironment.image(), "sh", "-c", "echo hello > made-inside.txt");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    Path made = work.resolve("made-inside.txt");
    assertThat(made).hasContent("hello");
    assertThat(Files.getAttribute(made, "unix:uid", LinkOption.NOFOLLOW_LINKS))
        .isEqualTo(alice.uid());
    assertThat(Files.getAttribute(made, "unix:gid", LinkOption.NOFOLLOW_LINKS))
        .isEqualTo(alice.gid());
  }

  @Test
  void run_outsideHome_worksWithoutMountingItAndSaysSo() throws Exception {
    // /tmp is outside alice's home: mounting it would be refused by the default policy
    Proc.Result r = berthRun(alice, Path.of("/tmp"), "--rm", ItEnvironment.image(), "pwd");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout().strip()).isEqualTo(alice.home());
    assertThat(r.stderr()).contains("/tmp is outside your home, so it is not mounted");
  }

  @Test
  void profile_grantsExactlyItsMounts() throws Exception {
    Proc.Result with =
        berthRun(
            alice,
            workDir(),
            "--profile",
            "scratch",
            "--rm",
            ItEnvironment.image(),
            "sh",
            "-c",
            "cat /scratch/shared.txt; echo $SCRATCH; "
                + "touch /scratch/x 2>/dev/null && echo writable || echo read-only; "
                + "ls "
                + other
                + " 2>&1 || true");
    assertThat(with.exitCode()).as(with.describe()).isZero();
    assertThat(with.stdout())
        .contains("from the site", "/scratch", "read-only")
        .doesNotContain("hidden.txt");
    Proc.Result without =
        berthRun(
            alice,
            workDir(),
            "--rm",
            ItEnvironment.image(),
            "sh",
            "-c",
            "ls /scratch 2>&1 || echo no-scratch");
    assertThat(without.stdout()).contains("no-scratch");
    Proc.Result ungranted =
        berthRun(alice, workDir(), "--profile", "gpu", "--rm", ItEnvironment.image(), "true");
    assertThat(ungranted.exitCode()).isNotZero();
    assertThat(ungranted.stderr()).contains("profile \"gpu\" is not granted");
  }

  @Test
  void print_showsTheDockerCommandWithoutRunningIt() throws Exception {
    Proc.Result r = berthRun(alice, workDir(), "--print", "--rm", ItEnvironment.image(), "id");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout())
        .startsWith("docker run --user " + alice.uid() + ":" + alice.gid())
        .contains("--security-opt no-new-privileges", "-w ");
  }
}
