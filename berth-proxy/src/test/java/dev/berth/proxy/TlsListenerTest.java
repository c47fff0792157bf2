package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.pki.CertificateAuthority;
import dev.berth.pki.CertificateBundle;
import dev.berth.pki.SubjectAltName;
import dev.berth.policy.HostPaths;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TCP listener with mutual TLS, over real sockets, in front of a {@link FakeDaemon}: who gets a
 * handshake, and who they are once they have one. Each protection has a test that fails when it is
 * removed.
 */
class TlsListenerTest {
  private static final String PING = "GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n";
  private static final Duration YEAR = Duration.ofDays(365);
  private static final Map<String, Integer> USERS = Map.of("alice", 1001, "bob", 1002);

  @TempDir Path dir;
  private FakeDaemon daemon;
  private ProxyServer proxy;
  private AuditLog audit;
  private CertificateAuthority ca;
  private int port;

  @BeforeEach
  void start() throws Exception {
    ca = CertificateAuthority.create(dir.resolve("pki"), Duration.ofDays(3650), Clock.systemUTC());
    CertificateBundle server =
        ca.issueServer("berth", List.of(SubjectAltName.parse("IP:127.0.0.1")), YEAR);
    ca.writeServerFiles(server, "berth", dir.resolve("pki"));
    daemon = new FakeDaemon(dir.resolve("d.sock"), 1001);
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    PolicyEngine engine = new PolicyEngine(PolicyDefaults.policy(), HostPaths.local());
    Path pki = dir.resolve("pki");
    TlsListener tls =
        new TlsListener(
            new InetSocketAddress("127.0.0.1", 0),
            pki.resolve("berth-cert.pem"),
            pki.resolve("berth-key.pem"),
            pki.resolve("ca.pem"),
            pki.resolve("crl.pem"));
    proxy =
        ProxyServer.start(
            new ProxyConfig(null, daemon.socket, ProxyConfig.DEFAULT_MODE, null, 1, tls),
            () -> engine,
            users(),
            audit,
            OwnerStore.open(dir.resolve("state")));
    port = proxy.tlsPort();
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    audit.close();
    daemon.close();
  }

  private static UserDirectory users() {
    return new UserDirectory() {
      @Override
      public Optional<Account> byUid(int uid) {
        return Optional.empty();
      }

      @Override
      public Optional<Account> byName(String name) {
        Integer uid = USERS.get(name);
        return uid == null
            ? Optional.empty()
            : Optional.of(new Account(name, uid, uid, "/home/" + name, List.of(uid, 1000)));
      }

      @Override
      public Optional<Integer> groupId(String group) {
        return Optional.empty();
      }
    };
  }

  @Test
  void userCertificate_isServedAsThatUser_andAuditedWithItsSubject() throws Exception {
    assertThat(exchange(ca.issueUser("alice", YEAR), PING)).startsWith("HTTP/1.1 200 OK");

    audit.close();
    String trail = Files.readString(dir.resolve("audit.jsonl"));
    assertThat(trail)
        .contains(
            "\"principal\":{\"uid\":1001,\"user\":\"alice\",\"gid\":1001,"
                + "\"pid\":-1,\"tls\":\"CN=alice\"}");
  }

  @Test
  void noClientCertificate_isRefusedInTheHandshake() throws Exception {
    assertThat(exchange(null, PING)).startsWith("refused:");
  }

  @Test
  void certificateOfAnotherCa_isRefusedInTheHandshake() throws Exception {
    CertificateAuthority other =
        CertificateAuthority.create(
            dir.resolve("other"), YEAR, Clock.systemUTC()); // same name "berth CA", another key

    assertThat(exchange(other.issueUser("alice", YEAR), PING)).startsWith("refused:");
  }

