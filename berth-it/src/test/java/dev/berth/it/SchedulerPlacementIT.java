package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 item 4 with a real Slurm: a private one-node cluster (Debian's slurmctld and slurmd,
 * scripts/slurm-private.sh: own config, free ports, temp state) runs alice's jobs, and from inside
 * a job the real docker CLI runs a container through berth, whose role has {@code placement: job}.
 * The container's cgroup is under the job's, and cancelling the job removes it (berth's Slurm
 * epilog, packaging/slurm/berth-epilog, through berth's socket). Outside a job, and for GPUs the
 * job was not given, berth refuses with the reason.
 */
class SchedulerPlacementIT {
  private static final Duration JOB_WAIT = Duration.ofSeconds(60);
  private static final Pattern SUBMITTED = Pattern.compile("Submitted batch job ([0-9]+)");

  private static Path slurmDir;
  private static Path slurmConf;
  private static BerthServer berth;
  private static UnixUser alice;

  @BeforeAll
  static void start() throws Exception {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    Path root = ItEnvironment.repoRoot();
    slurmDir = Files.createTempDirectory(Path.of("/tmp"), "bsl-");
    Files.setPosixFilePermissions(slurmDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path out = Files.createDirectory(slurmDir.resolve("out"));
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
    Proc.Result up =
        Proc.run(
            List.of(
                root.resolve("scripts/slurm-private.sh").toString(), "start", slurmDir.toString()),
            null,
            Duration.ofMinutes(5));
    if (!up.ok()) {
      ItEnvironment.unavailable("a private Slurm did not start: " + up.describe());
    }
    slurmConf = slurmDir.resolve("slurm.conf");
    Path policy = slurmDir.resolve("policy.yaml");
    Files.writeString(
        policy,
        PolicyDefaults.text().replace("    scope: own\n", "    scope: own\n    placement: job\n"));
    berth =
        BerthServer.start(
            List.of("env", "SLURM_CONF=" + slurmConf),
            ItEnvironment.upstreamUrl(),
            List.of("--policy", policy.toString()));
    // berth's epilog, pointed at this berth and this docker CLI
    Path epilog = slurmDir.resolve("epilog");
    Files.writeString(
        epilog,
        "#!/bin/sh\nexport BERTH_SOCKET="
            + berth.socket()
            + " DOCKER="
            + ItEnvironment.dockerCli()
            + "\nexec "
            + root.resolve("packaging/slurm/berth-epilog")
            + "\n");
    Files.setPosixFilePermissions(epilog, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @AfterAll
  static void stop() {
    if (berth != null) {
      berth.close();
    }
    if (slurmDir != null) {
      Proc.run(
          List.of(
              ItEnvironment.repoRoot().resolve("scripts/slurm-private.sh").toString(),
              "stop",
              slurmDir.toString()));
      Proc.run(List.of("rm", "-rf", "--one-file-system", slurmDir.toString()));
    }
  }

  /** {@code cmd} as {@code user}, with docker pointed at berth and Slurm's commands at ours. */
  private static List<String> asUser(UnixUser user, List<String> cmd) {
    List<String> full =
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
                "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                "HOME=" + user.home(),
                "USER=" + user.name(),
                "DOCKER_HOST=unix://" + berth.socket(),
                "SLURM_CONF=" + slurmConf));
    full.addAll(cmd);
    return full;
  }

  private static Proc.Result slurm(String... args) {
    List<String> cmd = new ArrayList<>(List.of("env", "SLURM_CONF=" + slurmConf));
    cmd.addAll(List.of(args));
    return Proc.run(cmd);
  }

  private static String submit(String script) {
    Proc.Result r =
        Proc.run(
            asUser(
                alice,
                List.of(
                    "sbatch",
                    "--chdir=/tmp",
                    "--output=" + slurmDir.resolve("out/job-%j.out"),
                    "--wrap",
                    script)));
    assertThat(r.exitCode()).as(r.describe()).isZero();
    Matcher m = SUBMITTED.matcher(r.stdout());
    assertThat(m.find()).as(r.describe()).isTrue();
    return m.group(1);
  }

  private static String jobOutput(String job) {
    try {
      Path out = slurmDir.resolve("out/job-" + job + ".out");
      return Files.exists(out) ? Files.readString(out) : "(no output yet)";
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** The upstream ids of containers placed in {@code job}. */
  private static List<String> containersOfJob(String job) {
    return DockerCli.upstream("ps", "-aq", "--no-trunc", "--filter", "label=dev.berth.job=" + job)
        .stdout()
        .lines()
        .map(String::strip)
        .filter(l -> !l.isEmpty())
        .toList();
  }

  private static List<String> await(String job, boolean present) throws InterruptedException {
    long deadline = System.nanoTime() + JOB_WAIT.toNanos();
    List<String> ids = containersOfJob(job);
    while (ids.isEmpty() == present && System.nanoTime() < deadline) {
      Thread.sleep(500);
      ids = containersOfJob(job);
    }
    return ids;
  }

  @Test
  void job_dockerRunInsideBatchJob_containerUnderJobCgroupAndRemovedWhenJobEnds() throws Exception {
    String job =
        submit(
            ItEnvironment.dockerCli()
                + " run -d "
                + ItEnvironment.image()
                + " sleep 600 && exec sleep 600");
    try {
      List<String> ids = await(job, true);
      assertThat(ids).as("container of job " + job + "; job output:\n" + jobOutput(job)).hasSize(1);
      String id = ids.get(0);
      String parent =
          DockerCli.upstream("inspect", "-f", "{{.HostConfig.CgroupParent}}", id).stdout().strip();
      assertThat(parent).matches("/slurm(_[^/]+)?/uid_" + alice.uid() + "/job_" + job);
      String pid = DockerCli.upstream("inspect", "-f", "{{.State.Pid}}", id).stdout().strip();
      String cgroups = Files.readString(Path.of("/proc", pid, "cgroup"));
      assertThat(cgroups)
          .as(
              "the container's process is in the job's freezer cgroup, "
                  + "Slurm's own (proctrack/cgroup)")
          .contains(":freezer:" + parent + "/" + id);
      assertThat(Files.isDirectory(Path.of("/sys/fs/cgroup/freezer" + parent + "/step_batch")))
          .as("the job's batch step is a sibling of the container")
          .isTrue();
      Proc.Result cancel = slurm("scancel", job);
      assertThat(cancel.exitCode()).as(cancel.describe()).isZero();
      assertThat(await(job, false)).as("containers of cancelled job " + job).isEmpty();
      Path jobCgroup = Path.of("/sys/fs/cgroup/freezer" + parent);
      for (int i = 0; i < 100 && Files.exists(jobCgroup); i++) {
        Thread.sleep(100);
      }
      assertThat(jobCgroup).as("the epilog removes the job's emptied cgroup").doesNotExist();
      assertThat(Files.readString(berth.auditLog()))
          .as("the epilog went through berth")
          .contains("\"user\":\"root\"")
          .contains(id.substring(0, 12));
    } finally {
      slurm("scancel", job);
      DockerCli.upstream(listWith("rm", "-f", containersOfJob(job)));
    }
  }

  @Test
  void job_dockerRunOutsideAnyJob_refusedWithReason() {
    Proc.Result r =
        Proc.run(
            asUser(
                alice,
                List.of(ItEnvironment.dockerCli(), "run", "--rm", ItEnvironment.image(), "true")));
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("placement job").contains("run it inside the job");
  }

  @Test
  void job_gpusNotGivenToTheJob_refusedWithReason() {
    Proc.Result r =
        Proc.run(
            asUser(
                alice,
                List.of(
                    "srun",
                    "--chdir=/tmp",
                    "-N1",
                    "-n1",
                    ItEnvironment.dockerCli(),
                    "run",
                    "--rm",
                    "--gpus",
                    "all",
                    ItEnvironment.image(),
                    "true")),
            null,
            JOB_WAIT);
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).as(r.describe()).contains("was given no GPUs");
  }

  @Test
  void job_srunStep_placedInTheStepsJobAndAudited() throws Exception {
    Proc.Result r =
        Proc.run(
            asUser(
                alice,
                List.of(
                    "srun",
                    "--chdir=/tmp",
                    "-N1",
                    "-n1",
                    ItEnvironment.dockerCli(),
                    "run",
                    "--rm",
                    ItEnvironment.image(),
                    "true")),
            null,
            JOB_WAIT);
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(Files.readString(berth.auditLog()))
        .containsPattern(
            "HostConfig.CgroupParent set to /slurm(_[^/]+)?/uid_"
                + alice.uid()
                + "/job_[0-9]+ "
                + "\\(your job [0-9]+\\)");
  }

  /**
   * {@code placement: user_slice} on a cgroup tree shaped by the test: this machine runs no
   * systemd, so the test makes systemd's user slices itself (in the name=systemd hierarchy on
   * cgroup v1, the unified one on v2) and starts the docker CLI inside one, as logind would.
   * Skipped where a real systemd owns user.slice.
   */
  @Test
  void userSlice_callerInOwnSlice_placedThere_inAnothersSlice_refused() throws Exception {
    Path tree =
        Files.isDirectory(Path.of("/sys/fs/cgroup/systemd"))
            ? Path.of("/sys/fs/cgroup/systemd")
            : Path.of("/sys/fs/cgroup");
    assumeFalse(Files.exists(tree.resolve("user.slice")), "a real systemd owns user.slice");
    UnixUser bob = ItEnvironment.user("bob");
    Path policy = slurmDir.resolve("slice.yaml");
    Files.writeString(
        policy,
        PolicyDefaults.text()
            .replace("    scope: own\n", "    scope: own\n    placement: user_slice\n"));
    BerthServer sliced =
        BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", policy.toString()));
    try {
      Path own = slice(tree, alice);
      Path others = slice(tree, bob);
      Proc.Result r = inCgroup(own, sliced, alice, "run", "--rm", ItEnvironment.image(), "true");
      assertThat(r.exitCode()).as(r.describe()).isZero();
      assertThat(Files.readString(sliced.auditLog()))
          .contains(
              "HostConfig.CgroupParent set to "
                  + "/user.slice/user-"
                  + alice.uid()
                  + ".slice (your user slice)");
      Proc.Result refused =
          inCgroup(others, sliced, alice, "run", "--rm", ItEnvironment.image(), "true");
      assertThat(refused.exitCode()).isNotZero();
      assertThat(refused.stderr())
          .contains("placement user_slice")
          .contains("user slice of uid " + bob.uid());
      Proc.Result outside =
          Proc.run(
              new DockerCli(sliced.socket())
                  .docker(alice, "run", "--rm", ItEnvironment.image(), "true"));
      assertThat(outside.stderr()).contains("not in your user slice");
    } finally {
      sliced.close();
      // what the test and the daemon made in every hierarchy, deepest first
      for (Path h : hierarchies()) {
        for (String uid : List.of(Integer.toString(alice.uid()), Integer.toString(bob.uid()))) {
          Files.deleteIfExists(h.resolve("user.slice/user-" + uid + ".slice/berth-it.scope"));
          Files.deleteIfExists(h.resolve("user.slice/user-" + uid + ".slice"));
        }
        Files.deleteIfExists(h.resolve("user.slice"));
      }
    }
  }

  private static List<Path> hierarchies() throws IOException {
    try (Stream<Path> dirs = Files.list(Path.of("/sys/fs/cgroup"))) {
      List<Path> out = new ArrayList<>(dirs.filter(Files::isDirectory).toList());
      out.add(Path.of("/sys/fs/cgroup"));
      return out;
    }
  }

  /** systemd's {@code user.slice/user-UID.slice/berth-it.scope}, made for the test. */
  private static Path slice(Path tree, UnixUser user) throws IOException {
    Path scope = tree.resolve("user.slice/user-" + user.uid() + ".slice/berth-it.scope");
    Files.createDirectories(scope);
    return scope;
  }

  /** The docker CLI as {@code user} through {@code server}, started inside {@code cgroup}. */
  private static Proc.Result inCgroup(
      Path cgroup, BerthServer server, UnixUser user, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "sh",
                "-c",
                "echo $$ > " + cgroup.resolve("cgroup.procs") + " && exec \"$@\"",
                "sh"));
    cmd.addAll(new DockerCli(server.socket()).docker(user, args));
    return Proc.run(cmd);
  }

  private static String[] listWith(String a, String b, List<String> rest) {
    List<String> all = new ArrayList<>(List.of(a, b));
    all.addAll(rest);
    return all.toArray(String[]::new);
  }
}
