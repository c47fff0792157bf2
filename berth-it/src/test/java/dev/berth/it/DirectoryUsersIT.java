package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.testing.RawHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue #16, part 1: users and groups that exist only in a real LDAP directory (slapd), reached
 * through NSS the way sites do (libnss-ldapd and nslcd), in a private mount namespace around berth
 * (see {@link LdapDirectory}); the real docker CLI and {@code berth run} as those users.
 *
 * <p>The policy gives the role {@code user} only to the LDAP group {@code dockerusers}: ann is a
 * member (and of {@code gpulab}), ben is not. berth keeps accounts for 3 s ({@code --identity-cache
 * 3s}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DirectoryUsersIT {
  private static final int ANN = 20001;
  private static final int BEN = 20002;
  private static final int DOCKERUSERS = 20010;
  private static final int GPULAB = 20011;
  private static final String PATH = "/usr/local/bin:/usr/bin:/bin";

  private static Path dir;
  private static LdapDirectory ldap;
  private static BerthServer berth;
  private static Path annHome;
  private static Path benHome;

  @BeforeAll
  static void start() throws Exception {
    ItEnvironment.require();
    dir = Files.createTempDirectory(Path.of("/tmp"), "bdu-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    annHome = home("ann", ANN);
    benHome = home("ben", BEN);
    ldap =
        LdapDirectory.start(
            LdapDirectory.user("ann", ANN, annHome)
                + LdapDirectory.user("ben", BEN, benHome)
                + LdapDirectory.group("dockerusers", DOCKERUSERS, "ann")
                + LdapDirectory.group("gpulab", GPULAB, "ann"));
    Path policy = dir.resolve("policy.yaml");
    String text = PolicyDefaults.text();
    String bindings = text.substring(text.indexOf("\nbindings:"));
    Files.writeString(
        policy,
        text.replace(
            bindings,
            """

        bindings:
          - {role: admin, users: [root]}
          - {role: user, groups: [dockerusers]}
        """));
    copyJars();
    berth =
        BerthServer.start(
            ldap.wrapper(),
            ItEnvironment.upstreamUrl(),
            List.of("--policy", policy.toString(), "--identity-cache", "3s"));
  }

  @AfterAll
  static void stop() throws IOException {
    if (berth != null) {
      berth.close();
    }
    if (ldap != null) {
      ldap.close();
    }
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Path home(String name, int uid) throws IOException {
    Path h = Files.createDirectories(dir.resolve("home").resolve(name));
    Files.setAttribute(h, "unix:uid", uid);
    Files.setAttribute(h, "unix:gid", uid);
    return h;
  }

  /** berth's jars where the directory users can read them (the checkout may not be). */
  private static void copyJars() throws IOException {
    Path root = ItEnvironment.repoRoot();
    Files.createDirectories(dir.resolve("lib"));
    Files.copy(root.resolve("berth-cli/target/berth-cli.jar"), dir.resolve("berth-cli.jar"));
    try (Stream<Path> jars = Files.list(root.resolve("berth-cli/target/lib"))) {
      for (Path j : jars.toList()) {
        Files.copy(
            j, dir.resolve("lib").resolve(j.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  /**
   * {@code command} as the directory user {@code uid}, logged in the way a site's login does: in
   * berth's mount namespace (so NSS reaches the directory), {@code setpriv --init-groups} (groups
   * from LDAP), a clean environment pointing docker at berth.
   */
  private static Proc.Result as(int uid, Path home, String cwd, List<String> command) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid",
                Integer.toString(uid),
                "--regid",
                Integer.toString(uid),
                "--init-groups",
                "env",
                "-i",
                "PATH=" + PATH,
                "HOME=" + home,
                "LANG=C.UTF-8",
                "DOCKER_HOST=unix://" + berth.socket(),
                "/bin/sh",
                "-c",
                "cd '" + cwd + "' && exec \"$@\"",
                "as-user"));
    cmd.addAll(command);
    return Proc.run(
        LdapDirectory.inNamespace(berth.pid(), cmd), null, ItEnvironment.PROCESS_TIMEOUT);
  }

  private static Proc.Result docker(int uid, Path home, String... args) {
    List<String> cmd = new ArrayList<>(List.of(ItEnvironment.dockerCli()));
    cmd.addAll(Arrays.asList(args));
    return as(uid, home, home.toString(), cmd);
  }

  @Test
  @Order(1)
  void ldapUser_containerRunsAsTheDirectoryUidWithItsGroups() {
    Proc.Result r =
        docker(
            ANN,
            annHome,
            "run",
            "--rm",
            "--group-add",
            Integer.toString(GPULAB),
            ItEnvironment.image(),
            "id");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout())
        .startsWith("uid=" + ANN + " gid=" + ANN)
        .contains(Integer.toString(GPULAB));
  }

  @Test
  @Order(2)
  void ldapUser_groupAddOfADirectoryGroupNotTheirs_refused() {
    Proc.Result r =
        docker(
            ANN,
            annHome,
            "run",
            "--rm",
            "--group-add",
            Integer.toString(BEN),
            ItEnvironment.image(),
            "id");
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).contains("berth:").contains(Integer.toString(BEN));
  }

  @Test
  @Order(3)
  void ldapUserOutsideTheBoundGroup_refusedEverything() {
    Proc.Result r = docker(BEN, benHome, "ps");
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).contains("no role is granted to ben");
  }

  @Test
  @Order(4)
  void berthRun_passwdAndGroupEntriesFromTheDirectory() {
    Proc.Result r =
        as(
            ANN,
            annHome,
            annHome.toString(),
            List.of(
                System.getProperty("java.home") + "/bin/java",
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-cp",
                dir.resolve("berth-cli.jar") + ":" + dir.resolve("lib") + "/*",
                "dev.berth.cli.BerthCommand",
                "run",
                "--rm",
                ItEnvironment.image(),
                "sh",
                "-c",
                "whoami; id -Gn; grep '^ann:' /etc/passwd; pwd"));
    assertThat(r.exitCode()).as(r.describe()).isZero();
    List<String> lines = r.stdout().strip().lines().toList();
    assertThat(lines.get(0)).isEqualTo("ann");
    assertThat(lines.get(1).split(" ")).containsExactlyInAnyOrder("ann", "dockerusers", "gpulab");
    assertThat(lines.get(2))
        .startsWith("ann:")
        .contains(":" + ANN + ":" + ANN + ":")
        .contains(annHome.toString());
    assertThat(lines.get(3)).isEqualTo(annHome.toString());
  }

  /** Last for this berth: ann leaves dockerusers (and is put back after). */
  @Test
  @Order(5)
  void userRemovedFromTheBoundGroup_losesTheRoleAfterTheCachePeriod() throws Exception {
    assertThat(docker(ANN, annHome, "ps").exitCode()).isZero();
    String group =
        "dn: cn=dockerusers,ou=groups," + LdapDirectory.SUFFIX + "\n" + "changetype: modify\n";
    ldap.modify(group + "delete: memberUid\nmemberUid: ann\n");
    try {
      Proc.Result last = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        last = docker(ANN, annHome, "ps");
        if (last.exitCode() != 0) {
          break;
        }
        Thread.sleep(500);
      }
      assertThat(last.exitCode()).as(last.describe()).isNotZero();
      assertThat(last.stderr()).contains("no role is granted to ann");
    } finally {
      ldap.modify(group + "add: memberUid\nmemberUid: ann\n");
    }
  }

  /**
   * The directory stops answering (slapd SIGSTOPped): a directory user's connection waits for NSS,
   * and is then refused with the reason; meanwhile another caller's request on the same, single
   * event loop ({@code --threads 1}) is answered at once. With the lookup on the event loop (before
   * CallerIdentification), root's ping waited until ann's lookup gave up, so ann's connection was
   * answered first. Prints the latency of root's pings with the directory well and frozen (figures
   * for the report, not assertions).
   */
  @Test
  @Order(6)
  void directoryStopsAnswering_userRefusedWithReason_otherCallerAnsweredMeanwhile()
      throws Exception {
    Path policy = dir.resolve("policy.yaml");
    try (BerthServer one =
        BerthServer.start(
            ldap.wrapper(),
            ItEnvironment.upstreamUrl(),
            List.of("--policy", policy.toString(), "--threads", "1", "--identity-cache", "10m"))) {
      assertThat(ping(one)).isPositive(); // root's account is now cached
      long[] well = new long[40];
      for (int i = 0; i < well.length; i++) {
        well[i] = ping(one);
      }
      ldap.freeze();
      List<Proc.Running> waiting = new ArrayList<>();
      try {
        Proc.Running ann = Proc.start(curlAs(ANN, one));
        Thread.sleep(300); // ann's connection is accepted and its lookup waits for the directory
        long first = ping(one);
        assertThat(ann.isAlive())
            .as(
                "ann's lookup still waits when root's ping is answered "
                    + "(root's ping took "
                    + first / 1000
                    + " us)")
            .isTrue();
        for (int i = 0; i < 4; i++) {
          waiting.add(
              Proc.start(
                  List.of(
                      "sh",
                      "-c",
                      "for i in 1 2 3; do " + String.join(" ", curlAs(ANN, one)) + "; done")));
        }
        long[] frozen = new long[40];
        for (int i = 0; i < frozen.length; i++) {
          frozen[i] = ping(one);
        }
        Proc.Result refused = ann.waitFor(Duration.ofSeconds(30));
        assertThat(refused.stdout())
            .as(refused.describe())
            .contains("you could not be identified")
            .contains("did not answer");
        report(well, frozen);
      } finally {
        ldap.thaw();
        waiting.forEach(Proc.Running::close);
      }
    }
  }

  /** curl's {@code /_ping} through {@code server} as {@code uid} (numeric: no NSS needed). */
  private static List<String> curlAs(int uid, BerthServer server) {
    return List.of(
        "setpriv",
        "--reuid",
        Integer.toString(uid),
        "--regid",
        Integer.toString(uid),
        "--clear-groups",
        "curl",
        "-s",
        "--max-time",
        "30",
        "--unix-socket",
        server.socket().toString(),
        "http://berth/_ping");
  }

  /** root's {@code GET /_ping} on a new connection: nanoseconds until the answer. */
  private static long ping(BerthServer server) throws IOException {
    long t = System.nanoTime();
    RawHttp.Response r =
        RawHttp.exchange(
            server.socket(),
            RawHttp.request("GET /_ping HTTP/1.1", "Connection: close"),
            Duration.ofSeconds(30));
    long elapsed = System.nanoTime() - t;
    assertThat(r.text()).startsWith("HTTP/1.1 200");
    return elapsed;
  }

  private static void report(long[] well, long[] frozen) throws IOException {
    Arrays.sort(well);
    Arrays.sort(frozen);
    String line =
        String.format(
            Locale.ROOT,
            "root's /_ping on a new connection, one "
                + "event loop, %d each: directory well median %.2f ms p95 %.2f ms; directory frozen "
                + "(ann's lookups waiting) median %.2f ms p95 %.2f ms; median ratio frozen/well %.2f%n",
            well.length,
            well[well.length / 2] / 1e6,
            well[well.length * 95 / 100] / 1e6,
            frozen[frozen.length / 2] / 1e6,
            frozen[frozen.length * 95 / 100] / 1e6,
            (double) frozen[frozen.length / 2] / well[well.length / 2]);
    Path out = Path.of(System.getProperty("basedir", "."), "target", "directory-latency.txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
