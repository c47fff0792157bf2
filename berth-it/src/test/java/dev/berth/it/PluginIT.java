package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Plugin mode end to end (issue #7): a private dockerd started with {@code
 * --authorization-plugin=berth --tlsverify} on a TCP port, berth's plugin in front of its
 * decisions, and alice and bob with client certificates of their own, through the real CLI.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PluginIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static Path dir;
  private static Path daemonDir;
  private static Proc.Running plugin;
  private static String host;
  private static UnixUser alice;
  private static UnixUser bob;

  @BeforeAll
  static void start() throws Exception {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    bob = ItEnvironment.user("bob");
    dir = Files.createTempDirectory(Path.of("/tmp"), "bpl-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    daemonDir = Files.createTempDirectory(Path.of("/tmp"), "bpd-");
    Path root = ItEnvironment.repoRoot();
    pki("init", "--dir", dir.resolve("ca").toString());
    pki(
        "server",
        "--dir",
        dir.resolve("ca").toString(),
        "--san",
        "IP:127.0.0.1",
        "--san",
        "DNS:localhost",
        "--out",
        dir.resolve("server").toString());
    for (UnixUser u : List.of(alice, bob)) {
      pki(
          "user",
          u.name(),
          "--dir",
          dir.resolve("ca").toString(),
          "--out",
          dir.resolve(u.name()).toString());
    }
    plugin =
        Proc.start(
            List.of(
                root.resolve("berth").toString(),
                "plugin",
                "--crl",
                dir.resolve("ca/crl.pem").toString(),
                "--socket",
                dir.resolve("berth.sock").toString(),
                "--docker",
                daemonDir.resolve("docker.sock").toString(),
                "--audit-log",
                dir.resolve("audit.jsonl").toString(),
                "--state-dir",
                dir.resolve("state").toString()));
    for (int i = 0; i < 300 && !Files.exists(dir.resolve("berth.sock")); i++) {
      Thread.sleep(100);
    }
    assertThat(dir.resolve("berth.sock")).as("plugin socket").exists();
    // The daemon finds the plugin through a spec file in its own /etc/docker/plugins.
    Files.createDirectories(daemonDir.resolve("etc/plugins"));
    Files.writeString(
        daemonDir.resolve("etc/plugins/berth.spec"), "unix://" + dir.resolve("berth.sock") + "\n");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    host = "tcp://127.0.0.1:" + port;
    ProcessBuilder pb =
        new ProcessBuilder(
            root.resolve("scripts/dockerd-private.sh").toString(),
            "start",
            daemonDir.toString(),
            engine());
    pb.environment()
        .put(
            "BERTH_DOCKERD_ARGS",
            "--authorization-plugin=berth --tlsverify"
                + " --tlscacert "
                + dir.resolve("ca/ca.pem")
                + " --tlscert "
                + dir.resolve("server/berth-cert.pem")
                + " --tlskey "
                + dir.resolve("server/berth-key.pem")
                + " -H "
                + host);
    pb.redirectErrorStream(true).redirectOutput(dir.resolve("dockerd-start.log").toFile());
    int rc = pb.start().waitFor();
    assertThat(rc).as(Files.readString(dir.resolve("dockerd-start.log"))).isZero();
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemonDir != null) {
      new ProcessBuilder(
              ItEnvironment.repoRoot().resolve("scripts/dockerd-private.sh").toString(),
              "clean",
              daemonDir.toString())
          .inheritIO()
          .start()
          .waitFor();
    }
    if (plugin != null) {
      plugin.close();
    }
  }

  /** {@code berth pki ARGS}, as root, from the checkout. */
  private static void pki(String... args) {
    List<String> cmd =
        new ArrayList<>(List.of(ItEnvironment.repoRoot().resolve("berth").toString(), "pki"));
    cmd.addAll(List.of(args));
    Proc.Result r = Proc.run(cmd, null, TIMEOUT);
    assertThat(r.exitCode()).as(r.describe()).isZero();
  }

  private static String engine() {
    String e = System.getenv("BERTH_IT_ENGINE");
    return e == null || e.isBlank() ? "current" : e.strip();
  }

  /** The docker CLI as {@code user} over TLS with the user's own certificate. */
  private static Proc.Result docker(UnixUser user, String... args) {
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
                "DOCKER_HOST=" + host,
                "DOCKER_TLS_VERIFY=1",
                "DOCKER_CERT_PATH=" + dir.resolve(user.name()),
                ItEnvironment.dockerCli()));
    cmd.addAll(List.of(args));
    return Proc.run(cmd, null, TIMEOUT);
  }

  /** The flags plugin mode asks of a user's docker run. */
  private static List<String> guaranteed(UnixUser user) {
    return List.of(
        "--user",
        user.uid() + ":" + user.gid(),
        "--security-opt",
        "no-new-privileges",
        "--cap-drop",
        "ALL",
        "--label",
        "dev.berth.owner.uid=" + user.uid(),
        "--label",
        "dev.berth.owner.gid=");
  }

  private static Proc.Result run(UnixUser user, String... args) {
    List<String> all = new ArrayList<>(List.of("run"));
    all.addAll(guaranteed(user));
    all.addAll(List.of(args));
    return docker(user, all.toArray(String[]::new));
  }

  @Test
  void run_withGuaranteedFlags_runsAsTheCertificatesUser() {
    Proc.Result r = run(alice, "--rm", ItEnvironment.image(), "id", "-u");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout().strip()).isEqualTo(Integer.toString(alice.uid()));
  }

  @Test
  void run_withoutFlags_deniedNamingTheFlags() {
    Proc.Result r = docker(alice, "run", "--rm", ItEnvironment.image(), "id");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr())
        .contains("authorization denied by plugin berth")
        .contains("--user " + alice.uid() + ":" + alice.gid())
        .contains("--security-opt no-new-privileges");
  }

  @Test
  void run_privileged_denied() {
    Proc.Result r = run(alice, "--rm", "--privileged", ItEnvironment.image(), "id");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("privileged containers are not allowed");
  }

  @Test
  void othersContainer_notFoundForAlice_bobsStaysRunning() {
    String name = ItEnvironment.uniqueName("plug");
    Proc.Result started = run(bob, "-d", "--name", name, ItEnvironment.image(), "sleep", "300");
    assertThat(started.exitCode()).as(started.describe()).isZero();
    try {
      for (String[] cmd :
          List.of(
              new String[] {"stop", name},
              new String[] {"rm", "-f", name},
              new String[] {"logs", name},
              new String[] {"inspect", name})) {
        List<String> args = new ArrayList<>(List.of(cmd));
        Proc.Result r = docker(alice, args.toArray(String[]::new));
        assertThat(r.exitCode()).as(String.join(" ", cmd)).isNotZero();
        assertThat(r.stderr()).contains("No such container: " + name);
      }
      Proc.Result state = docker(bob, "inspect", "--format", "{{.State.Running}}", name);
      assertThat(state.stdout().strip()).as(state.describe()).isEqualTo("true");
      Proc.Result exec =
          docker(bob, "exec", "--user", bob.uid() + ":" + bob.gid(), name, "id", "-u");
      assertThat(exec.stdout().strip()).as(exec.describe()).isEqualTo(Integer.toString(bob.uid()));
    } finally {
      docker(bob, "rm", "-f", name);
    }
  }

  @Test
  void list_onlyWithOwnerFilter_showsOnlyOwn() {
    String name = ItEnvironment.uniqueName("plist");
    assertThat(run(bob, "-d", "--name", name, ItEnvironment.image(), "sleep", "60").exitCode())
        .isZero();
    try {
      Proc.Result bare = docker(alice, "ps", "-a");
      assertThat(bare.stderr()).contains("--filter label=dev.berth.owner.uid=" + alice.uid());
      Proc.Result filtered =
          docker(alice, "ps", "-a", "--filter", "label=dev.berth.owner.uid=" + alice.uid());
      assertThat(filtered.exitCode()).as(filtered.describe()).isZero();
      assertThat(filtered.stdout()).doesNotContain(name);
    } finally {
      docker(bob, "rm", "-f", name);
    }
  }

  @Test
  void copyIntoContainer_denied() throws IOException {
    Path file = Files.createTempFile(dir, "cp", ".txt");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    String name = ItEnvironment.uniqueName("pcp");
    assertThat(run(alice, "-d", "--name", name, ItEnvironment.image(), "sleep", "60").exitCode())
        .isZero();
    try {
      Proc.Result r = docker(alice, "cp", file.toString(), name + ":/tmp/x");
      assertThat(r.exitCode()).isNotZero();
      assertThat(r.stderr()).contains("not available in plugin mode");
    } finally {
      docker(alice, "rm", "-f", name);
    }
  }

  @Test
  void disablingThePlugin_denied() {
    Proc.Result r = docker(alice, "plugin", "disable", "berth");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("closed in plugin mode");
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void revokedUser_refusedByThePlugin_othersStillServed() {
    assertThat(docker(bob, "version").exitCode()).isZero();
    pki("revoke", bob.name(), "--dir", dir.resolve("ca").toString());
    Proc.Result r = docker(bob, "ps", "--filter", "label=dev.berth.owner.uid=" + bob.uid());
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("has been revoked");
    assertThat(
            docker(alice, "ps", "--filter", "label=dev.berth.owner.uid=" + alice.uid()).exitCode())
        .isZero();
  }

  @Test
  void certificateFromAnotherCa_refusedByTheDaemon() throws Exception {
    Path other = Files.createTempDirectory(dir, "other-");
    pki("init", "--dir", other.resolve("ca").toString());
    pki(
        "user",
        alice.name(),
        "--dir",
        other.resolve("ca").toString(),
        "--out",
        other.resolve("alice").toString());
    List<String> cmd =
        List.of(
            "setpriv",
            "--reuid",
            Integer.toString(alice.uid()),
            "--regid",
            Integer.toString(alice.gid()),
            "--init-groups",
            "env",
            "-i",
            "PATH=/usr/bin:/bin",
            "HOME=" + alice.home(),
            "DOCKER_HOST=" + host,
            "DOCKER_TLS_VERIFY=1",
            "DOCKER_CERT_PATH=" + dir.resolve(alice.name()),
            ItEnvironment.dockerCli(),
            "--tlscert",
            other.resolve("alice/cert.pem").toString(),
            "--tlskey",
            other.resolve("alice/key.pem").toString(),
            "version");
    Proc.Result r = Proc.run(cmd, null, TIMEOUT);
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
  }
}
