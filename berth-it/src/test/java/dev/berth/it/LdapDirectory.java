package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real OpenLDAP directory ({@code slapd}, Debian's package) on a free loopback port, with its
 * database, configuration and logs in a temporary directory, and the NSS wiring sites use to reach
 * it: {@code libnss-ldapd} in {@code nsswitch.conf} and the {@code nslcd} daemon.
 *
 * <p>NSS is configured host-wide ({@code /etc/nsswitch.conf}, {@code /etc/nslcd.conf}, nslcd's
 * socket in {@code /run/nslcd}), so nothing is changed on the host: {@link #wrapper} gives a
 * command that enters a private mount namespace, bind-mounts this directory's copies of those files
 * over the host's, starts an nslcd of its own there, and then runs the command appended to it
 * (berth) in the same process. Processes that need the directory's users by name (setpriv {@code
 * --init-groups}, {@code berth run}) join that namespace with {@link #inNamespace}.
 *
 * <p>The users and groups exist only in the directory (uids and gids from 20001), never in
 * /etc/passwd.
 */
final class LdapDirectory implements AutoCloseable {
  static final String SUFFIX = "dc=berth,dc=test";
  static final String ADMIN = "cn=admin," + SUFFIX;
  private static final String PASSWORD = "test-only";

  private final Path dir;
  private final int port;
  private final Process slapd;
  private final List<Path> nslcdPids = new ArrayList<>();
  private final AtomicInteger namespaces = new AtomicInteger();

  private LdapDirectory(Path dir, int port, Process slapd) {
    this.dir = dir;
    this.port = port;
    this.slapd = slapd;
  }

  /**
   * Starts slapd with {@code entries} (LDIF, after the base entries) loaded by slapadd, and waits
   * until it answers.
   */
  static LdapDirectory start(String entries) throws IOException, InterruptedException {
    for (String tool :
        List.of("/usr/sbin/slapd", "/usr/sbin/slapadd", "/usr/sbin/nslcd", "/usr/bin/ldapmodify")) {
      if (!Files.isExecutable(Path.of(tool))) {
        ItEnvironment.unavailable(
            tool + " is missing (slapd, nslcd, ldap-utils; scripts/test " + "installs them)");
      }
    }
    if (!Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libnss_ldap.so.2"))) {
      ItEnvironment.unavailable("libnss-ldapd is missing");
    }
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "ldap-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(dir.resolve("db"));
    Files.writeString(
        dir.resolve("slapd.conf"),
        """
        include /etc/ldap/schema/core.schema
        include /etc/ldap/schema/cosine.schema
        include /etc/ldap/schema/nis.schema
        include /etc/ldap/schema/inetorgperson.schema
        pidfile %1$s/slapd.pid
        modulepath /usr/lib/ldap
        moduleload back_mdb
        database mdb
        suffix "%2$s"
        rootdn "%3$s"
        rootpw %4$s
        directory %1$s/db
        maxsize 16777216
        """
            .formatted(dir, SUFFIX, ADMIN, PASSWORD));
    Files.writeString(
        dir.resolve("data.ldif"),
        """
        dn: %1$s
        objectClass: dcObject
        objectClass: organization
        o: berth test site
        dc: berth

        dn: ou=people,%1$s
        objectClass: organizationalUnit
        ou: people

        dn: ou=groups,%1$s
        objectClass: organizationalUnit
        ou: groups

        """
                .formatted(SUFFIX)
            + entries);
    Proc.Result add =
        Proc.run(
            List.of(
                "slapadd",
                "-f",
                dir.resolve("slapd.conf").toString(),
                "-l",
                dir.resolve("data.ldif").toString()));
    assertThat(add.ok()).as(add.describe()).isTrue();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process slapd =
        new ProcessBuilder(
                "slapd",
                "-f",
                dir.resolve("slapd.conf").toString(),
                "-h",
                "ldap://127.0.0.1:" + port + "/",
                "-d",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("slapd.log").toFile())
            .start();
    LdapDirectory ldap = new LdapDirectory(dir, port, slapd);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      Proc.Result r =
          Proc.run(List.of("ldapsearch", "-x", "-H", ldap.uri(), "-b", SUFFIX, "-s", "base", "dn"));
      if (r.ok()) {
        break;
      }
      if (!slapd.isAlive() || System.nanoTime() > deadline) {
        ldap.close();
        throw new AssertionError("slapd did not answer on " + ldap.uri() + "\n" + r.describe());
      }
      Thread.sleep(100);
    }
    ldap.writeNssConfiguration();
    return ldap;
  }

  /** An LDIF user entry and its personal group. */
  static String user(String name, int id, Path home) {
    return """
        dn: uid=%1$s,ou=people,%3$s
        objectClass: account
        objectClass: posixAccount
        uid: %1$s
        cn: %1$s
        uidNumber: %2$d
        gidNumber: %2$d
        homeDirectory: %4$s
        loginShell: /bin/sh

        dn: cn=%1$s,ou=groups,%3$s
        objectClass: posixGroup
        cn: %1$s
        gidNumber: %2$d

        """
        .formatted(name, id, SUFFIX, home);
  }

  /** An LDIF group entry listing {@code members}. */
  static String group(String name, int gid, String... members) {
    StringBuilder b =
        new StringBuilder(
            "dn: cn="
                + name
                + ",ou=groups,"
                + SUFFIX
                + "\n"
                + "objectClass: posixGroup\ncn: "
                + name
                + "\ngidNumber: "
                + gid
                + "\n");
    for (String m : members) {
      b.append("memberUid: ").append(m).append('\n');
    }
    return b.append('\n').toString();
  }

  String uri() {
    return "ldap://127.0.0.1:" + port + "/";
  }

  Path dir() {
    return dir;
  }

  /** nslcd gives up on an unanswered search after 2 s (so NSS answers "unavailable"). */
  private void writeNssConfiguration() throws IOException {
    Path nslcd = dir.resolve("nslcd.conf");
    Files.writeString(
        nslcd,
        """
        uri %s
        base %s
        timelimit 2
        bind_timelimit 2
        reconnect_sleeptime 1
        reconnect_retrytime 2
        """
            .formatted(uri(), SUFFIX));
    Files.setPosixFilePermissions(nslcd, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(
        dir.resolve("nsswitch.conf"),
        """
        passwd: files ldap
        group: files ldap
        shadow: files
        hosts: files
        """);
  }

  /**
   * {@code unshare --mount sh -c '<bind mounts; nslcd>; exec "$@"' sh}: what {@link
   * BerthServer#start(List, String, List)} runs berth through. Each call starts its own nslcd
   * (stopped by {@link #close}).
   */
  List<String> wrapper() throws IOException {
    int n = namespaces.incrementAndGet();
    Path run = Files.createDirectories(dir.resolve("run-" + n));
    Path pid = dir.resolve("nslcd-" + n + ".pid");
    nslcdPids.add(pid);
    String script =
        String.join(
            "\n",
            "set -e",
            "mount --bind " + dir.resolve("nsswitch.conf") + " /etc/nsswitch.conf",
            "mount --bind " + dir.resolve("nslcd.conf") + " /etc/nslcd.conf",
            "mkdir -p /run/nslcd",
            "mount --bind " + run + " /run/nslcd",
            "nslcd -n >" + dir.resolve("nslcd-" + n + ".log") + " 2>&1 &",
            "echo $! >" + pid,
            "i=0; while [ ! -S /run/nslcd/socket ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); "
                + "done",
            "exec \"$@\"");
    return List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh");
  }

  /** {@code command} run inside the mount namespace of process {@code pid} (berth). */
  static List<String> inNamespace(long pid, List<String> command) {
    List<String> full = new ArrayList<>(List.of("nsenter", "-t", Long.toString(pid), "-m"));
    full.addAll(command);
    return full;
  }

  /** Applies an LDIF change (ldapmodify as the directory's administrator). */
  void modify(String ldif) {
    Proc.Result r =
        Proc.run(
            List.of("ldapmodify", "-x", "-H", uri(), "-D", ADMIN, "-w", PASSWORD),
            ldif.getBytes(StandardCharsets.UTF_8),
            ItEnvironment.PROCESS_TIMEOUT);
    assertThat(r.ok()).as(r.describe()).isTrue();
  }

  /** The directory stops answering (SIGSTOP): connections are accepted, nothing is answered. */
  void freeze() {
    signal("STOP");
  }

  /** The directory answers again. */
  void thaw() {
    signal("CONT");
  }

  private void signal(String sig) {
    Proc.Result r = Proc.run(List.of("kill", "-" + sig, Long.toString(slapd.pid())));
    assertThat(r.ok()).as(r.describe()).isTrue();
  }

  @Override
  public void close() {
    for (Path pid : nslcdPids) {
      try {
        if (Files.exists(pid)) {
          ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()))
              .ifPresent(ProcessHandle::destroy);
        }
      } catch (IOException | NumberFormatException e) {
        // best effort: nslcd was not started
      }
    }
    thawQuietly();
    slapd.destroy();
    try {
      slapd.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }

  private void thawQuietly() {
    if (slapd.isAlive()) {
      Proc.run(List.of("kill", "-CONT", Long.toString(slapd.pid())));
    }
  }
}
