package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The docker CLI's everyday commands, side by side: each scenario runs once as alice straight on
 * the daemon (alice with the socket's group added, i.e. a member of the {@code docker} group: what
 * berth replaces) and once as alice through berth, with the same asserted outcome.
 *
 * <p>Every scenario must pass on both sides. The commands that berth refuses by a documented rule
 * ({@link #DOCUMENTED_REFUSALS}) are asserted as such: on the daemon they work, through berth they
 * fail with the rule's message; the README lists the same rules. A scenario that passes on the
 * daemon and fails through berth for any other reason is a berth bug.
 */
class CliCompatIT extends ItBase {
  /** The refusals a CLI user meets in this suite, by the message fragment that names the rule. */
  static final List<String> DOCUMENTED_REFUSALS = List.of();

  /** Where the CLI talks to. */
  enum Side {
    DAEMON,
    BERTH
  }

  private final List<String> networks = new ArrayList<>();
  private final List<String> volumes = new ArrayList<>();
  private final List<String> images = new ArrayList<>();
  private final List<Path> dirs = new ArrayList<>();

  @AfterEach
  void removeOthers() throws IOException {
    DockerCli.removeAllOfThisRun();
    for (String n : networks) {
      DockerCli.upstream("network", "rm", n);
    }
    for (String v : volumes) {
      DockerCli.upstream("volume", "rm", "-f", v);
    }
    for (String i : images) {
      // A tag alice made through berth lives in her namespace on the daemon (issue 13): only
      // she, through berth, names it as she gave it.
      docker.run(alice, "rmi", "-f", i);
      DockerCli.upstream("rmi", "-f", i);
    }
    for (Path d : dirs) {
      Proc.run(List.of("rm", "-rf", d.toString()));
    }
  }

  private DockerCli cli(Side side) {
    return side == Side.BERTH
        ? docker
        : DockerCli.dockerGroupMember(ItEnvironment.upstreamSocket(), "docker");
  }

  private Proc.Result ok(Side side, String... args) {
    Proc.Result r = cli(side).run(alice, args);
    assertThat(r.exitCode()).as("%s: %s", side, r.describe()).isZero();
    return r;
  }

  private String network(String hint) {
    String n = ItEnvironment.uniqueName(hint);
    networks.add(n);
    return n;
  }

  private String volume(String hint) {
    String n = ItEnvironment.uniqueName(hint);
    volumes.add(n);
    return n;
  }

  private String imageRef(String hint) {
    String n = ItEnvironment.uniqueName(hint) + ":t1";
    images.add(n);
    return n;
  }

  /** A fresh directory owned by alice (0700), removed after the test. */
  private Path aliceDir() throws IOException {
    Path d =
        Files.createTempDirectory(
            Path.of("/tmp"),
            "it-compat-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    dirs.add(d);
    Proc.run(List.of("chown", alice.uid() + ":" + alice.gid(), d.toString()));
    return d;
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void runDetached_logsFollow_printsEverythingUntilExit(Side side) {
    String name = container("logs");
    ok(side, "run", "-d", "--name", name, image, "sh", "-c", "echo one; sleep 1; echo two");
    Proc.Result logs = ok(side, "logs", "-f", name);
    assertThat(logs.stdout()).isEqualTo("one\ntwo\n");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void runInteractiveTty_stdinIsATerminal(Side side) {
    String name = container("tty");
    Proc.Result r =
        Proc.run(
            ptyCommand(
                side,
                "run",
                "--rm",
                "-it",
                "--name",
                name,
                image,
                "sh",
                "-c",
                "test -t 0 && echo tty-yes"),
            null,
            ItEnvironment.PROCESS_TIMEOUT);
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout()).as(r.describe()).contains("tty-yes");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void execInteractiveTty_runsInTheContainer(Side side) {
    String name = container("exec");
    ok(side, "run", "-d", "--name", name, image, "sleep", "60");
    Proc.Result r =
        Proc.run(
            ptyCommand(side, "exec", "-it", name, "sh", "-c", "test -t 0 && echo exec-$((40+2))"),
            null,
            ItEnvironment.PROCESS_TIMEOUT);
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout()).as(r.describe()).contains("exec-42");
    Proc.Result plain = ok(side, "exec", name, "cat", "/proc/1/cmdline");
    assertThat(plain.stdout()).startsWith("sleep");
  }

  private List<String> ptyCommand(Side side, String... args) {
    return cli(side).dockerInPty(alice, args);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void attach_typesIntoTheContainerAndSeesItsExit(Side side) {
    String name = container("attach");
    ok(side, "run", "-d", "-i", "--name", name, image, "sh", "-c", "read x; echo got:$x; exit 3");
    try (Proc.Running attach = cli(side).start(alice, "attach", name)) {
      boolean answered = false;
      for (int i = 0; i < 10 && !answered; i++) {
        attach.write("ping\n");
        answered = attach.awaitStdout("got:ping", Duration.ofSeconds(2));
      }
      assertThat(answered).as("stdout: %s stderr: %s", attach.stdout(), attach.stderr()).isTrue();
      Proc.Result r = attach.waitFor(Duration.ofSeconds(20));
      assertThat(r.exitCode()).as(r.describe()).isEqualTo(3);
    }
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void cp_intoAndOutOfAContainer_roundTrips(Side side) throws IOException {
    Path dir = aliceDir();
    Path in = dir.resolve("in.txt");
    Files.writeString(in, "payload\n");
    Proc.run(List.of("chown", alice.uid() + ":" + alice.gid(), in.toString()));
    String name = container("cp");
    ok(side, "run", "-d", "--name", name, image, "sleep", "60");
    ok(side, "cp", in.toString(), name + ":/tmp/in.txt");
    assertThat(ok(side, "exec", name, "cat", "/tmp/in.txt").stdout()).isEqualTo("payload\n");
    ok(side, "cp", name + ":/tmp/in.txt", dir.resolve("out.txt").toString());
    assertThat(Files.readString(dir.resolve("out.txt"))).isEqualTo("payload\n");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void statsTopInspect_describeARunningContainer(Side side) {
    String name = container("stats");
    ok(side, "run", "-d", "--name", name, image, "sleep", "60");
    assertThat(ok(side, "stats", "--no-stream", "--format", "{{.Name}}", name).stdout().strip())
        .isEqualTo(name);
    assertThat(ok(side, "top", name).stdout()).contains("sleep 60");
    assertThat(
            ok(side, "inspect", "--format", "{{.State.Running}} {{.Name}}", name).stdout().strip())
        .isEqualTo("true /" + name);
    assertThat(
            ok(side, "container", "ls", "--filter", "name=" + name, "--format", "{{.Names}}")
                .stdout()
                .strip())
        .isEqualTo(name);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void renameRestartPause_changeTheContainersState(Side side) {
    String name = container("state");
    String renamed = container("renamed");
    // --network none: this test daemon has no default bridge, and renaming a container on the
    // default network fails on the daemon itself ("network bridge not found").
    ok(side, "run", "-d", "--name", name, "--network", "none", image, "sleep", "60");
    ok(side, "rename", name, renamed);
    ok(side, "restart", "-t", "1", renamed);
    ok(side, "pause", renamed);
    assertThat(ok(side, "inspect", "--format", "{{.State.Status}}", renamed).stdout().strip())
        .isEqualTo("paused");
    ok(side, "unpause", renamed);
    assertThat(
            ok(side, "inspect", "--format", "{{.RestartCount}} {{.State.Status}}", renamed)
                .stdout()
                .strip())
        .endsWith("running");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void wait_returnsTheExitCode(Side side) {
    String name = container("wait");
    ok(side, "run", "-d", "--name", name, image, "sh", "-c", "sleep 1; exit 7");
    assertThat(ok(side, "wait", name).stdout().strip()).isEqualTo("7");
    ok(side, "rm", "-v", name);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void port_publishedOnLoopback_isListed(Side side) {
    String net = network("port");
    ok(side, "network", "create", net);
    String name = container("port");
    ok(
        side,
        "run",
        "-d",
        "--name",
        name,
        "--network",
        net,
        "-p",
        "127.0.0.1::8080",
        image,
        "sleep",
        "60");
    assertThat(ok(side, "port", name, "8080").stdout().strip()).matches("127\\.0\\.0\\.1:\\d+");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void healthcheck_becomesHealthy(Side side) throws InterruptedException {
    String name = container("health");
    ok(
        side,
        "run",
        "-d",
        "--name",
        name,
        "--health-cmd",
        "true",
        "--health-interval",
        "1s",
        "--health-start-period",
        "0s",
        image,
        "sleep",
        "60");
    String status = "";
    for (int i = 0; i < 30 && !status.equals("healthy"); i++) {
      Thread.sleep(500);
      status = ok(side, "inspect", "--format", "{{.State.Health.Status}}", name).stdout().strip();
    }
    assertThat(status).isEqualTo("healthy");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void init_runsTheCommandUnderAnInitProcess(Side side) {
    Proc.Result r =
        ok(side, "run", "--rm", "--init", image, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '");
    assertThat(r.stdout()).contains("sh -c").doesNotStartWith("sh");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void readOnly_rootIsReadOnlyTmpfsIsWritable(Side side) {
    Proc.Result ro = cli(side).run(alice, "run", "--rm", "--read-only", image, "touch", "/x");
    assertThat(ro.exitCode()).as(ro.describe()).isNotZero();
    assertThat(ro.stderr()).contains("Read-only file system");
    ok(side, "run", "--rm", "--read-only", "--tmpfs", "/scratch", image, "touch", "/scratch/x");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void limits_areAppliedAsAsked(Side side) {
    String name = container("limits");
    ok(
        side,
        "run",
        "-d",
        "--name",
        name,
        "-m",
        "64m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "100",
        image,
        "sleep",
        "60");
    assertThat(
            ok(
                    side,
                    "inspect",
                    "--format",
                    "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}",
                    name)
                .stdout()
                .strip())
        .isEqualTo("67108864 500000000 100");
    ok(side, "update", "--memory", "128m", "--memory-swap", "256m", name);
    assertThat(ok(side, "inspect", "--format", "{{.HostConfig.Memory}}", name).stdout().strip())
        .isEqualTo("134217728");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void networks_createConnectInspectRemove(Side side) {
    String net = network("net");
    ok(side, "network", "create", "--label", "app=compat", net);
    assertThat(ok(side, "network", "ls", "--format", "{{.Name}}").stdout().lines()).contains(net);
    String a = container("net-a");
    String b = container("net-b");
    ok(
        side,
        "run",
        "-d",
        "--name",
        a,
        "--network",
        net,
        "--network-alias",
        "db",
        image,
        "sleep",
        "60");
    ok(side, "run", "-d", "--name", b, image, "sleep", "60");
    ok(side, "network", "connect", "--alias", "web", net, b);
    assertThat(ok(side, "exec", b, "cat", "/etc/hosts").stdout()).isNotEmpty();
    assertThat(
            ok(side, "network", "inspect", "--format", "{{len .Containers}}", net).stdout().strip())
        .isEqualTo("2");
    ok(side, "network", "disconnect", net, b);
    ok(side, "rm", "-f", a, b);
    ok(side, "network", "rm", net);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void ownContainers_linkVolumesFromAndNamespacesJoin(Side side) {
    String net = network("own");
    ok(side, "network", "create", net);
    String a = container("own-a");
    ok(side, "run", "-d", "--name", a, "--network", net, "-v", "/shared", image, "sleep", "60");
    ok(side, "run", "--rm", "--volumes-from", a, image, "sh", "-c", "echo x > /shared/f");
    assertThat(ok(side, "exec", a, "cat", "/shared/f").stdout()).isEqualTo("x\n");
    ok(side, "run", "--rm", "--network", net, "--link", a + ":db", image, "true");
    ok(side, "run", "--rm", "--network", "container:" + a, image, "true");
    assertThat(
            ok(side, "run", "--rm", "--pid", "container:" + a, image, "ps", "-o", "args").stdout())
        .contains("sleep 60");
    ok(side, "run", "--rm", "--log-driver", "none", image, "true");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void volumes_aNamedVolumeIsWritableByTheContainersThatMountIt(Side side) {
    String vol = volume("vol");
    ok(side, "volume", "create", "--label", "app=compat", vol);
    ok(side, "run", "--rm", "-v", vol + ":/data", image, "sh", "-c", "echo kept > /data/f");
    assertThat(ok(side, "run", "--rm", "-v", vol + ":/data:ro", image, "cat", "/data/f").stdout())
        .isEqualTo("kept\n");
    assertThat(ok(side, "volume", "ls", "--format", "{{.Name}}").stdout().lines()).contains(vol);
    assertThat(ok(side, "volume", "inspect", "--format", "{{.Labels.app}}", vol).stdout().strip())
        .isEqualTo("compat");
    ok(side, "volume", "rm", vol);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void volumes_implicitAndAnonymousVolumesAreWritable(Side side) {
    String vol = volume("implicit");
    ok(side, "run", "--rm", "-v", vol + ":/data", image, "sh", "-c", "echo a > /data/f");
    String name = container("anon");
    ok(side, "run", "--name", name, "-v", "/data", image, "sh", "-c", "echo b > /data/f");
    ok(side, "rm", "-v", name);
    ok(side, "volume", "rm", vol);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void tagCommitHistory_makeAndDescribeImages(Side side) {
    String tagged = imageRef("tag");
    ok(side, "tag", image, tagged);
    String name = container("commit");
    ok(side, "run", "--name", name, image, "sh", "-c", "echo c > /tmp/committed");
    String committed = imageRef("commit");
    ok(side, "commit", "-c", "ENV COMPAT=1", "-c", "LABEL compat=yes", name, committed);
    assertThat(
            ok(side, "image", "inspect", "--format", "{{.Config.Labels.compat}}", committed)
                .stdout()
                .strip())
        .isEqualTo("yes");
    assertThat(
            ok(side, "run", "--rm", committed, "sh", "-c", "echo $COMPAT; cat /tmp/committed")
                .stdout())
        .isEqualTo("1\nc\n");
    assertThat(ok(side, "history", "--format", "{{.CreatedBy}}", committed).stdout()).isNotBlank();
    assertThat(ok(side, "images", "--format", "{{.Repository}}:{{.Tag}}").stdout().lines())
        .contains(tagged, committed);
    ok(side, "rmi", committed, tagged);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void saveLoad_roundTripsAnImage(Side side) throws IOException {
    Path dir = aliceDir();
    String tagged = imageRef("save");
    ok(side, "tag", image, tagged);
    String archive = dir.resolve("img.tar").toString();
    ok(side, "save", "-o", archive, tagged, image);
    ok(side, "rmi", tagged);
    assertThat(ok(side, "load", "-i", archive).stdout()).contains("Loaded image: " + tagged);
    assertThat(ok(side, "run", "--rm", tagged, "echo", "loaded").stdout()).isEqualTo("loaded\n");
    ok(side, "rmi", tagged);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void exportImport_makesAnImageFromAContainer(Side side) throws IOException {
    Path dir = aliceDir();
    String name = container("export");
    ok(side, "create", "--name", name, image, "true");
    String archive = dir.resolve("fs.tar").toString();
    ok(side, "export", "-o", archive, name);
    String imported = imageRef("import");
    ok(side, "import", "--change", "ENV IMPORTED=yes", archive, imported);
    assertThat(ok(side, "run", "--rm", imported, "sh", "-c", "echo $IMPORTED").stdout())
        .isEqualTo("yes\n");
    ok(side, "rmi", imported);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void systemDfAndPrune_completeForTheCallersObjects(Side side) {
    String label = "it.compat=" + ItEnvironment.RUN_ID;
    String name = container("prune");
    ok(side, "create", "--name", name, "--label", label, image, "true");
    assertThat(ok(side, "system", "df").stdout()).contains("Images", "Containers");
    ok(side, "system", "prune", "-f", "--filter", "label=" + label);
    assertThat(existsUpstream(name)).isFalse();
    ok(side, "container", "prune", "-f", "--filter", "label=" + label);
    ok(side, "network", "prune", "-f", "--filter", "label=" + label);
    ok(side, "volume", "prune", "-f", "--filter", "label=" + label);
    ok(side, "image", "prune", "-f", "--filter", "label=" + label);
    ok(side, "builder", "prune", "-f");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void events_showTheCallersContainerLifecycle(Side side) {
    String since = Long.toString(Instant.now().getEpochSecond() - 1);
    String name = container("events");
    ok(side, "run", "--name", name, image, "true");
    String until = Long.toString(Instant.now().getEpochSecond() + 1);
    Proc.Result ev =
        ok(
            side,
            "events",
            "--since",
            since,
            "--until",
            until,
            "--filter",
            "container=" + name,
            "--format",
            "{{.Action}}");
    assertThat(ev.stdout().lines()).contains("create", "start", "die");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void context_createUseAndRemove(Side side) throws IOException {
    Path config = aliceDir();
    String ctx = "compat-" + ItEnvironment.RUN_ID;
    String host = side == Side.BERTH ? "unix://" + berth().socket() : ItEnvironment.upstreamUrl();
    ok(side, "--config", config.toString(), "context", "create", ctx, "--docker", "host=" + host);
    assertThat(
            ok(
                    side,
                    "--config",
                    config.toString(),
                    "--context",
                    ctx,
                    "version",
                    "--format",
                    "{{.Server.APIVersion}}")
                .stdout()
                .strip())
        .matches("1\\.\\d+");
    ok(side, "--config", config.toString(), "context", "use", ctx);
    ok(side, "--config", config.toString(), "ps");
    ok(side, "--config", config.toString(), "context", "use", "default");
    ok(side, "--config", config.toString(), "context", "rm", ctx);
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void swarm_nodeInNoSwarm_theDaemonsOwnAnswers(Side side) {
    Proc.Result leave = cli(side).run(alice, "swarm", "leave", "--force");
    assertThat(leave.exitCode()).as(leave.describe()).isNotZero();
    assertThat(leave.stderr())
        .as(leave.describe())
        .contains("Error response from daemon: This node is not part of a swarm");
    Proc.Result services = cli(side).run(alice, "service", "ls");
    assertThat(services.exitCode()).as(services.describe()).isNotZero();
    assertThat(services.stderr()).as(services.describe()).contains("is not a swarm manager");
  }

  @ParameterizedTest
  @EnumSource(Side.class)
  void inspect_unknownObject_saysNoSuchObject(Side side) {
    Proc.Result r = cli(side).run(alice, "inspect", "it-compat-does-not-exist");
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).as(r.describe()).contains("No such object");
  }
}