  @Test
  void serverCertificateNamedAfterAUser_isRefusedWithoutClientAuthUsage() throws Exception {
    CertificateBundle server =
        ca.issueServer("alice", List.of(SubjectAltName.parse("DNS:alice")), YEAR);

    assertThat(exchange(server, PING)).startsWith("refused:");
  }

  @Test
  void expiredCertificate_isRefused() throws Exception {
    Clock lastYear = Clock.fixed(Instant.now().minus(Duration.ofDays(400)), ZoneOffset.UTC);
    CertificateBundle old =
        CertificateAuthority.open(dir.resolve("pki"), lastYear)
            .issueUser("alice", Duration.ofDays(30));

    assertThat(exchange(old, PING)).startsWith("refused:");
  }

  @Test
  void revocation_takesEffectAtTheNextConnection_forThatUserOnly() throws Exception {
    CertificateBundle alice = ca.issueUser("alice", YEAR);
    CertificateBundle bob = ca.issueUser("bob", YEAR);
    assertThat(exchange(bob, PING)).startsWith("HTTP/1.1 200 OK");

    ca.revoke("bob", Duration.ofDays(30));

    assertThat(exchange(bob, PING)).startsWith("refused:");
    assertThat(exchange(alice, PING)).startsWith("HTTP/1.1 200 OK");
  }

  @Test
  void crlPastItsNextUpdate_refusesEveryone_untilAFreshOneIsSigned() throws Exception {
    CertificateBundle alice = ca.issueUser("alice", YEAR);
    Clock lastMonth = Clock.fixed(Instant.now().minus(Duration.ofDays(31)), ZoneOffset.UTC);
    CertificateAuthority.open(dir.resolve("pki"), lastMonth).refreshCrl(Duration.ofDays(30));

    assertThat(exchange(alice, PING)).startsWith("refused:");

    ca.refreshCrl(Duration.ofDays(30));
    assertThat(exchange(alice, PING)).startsWith("HTTP/1.1 200 OK");
  }

  @Test
  void crlThatIsNotTheCas_refusesEveryone() throws Exception {
    CertificateBundle alice = ca.issueUser("alice", YEAR);
    CertificateAuthority.create(dir.resolve("other"), YEAR, Clock.systemUTC());
    Files.copy(
        dir.resolve("other/crl.pem"),
        dir.resolve("pki/crl.pem"),
        StandardCopyOption.REPLACE_EXISTING);

    assertThat(exchange(alice, PING)).startsWith("refused:");
  }

  @Test
  void certificateNamingNoUser_getsADockerFormatRefusal() throws Exception {
    String answer = exchange(ca.issueUser("mallory", YEAR), PING);

    assertThat(answer)
        .startsWith("HTTP/1.1 403 Forbidden")
        .endsWith(
            "{\"message\":\"berth: you "
                + "could not be identified (the client certificate names \\\"mallory\\\", which is no "
                + "user (NSS))\"}\n");
  }

  @Test
  void ownership_isTheCertificateUsers() throws Exception {
    // The fake daemon says every container belongs to uid 1001 (alice).
    String req =
        "POST /containers/c1/stop HTTP/1.1\r\nHost: d\r\nConnection: close\r\n"
            + "Content-Length: 0\r\n\r\n";

    assertThat(exchange(ca.issueUser("alice", YEAR), req)).startsWith("HTTP/1.1 20");
    assertThat(exchange(ca.issueUser("bob", YEAR), req))
        .startsWith("HTTP/1.1 404")
        .contains("No such container: c1");
  }

  /**
   * One request over TLS as the holder of {@code client} (none when null); the response, or {@code
   * refused: <reason>} when the connection failed before one arrived.
   */
  private String exchange(CertificateBundle client, String request) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("me", client.key(), new char[0], new Certificate[] {client.certificate()});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("berth", ca.certificate());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) >= 0; ) {
        out.write(buf, 0, n);
      }
      return out.size() == 0 ? "refused: closed" : out.toString(StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "refused: " + e;
    }
  }
}
