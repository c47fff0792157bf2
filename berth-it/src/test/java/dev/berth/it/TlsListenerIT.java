package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * berth's TLS listener end to end: a PKI made with {@code ./berth pki} in a temporary directory,
 * berth serving {@code --listen tcp://127.0.0.1:PORT} with it in front of the real daemon, and the
 * real docker CLI as alice and bob with {@code DOCKER_TLS_VERIFY=1} and {@code DOCKER_CERT_PATH}
 * pointing at what {@code berth pki user} wrote for them.
 *
 * <p>The revocation test runs last: it revokes bob for the rest of the class.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsListenerIT {
  private static Path dir;
  private static BerthServer berth;
  private static String hostPort;
  private static UnixUser alice;
  private static UnixUser bob;
  private static String image;
  private final List<String> created = new ArrayList<>();

  @BeforeAll
  static void pkiAndBerth() throws IOException {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    bob = ItEnvironment.user("bob");
    image = ItEnvironment.image();
    dir = Files.createTempDirectory(Path.of("/tmp"), "bpki-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
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
    for (UnixUser u : List.of(alice, bob)) {
      berthCli(
          "pki",
          "user",
          u.name(),
          "--dir",
          pki.toString(),
          "--out",
          dir.resolve(u.name()).toString());
    }
    // alice's certificate from another CA (same name "berth CA", another key); she still
    // trusts berth's server certificate, so only her client certificate differs.
    berthCli("pki", "init", "--dir", dir.resolve("other").toString());
    berthCli(
        "pki",
        "user",
        alice.name(),
        "--dir",
        dir.resolve("other").toString(),
        "--out",
        dir.resolve("alice-other").toString());
    Files.copy(
        pki.resolve("ca.pem"),
        dir.resolve("alice-other/ca.pem"),
        StandardCopyOption.REPLACE_EXISTING);
    // no client certificate at all: only the CA to check berth's server certificate
    Files.createDirectories(dir.resolve("nocert"));
    Files.copy(pki.resolve("ca.pem"), dir.resolve("nocert/ca.pem"));

    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    hostPort = "127.0.0.1:" + port;
    berth =
        BerthServer.start(
            ItEnvironment.upstreamUrl(),
            List.of(
                "--listen", "tcp://" + hostPort,
                "--tls-cert", pki.resolve("berth-cert.pem").toString(),
                "--tls-key", pki.resolve("berth-key.pem").toString(),
                "--tls-ca", pki.resolve("ca.pem").toString(),
                "--tls-crl", pki.resolve("crl.pem").toString()));
  }

  @AfterAll
  static void stop() {
    if (berth != null) {
      berth.close();
    }
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // best effort
      }
    }
  }

  @AfterEach
  void removeContainers() {
    DockerCli.removeContainers(created);
    created.clear();
  }

  private String container(String hint) {
    String name = ItEnvironment.uniqueName(hint);
    created.add(name);
    return name;
  }

  private static Proc.Result berthCli(String... args) {
    List<String> cmd =
        new ArrayList<>(List.of(ItEnvironment.repoRoot().resolve("berth").toString()));
    cmd.addAll(List.of(args));
    Proc.Result r = Proc.run(cmd);
    assertThat(r.exitCode()).as(r.describe()).isZero();
    return r;
  }

  private static Proc.Result docker(UnixUser user, String certDir, String... args) {
    return DockerCli.overTls(hostPort, dir.resolve(certDir)).run(user, args);
  }

  @Test
  @Order(1)
  void run_asAliceWithHerCertificate_runsAsAlice() {
    Proc.Result r =
        docker(alice, "alice", "run", "--rm", "--name", container("tls-id"), image, "id", "-u");

    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout().strip()).as(r.describe()).isEqualTo(Integer.toString(alice.uid()));
  }

  @Test
  @Order(2)
  void run_asAliceWithHerCertificate_isAuditedWithTheCertificateSubject() throws IOException {
    Proc.Result r =
        docker(alice, "alice", "run", "--rm", "--name", container("tls-audit"), image, "true");
    assertThat(r.exitCode()).as(r.describe()).isZero();

    assertThat(Files.readString(berth.dir().resolve("audit.jsonl")))
        .contains(
            "\"principal\":{\"uid\":"
                + alice.uid()
                + ",\"user\":\"alice\",\"gid\":"
                + alice.gid()
                + ",\"pid\":-1,\"tls\":\"CN=alice\"}");
  }

  @Test
  @Order(3)
  void request_withoutClientCertificate_isRefused() {
    Proc.Result r = docker(alice, "nocert", "ps");

    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).as(r.describe()).contains("remote error: tls:");
  }

  @Test
  @Order(4)
  void request_withCertificateOfAnotherCa_isRefused() {
    Proc.Result r = docker(alice, "alice-other", "ps");

    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).as(r.describe()).contains("remote error: tls:");
  }

  @Test
  @Order(5)
  void stop_ofAlicesContainerByBob_isNoSuchContainer() {
    String name = container("tls-own");
    Proc.Result run = docker(alice, "alice", "run", "-d", "--name", name, image, "sleep", "60");
    assertThat(run.exitCode()).as(run.describe()).isZero();

    Proc.Result stop = docker(bob, "bob", "stop", "-t", "0", name);
    assertThat(stop.exitCode()).as(stop.describe()).isNotZero();
    assertThat(stop.stderr())
        .as(stop.describe())
        .contains("Error response from daemon: berth: No such container: " + name);

    Proc.Result own = docker(alice, "alice", "stop", "-t", "0", name);
    assertThat(own.exitCode()).as(own.describe()).isZero();
  }

  @Test
  @Order(6)
  void stdin_overTls_reachesTheContainerAndEnds() {
    Proc.Result r =
        DockerCli.overTls(hostPort, dir.resolve("alice"))
            .runWithInput(
                alice,
                "hello over tls\n",
                ItEnvironment.PROCESS_TIMEOUT,
                "run",
                "--rm",
                "-i",
                "--name",
                container("tls-stdin"),
                image,
                "cat");

    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout()).as(r.describe()).isEqualTo("hello over tls\n");
  }

  @Test
  @Order(100)
  void revoke_bob_isRefusedAtHisNextRequest_aliceIsNot() {
    Proc.Result before = docker(bob, "bob", "ps");
    assertThat(before.exitCode()).as(before.describe()).isZero();

    berthCli("pki", "revoke", "bob", "--dir", dir.resolve("pki").toString());

    Proc.Result after = docker(bob, "bob", "ps");
    assertThat(after.exitCode()).as(after.describe()).isNotZero();
    assertThat(after.stderr()).as(after.describe()).contains("remote error: tls:");
    Proc.Result aliceStill = docker(alice, "alice", "ps");
    assertThat(aliceStill.exitCode()).as(aliceStill.describe()).isZero();
  }
}
