package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real MIT Kerberos KDC (Debian's {@code krb5-kdc}) for the realm {@code BERTH.TEST}: its
 * database, stash, configuration and log in a temporary directory, listening on a free loopback
 * port; made with {@code kdb5_util} and {@code kadmin.local}. Nothing on the host is read or
 * changed: every command gets {@code KRB5_CONFIG} and {@code KRB5_KDC_PROFILE} of its own.
 */
final class KerberosRealm implements AutoCloseable {
  static final String REALM = "BERTH.TEST";

  private final Path dir;
  private final Process kdc;

  private KerberosRealm(Path dir, Process kdc) {
    this.dir = dir;
    this.kdc = kdc;
  }

  static KerberosRealm start() throws IOException, InterruptedException {
    for (String tool :
        List.of(
            "/usr/sbin/krb5kdc",
            "/usr/sbin/kdb5_util",
            "/usr/sbin/kadmin.local",
            "/usr/bin/kinit")) {
      if (!Files.isExecutable(Path.of(tool))) {
        ItEnvironment.unavailable(
            tool + " is missing (krb5-kdc, krb5-user; scripts/test " + "installs them)");
      }
    }
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "krb-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Files.writeString(
        dir.resolve("krb5.conf"),
        """
        [libdefaults]
          default_realm = %1$s
          dns_lookup_realm = false
          dns_lookup_kdc = false
          dns_canonicalize_hostname = false
          rdns = false
          udp_preference_limit = 1
        [realms]
          %1$s = {
            kdc = 127.0.0.1:%2$d
          }
        [domain_realm]
          localhost = %1$s
        """
            .formatted(REALM, port));
    Files.writeString(
        dir.resolve("kdc.conf"),
        """
        [kdcdefaults]
          kdc_ports = %2$d
          kdc_tcp_ports = %2$d
        [realms]
          %1$s = {
            database_name = %3$s/principal
            key_stash_file = %3$s/stash
            acl_file = %3$s/kadm5.acl
          }
        [logging]
          kdc = FILE:%3$s/kdc.log
        """
            .formatted(REALM, port, dir));
    KerberosRealm realm = new KerberosRealm(dir, null);
    realm.admin(List.of("kdb5_util", "create", "-s", "-r", REALM, "-P", "test-only-master"));
    ProcessBuilder pb =
        new ProcessBuilder("krb5kdc", "-n", "-r", REALM)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("krb5kdc.out").toFile());
    pb.environment().put("KRB5_CONFIG", dir.resolve("krb5.conf").toString());
    pb.environment().put("KRB5_KDC_PROFILE", dir.resolve("kdc.conf").toString());
    realm = new KerberosRealm(dir, pb.start());
    realm.awaitListening(port);
    return realm;
  }

  private void awaitListening(int port) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        if (!kdc.isAlive()) {
          break;
        }
        Thread.sleep(100);
      }
    }
    throw new AssertionError("krb5kdc did not listen on " + port + ": " + log());
  }

  String log() {
    try {
      return Files.readString(dir.resolve("krb5kdc.out"))
          + "\n"
          + (Files.exists(dir.resolve("kdc.log")) ? Files.readString(dir.resolve("kdc.log")) : "");
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  Path krb5Conf() {
    return dir.resolve("krb5.conf");
  }

  Path dir() {
    return dir;
  }

  /** The variables every Kerberos command of the test runs with. */
  List<String> env() {
    return List.of(
        "KRB5_CONFIG=" + dir.resolve("krb5.conf"), "KRB5_KDC_PROFILE=" + dir.resolve("kdc.conf"));
  }

  /** Runs an administration command ({@code kdb5_util}, {@code kadmin.local}) as root. */
  void admin(List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("env"));
    cmd.addAll(env());
    cmd.addAll(command);
    Proc.Result r = Proc.run(cmd);
    assertThat(r.ok()).as(r.describe()).isTrue();
  }

  /** Adds a user principal with a password. */
  void addUser(String name, String password) {
    admin(List.of("kadmin.local", "-r", REALM, "-q", "addprinc -pw " + password + " " + name));
  }

  /** Adds a service principal with a random key and writes its keytab (0600) to {@code out}. */
  void addService(String principal, Path out) throws IOException {
    admin(List.of("kadmin.local", "-r", REALM, "-q", "addprinc -randkey " + principal));
    admin(List.of("kadmin.local", "-r", REALM, "-q", "ktadd -k " + out + " " + principal));
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
  }

  /** The password on stdin, as a user types it for {@code kinit}. */
  static byte[] typed(String password) {
    return (password + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    if (kdc != null) {
      kdc.destroy();
      try {
        kdc.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }
}
