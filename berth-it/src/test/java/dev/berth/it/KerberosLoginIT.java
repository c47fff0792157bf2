package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue #16, part 3: {@code berth login} against a real MIT KDC ({@link KerberosRealm}). alice gets
 * a ticket with {@code kinit} (her password on stdin), runs {@code berth login}, and the stock
 * docker CLI reaches berth's TLS listener with the certificate it wrote into {@code $HOME/.docker};
 * revocation and expiry end that. The login service's certificates are valid for 20 s here ({@code
 * --login-validity 20s}), so that expiry can be seen.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KerberosLoginIT {
  private static final String PATH = "/usr/local/bin:/usr/bin:/bin";
  private static final String PASSWORD = "alice-test-only";
  private static Path dir;
  private static Path home;
  private static KerberosRealm realm;
  private static BerthServer berth;
  private static UnixUser alice;
  private static String tlsHostPort;
  private static String loginHostPort;

  @BeforeAll
  static void start() throws Exception {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    dir = Files.createTempDirectory(Path.of("/tmp"), "bkl-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    realm = KerberosRealm.start();
    realm.addUser(alice.name(), PASSWORD);
    Path keytab = dir.resolve("berth.keytab");
    realm.addService("HTTP/localhost", keytab);
    Path pki = dir.resolve("pki");
    berthCli("pki", "init", "--dir", pki.toString());
    berthCli(
        "pki",
        "server",
        "--dir",
        pki.toString(),
        "--san",
        "IP:127.0.0.1",
        "--san",
        "DNS:localhost");
    copyJars();
    home = Files.createDirectories(dir.resolve("alice-home"));
    Files.setAttribute(home, "unix:uid", alice.uid());
    Files.setAttribute(home, "unix:gid", alice.gid());
    Files.copy(pki.resolve("ca.pem"), dir.resolve("site-ca.pem"));
    tlsHostPort = "localhost:" + freePort();
    loginHostPort = "localhost:" + freePort();
    List<String> wrapper = new ArrayList<>(List.of("env"));
    wrapper.addAll(realm.env());
    wrapper.add("KRB5RCACHEDIR=" + realm.dir());
    berth =
        BerthServer.start(
            wrapper,
            ItEnvironment.upstreamUrl(),
            List.of(
                "--listen", "tcp://127.0.0.1:" + port(tlsHostPort),
                "--tls-cert", pki.resolve("berth-cert.pem").toString(),
                "--tls-key", pki.resolve("berth-key.pem").toString(),
                "--tls-ca", pki.resolve("ca.pem").toString(),
                "--tls-crl", pki.resolve("crl.pem").toString(),
                "--login", "tcp://127.0.0.1:" + port(loginHostPort),
                "--login-keytab", keytab.toString(),
                "--login-principal", "HTTP/localhost@" + KerberosRealm.REALM,
                "--login-pki", pki.toString(),
                "--login-validity", "20s"));
  }

  @AfterAll
  static void stop() throws IOException {
    if (berth != null) {
      berth.close();
    }
    if (realm != null) {
      realm.close();
    }
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String port(String hostPort) {
    return hostPort.substring(hostPort.indexOf(':') + 1);
  }

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

  private static Proc.Result berthCli(String... args) {
    List<String> cmd =
        new ArrayList<>(List.of(ItEnvironment.repoRoot().resolve("berth").toString()));
    cmd.addAll(List.of(args));
    Proc.Result r = Proc.run(cmd);
    assertThat(r.exitCode()).as(r.describe()).isZero();
    return r;
  }

  /** {@code command} as alice, HOME in the test's directory, her ticket cache there too. */
  private static Proc.Result asAlice(byte[] stdin, List<String> command) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid",
                Integer.toString(alice.uid()),
                "--regid",
                Integer.toString(alice.gid()),
                "--init-groups",
                "env",
                "-i",
                "PATH=" + PATH,
                "HOME=" + home,
                "USER=" + alice.name(),
                "LANG=C.UTF-8",
                "KRB5CCNAME=FILE:" + home.resolve("krb5cc")));
    cmd.addAll(realm.env());
    cmd.addAll(command);
    return Proc.run(cmd, stdin, ItEnvironment.PROCESS_TIMEOUT);
  }

  private static Proc.Result login() {
    return asAlice(
        null,
        List.of(
            System.getProperty("java.home") + "/bin/java",
            "--enable-native-access=ALL-UNNAMED",
            "-XX:+UseSerialGC",
            "-cp",
            dir.resolve("berth-cli.jar") + ":" + dir.resolve("lib") + "/*",
            "dev.berth.cli.BerthCommand",
            "login",
            "--server",
            loginHostPort,
            "--ca",
            dir.resolve("site-ca.pem").toString()));
  }

  /** The stock docker CLI as alice over TLS, reading its certificate from ~/.docker. */
  private static Proc.Result docker(String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "env",
                "DOCKER_HOST=tcp://" + tlsHostPort,
                "DOCKER_TLS_VERIFY=1",
                ItEnvironment.dockerCli()));
    cmd.addAll(List.of(args));
    return asAlice(null, cmd);
  }

  @Test
  @Order(1)
  void login_withoutTicket_refusedWithWhatToDo() {
    Proc.Result r = login();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).contains("kinit");
    assertThat(home.resolve(".docker/cert.pem")).doesNotExist();
  }

  @Test
  @Order(2)
  void kinitThenLogin_dockerCliReachesTheTlsListenerAsTheUser() {
    Proc.Result kinit = asAlice(KerberosRealm.typed(PASSWORD), List.of("kinit", alice.name()));
    assertThat(kinit.exitCode()).as(kinit.describe()).isZero();
    Proc.Result r = login();
    assertThat(r.exitCode()).as(r.describe() + "\n" + realm.log()).isZero();
    assertThat(r.stdout()).contains("logged in as " + alice.name());
    assertThat(home.resolve(".docker/key.pem")).exists();
    Proc.Result run = docker("run", "--rm", ItEnvironment.image(), "id", "-u");
    assertThat(run.exitCode()).as(run.describe() + "\n" + berth.logs()).isZero();
    assertThat(run.stdout().strip()).isEqualTo(Integer.toString(alice.uid()));
    assertThat(berth.auditLog())
        .content()
        .contains("kerberos_login")
        .contains(alice.name() + "@" + KerberosRealm.REALM);
  }

  @Test
  @Order(3)
  void revoke_loggedInUser_refusedAtTheNextRequest() {
    assertThat(docker("version", "--format", "{{.Server.Version}}").exitCode()).isZero();
    berthCli("pki", "revoke", alice.name(), "--dir", dir.resolve("pki").toString());
    Proc.Result r = docker("version", "--format", "{{.Server.Version}}");
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
  }

  @Test
  @Order(4)
  void certificate_afterItsValidity_refused_loginAgainWorks() throws Exception {
    Proc.Result again = login(); // a new certificate: the revoked one stays revoked
    assertThat(again.exitCode()).as(again.describe()).isZero();
    assertThat(docker("version", "--format", "{{.Server.Version}}").exitCode()).isZero();
    String until =
        again.stdout().substring(again.stdout().lastIndexOf("valid until ") + 12).strip();
    Instant expiry = Instant.parse(until);
    while (Instant.now().isBefore(expiry.plusSeconds(2))) {
      Thread.sleep(500);
    }
    Proc.Result r = docker("version", "--format", "{{.Server.Version}}");
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(Duration.between(expiry, Instant.now())).isPositive();
  }
}
