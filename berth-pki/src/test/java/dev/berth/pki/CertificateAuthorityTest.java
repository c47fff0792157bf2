package dev.berth.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir Path tmp;

  private CertificateAuthority newCa() throws PkiException {
    return CertificateAuthority.create(tmp.resolve("pki"), Duration.ofDays(3650), CLOCK);
  }

  @Test
  void create_writesCaThatCanOnlySignWithKeyReadableByOwnerOnly() throws Exception {
    CertificateAuthority ca = newCa();
    Path dir = tmp.resolve("pki");

    X509Certificate cert = read(dir.resolve("ca.pem"));
    assertThat(cert.getBasicConstraints()).isZero(); // a CA, path length 0
    assertThat(cert.getKeyUsage())
        .containsExactly(
            false, false, false, false, false, true, true, false, false); // keyCertSign, cRLSign
    assertThat(cert.getPublicKey().getAlgorithm()).isEqualTo("EC");
    assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
    assertThat(cert.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(3650)));
    assertThat(ca.certificate()).isEqualTo(cert);
    assertThat(mode(dir.resolve("ca-key.pem"))).isEqualTo("rw-------");
    assertThat(mode(dir.resolve("ca.pem"))).isEqualTo("rw-r--r--");
    assertThat(Files.readString(dir.resolve("ca-key.pem")))
        .startsWith("-----BEGIN PRIVATE KEY-----");
  }

  @Test
  void keyPem_ecPrivateKey_carriesItsPublicKeyForGnuTls() throws Exception {
    CertificateAuthority ca = newCa();
    CertificateBundle b =
        ca.issueServer(
            "collector", List.of(SubjectAltName.parse("IP:127.0.0.1")), Duration.ofDays(1));
    for (String pem : List.of(b.keyPem(), Files.readString(tmp.resolve("pki/ca-key.pem")))) {
      String base64 = pem.replaceAll("-----[A-Z ]+-----|\\s", "");
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(Base64.getDecoder().decode(base64));
      ECPrivateKey sec1 = ECPrivateKey.getInstance(info.parsePrivateKey());
      assertThat(sec1.getPublicKey()).as("RFC 5915 publicKey, which GnuTLS requires").isNotNull();
    }
    assertThat(
            ECPrivateKey.getInstance(
                    PrivateKeyInfo.getInstance(
                            Base64.getDecoder()
                                .decode(b.keyPem().replaceAll("-----[A-Z ]+-----|\\s", "")))
                        .parsePrivateKey())
                .getPublicKey()
                .getBytes())
        .isEqualTo(
            SubjectPublicKeyInfo.getInstance(b.certificate().getPublicKey().getEncoded())
                .getPublicKeyData()
                .getBytes());
    assertThat(CertificateTemplate.matches(b.certificate(), Pem.parsePrivateKey(b.keyPem(), "key")))
        .isTrue();
  }

  @Test
  void create_whereACaExists_isRefusedAndLeavesTheKeyAlone() throws Exception {
    newCa();
    Path key = tmp.resolve("pki/ca-key.pem");
    byte[] before = Files.readAllBytes(key);

    assertThatThrownBy(this::newCa)
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("there is a CA in " + tmp.resolve("pki") + " already");
    assertThat(Files.readAllBytes(key)).isEqualTo(before);
  }

  @Test
  void create_whereOnlyTheKeyExists_isRefused() throws Exception {
    Files.createDirectories(tmp.resolve("pki"));
    Files.writeString(tmp.resolve("pki/ca-key.pem"), "precious");

    assertThatThrownBy(this::newCa)
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("ca-key.pem exists");
    assertThat(Files.readString(tmp.resolve("pki/ca-key.pem"))).isEqualTo("precious");
  }

  @Test
  void create_writesAnEmptyCrlSignedByTheCa() throws Exception {
    CertificateAuthority ca = newCa();
    X509CRL crl = readCrl(tmp.resolve("pki/crl.pem"));

    crl.verify(ca.certificate().getPublicKey());
    assertThat(crl.getRevokedCertificates()).isNull();
    assertThat(crl.getNextUpdate().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(30)));
  }

  @Test
  void issueUser_isAClientCertificateNamedForTheUserAndNothingElse() throws Exception {
    CertificateAuthority ca = newCa();
    CertificateBundle b = ca.issueUser("alice", Duration.ofDays(365));
    X509Certificate cert = b.certificate();

    cert.verify(ca.certificate().getPublicKey());
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=alice");
    assertThat(cert.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
    assertThat(cert.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
    assertThat(cert.getKeyUsage())
        .containsExactly(
            true, false, false, false, false, false, false, false, false); // digitalSignature only
    assertThat(cert.getBasicConstraints()).isEqualTo(-1); // not a CA
    assertThat(cert.getSubjectAlternativeNames()).isNull();
    assertThat(cert.getNotBefore().toInstant()).isEqualTo(NOW.minus(Duration.ofMinutes(5)));
    assertThat(cert.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(365)));
    assertThat(cert.getSerialNumber().bitLength()).isGreaterThanOrEqualTo(120);
  }

  @Test
  void issueServer_isAServerCertificateForItsNames() throws Exception {
    CertificateAuthority ca = newCa();
    CertificateBundle b =
        ca.issueServer(
            "berth",
            List.of(
                SubjectAltName.parse("DNS:Host.Example"),
                SubjectAltName.parse("IP:127.0.0.1"),
                SubjectAltName.parse("IP:::1")),
            Duration.ofDays(30));
    X509Certificate cert = b.certificate();

    cert.verify(ca.certificate().getPublicKey());
    assertThat(cert.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
    assertThat(cert.getSubjectAlternativeNames())
        .extracting(l -> l.get(0) + ":" + l.get(1))
        .containsExactly("2:host.example", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1");
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=berth");
  }

  @Test
  void issueServer_withoutNames_isRefused() throws Exception {
    CertificateAuthority ca = newCa();

    assertThatThrownBy(() -> ca.issueServer("berth", List.of(), Duration.ofDays(30)))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("at least one --san");
  }

  @Test
  void subjectAltName_parse_refusesWhatIsNotANameOrAddress() {
    for (String bad :
        List.of("host", "URI:http://x", "DNS:a b", "DNS:-x.example", "IP:host", "IP:1.2.3")) {
      assertThatThrownBy(() -> SubjectAltName.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void issue_neverOutlivesTheCa() throws Exception {
    CertificateAuthority ca =
        CertificateAuthority.create(tmp.resolve("pki"), Duration.ofDays(10), CLOCK);

    X509Certificate cert = ca.issueUser("alice", Duration.ofDays(365)).certificate();
    assertThat(cert.getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
  }

  @Test
  void issue_recordsEveryCertificateInTheIndex() throws Exception {
    CertificateAuthority ca = newCa();
    BigInteger alice = ca.issueUser("alice", Duration.ofDays(1)).certificate().getSerialNumber();
    BigInteger server =
        ca.issueServer("berth", List.of(SubjectAltName.parse("DNS:h")), Duration.ofDays(1))
            .certificate()
            .getSerialNumber();

    List<IndexEntry> index = CertificateAuthority.open(tmp.resolve("pki"), CLOCK).index();
    assertThat(index)
        .extracting(IndexEntry::kind, IndexEntry::name, IndexEntry::serial)
        .containsExactly(
            tuple(IndexEntry.Kind.CA, "berth CA", ca.certificate().getSerialNumber()),
            tuple(IndexEntry.Kind.USER, "alice", alice),
            tuple(IndexEntry.Kind.SERVER, "berth", server));
  }

  @Test
  void issueUser_withNameThatCouldBreakTheIndex_isRefused() throws Exception {
    CertificateAuthority ca = newCa();

    for (String bad : List.of("", "a\tb", "a\nb", "../x", "x".repeat(65))) {
      assertThatThrownBy(() -> ca.issueUser(bad, Duration.ofDays(1)))
          .as(bad)
          .isInstanceOf(PkiException.class)
          .hasMessageContaining("not a usable name");
    }
  }

  @Test
  void revoke_putsEveryValidCertificateOfTheUserInANewSignedCrl() throws Exception {
    CertificateAuthority ca = newCa();
    BigInteger bob1 = ca.issueUser("bob", Duration.ofDays(30)).certificate().getSerialNumber();
    BigInteger bob2 = ca.issueUser("bob", Duration.ofDays(30)).certificate().getSerialNumber();
    X509Certificate alice = ca.issueUser("alice", Duration.ofDays(30)).certificate();
    BigInteger before = crlNumber(readCrl(tmp.resolve("pki/crl.pem")));

    List<IndexEntry> revoked = ca.revoke("bob", Duration.ofDays(7));

    assertThat(revoked).extracting(IndexEntry::serial).containsExactly(bob1, bob2);
    X509CRL crl = readCrl(tmp.resolve("pki/crl.pem"));
    crl.verify(ca.certificate().getPublicKey());
    assertThat(crl.getRevokedCertificates())
        .extracting(e -> e.getSerialNumber())
        .containsExactlyInAnyOrder(bob1, bob2);
    assertThat(crl.isRevoked(alice)).isFalse();
    assertThat(crl.getThisUpdate().toInstant()).isEqualTo(NOW);
    assertThat(crl.getNextUpdate().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(7)));
    assertThat(crlNumber(crl)).isEqualTo(before.add(BigInteger.ONE));
    assertThat(ca.index())
        .filteredOn(e -> e.name().equals("bob"))
        .allSatisfy(e -> assertThat(e.revokedAt()).contains(NOW));
  }

  @Test
  void revoke_userWithoutValidCertificate_isRefusedAndLeavesTheCrl() throws Exception {
    CertificateAuthority ca = newCa();
    ca.issueServer("bob", List.of(SubjectAltName.parse("DNS:h")), Duration.ofDays(1));
    byte[] crl = Files.readAllBytes(tmp.resolve("pki/crl.pem"));

    assertThatThrownBy(() -> ca.revoke("bob", Duration.ofDays(7)))
        .isInstanceOf(PkiException.class)
        .hasMessage("bob has no valid certificate to revoke " + "(see berth pki list)");
    assertThat(Files.readAllBytes(tmp.resolve("pki/crl.pem"))).isEqualTo(crl);
  }

  @Test
  void refreshCrl_keepsTheRevokedAndMovesNextUpdate() throws Exception {
    CertificateAuthority ca = newCa();
    BigInteger bob = ca.issueUser("bob", Duration.ofDays(30)).certificate().getSerialNumber();
    ca.revoke("bob", Duration.ofDays(1));
    Clock later = Clock.offset(CLOCK, Duration.ofDays(2));

    X509CRL crl =
        CertificateAuthority.open(tmp.resolve("pki"), later).refreshCrl(Duration.ofDays(30));

    assertThat(crl.getRevokedCertificates())
        .extracting(e -> e.getSerialNumber())
        .containsExactly(bob);
    assertThat(crl.getNextUpdate().toInstant())
        .isEqualTo(NOW.plus(Duration.ofDays(2)).plus(Duration.ofDays(30)));
  }

  @Test
  void open_withAnotherCasKey_isRefused() throws Exception {
    newCa();
    CertificateAuthority.create(tmp.resolve("other"), Duration.ofDays(1), CLOCK);
    Files.copy(
        tmp.resolve("other/ca-key.pem"),
        tmp.resolve("pki/ca-key.pem"),
        StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> CertificateAuthority.open(tmp.resolve("pki"), CLOCK))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("is not the key of");
  }

  @Test
  void open_withoutCa_saysHowToCreateOne() {
    assertThatThrownBy(() -> CertificateAuthority.open(tmp.resolve("none"), CLOCK))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("create one with: berth pki init --dir");
  }

  @Test
  void writeUserFiles_writesDockerCertPathLayoutWithPrivateModes() throws Exception {
    CertificateAuthority ca = newCa();
    CertificateBundle b = ca.issueUser("alice", Duration.ofDays(1));
    Path out = tmp.resolve("home/.docker/berth");
    Files.createDirectories(tmp.resolve("home"));

    CertificateAuthority.writeUserFiles(b, out, currentOwner());

    assertThat(mode(out)).isEqualTo("rwx------");
    assertThat(mode(out.getParent())).isEqualTo("rwx------");
    assertThat(mode(out.resolve("key.pem"))).isEqualTo("rw-------");
    assertThat(mode(out.resolve("cert.pem"))).isEqualTo("rw-r--r--");
    assertThat(read(out.resolve("cert.pem"))).isEqualTo(b.certificate());
    assertThat(read(out.resolve("ca.pem"))).isEqualTo(ca.certificate());
    assertThat(Files.readString(out.resolve("key.pem"))).isEqualTo(b.keyPem());
    try (var files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("ca.pem", "cert.pem", "key.pem"); // no temporary left
    }
  }

  @Test
  void writeUserFiles_givesDirectoryAndFilesToTheUser() throws Exception {
    assumeThat(System.getProperty("user.name")).as("needs root to chown").isEqualTo("root");
    CertificateAuthority ca = newCa();
    Path out = tmp.resolve("home/.docker/berth");
    Files.createDirectories(tmp.resolve("home"));

    CertificateAuthority.writeUserFiles(
        ca.issueUser("nobody", Duration.ofDays(1)), out, new FileOwner("nobody", 65534, 65534));

    for (Path p :
        List.of(
            out,
            out.getParent(),
            out.resolve("key.pem"),
            out.resolve("cert.pem"),
            out.resolve("ca.pem"))) {
      assertThat(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS))
          .as(p.toString())
          .isEqualTo(65534);
      assertThat(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS))
          .as(p.toString())
          .isEqualTo(65534);
    }
  }

  @Test
  void writeUserFiles_replacesEarlierCredentials() throws Exception {
    CertificateAuthority ca = newCa();
    Path out = tmp.resolve("home/.docker/berth");
    Files.createDirectories(tmp.resolve("home"));
    CertificateAuthority.writeUserFiles(
        ca.issueUser("alice", Duration.ofDays(1)), out, currentOwner());
    CertificateBundle second = ca.issueUser("alice", Duration.ofDays(1));

    CertificateAuthority.writeUserFiles(second, out, currentOwner());

    assertThat(read(out.resolve("cert.pem"))).isEqualTo(second.certificate());
    assertThat(Files.readString(out.resolve("key.pem"))).isEqualTo(second.keyPem());
  }

  @Test
  void writeUserFiles_throughASymbolicLink_isRefusedAndWritesNothing() throws Exception {
    CertificateAuthority ca = newCa();
    Path victim = Files.createDirectories(tmp.resolve("etc"));
    Files.createDirectories(tmp.resolve("home"));
    // The user swaps ~/.docker for a link to a directory of root's.
    Files.createSymbolicLink(tmp.resolve("home/.docker"), victim);

    assertThatThrownBy(
            () ->
                CertificateAuthority.writeUserFiles(
                    ca.issueUser("alice", Duration.ofDays(1)),
                    tmp.resolve("home/.docker/berth"),
                    currentOwner()))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("is a symbolic link");
    try (var files = Files.list(victim)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void writeUserFiles_overALinkedKeyFile_replacesTheLinkNotItsTarget() throws Exception {
    CertificateAuthority ca = newCa();
    Path out = Files.createDirectories(tmp.resolve("home/.docker/berth"));
    Path shadow = Files.writeString(tmp.resolve("shadow"), "root's secret");
    Files.createSymbolicLink(out.resolve("key.pem"), shadow);

    CertificateAuthority.writeUserFiles(
        ca.issueUser("alice", Duration.ofDays(1)), out, currentOwner());

    assertThat(Files.readString(shadow)).isEqualTo("root's secret");
    assertThat(Files.isSymbolicLink(out.resolve("key.pem"))).isFalse();
  }

  @Test
  void bundle_toString_neverShowsTheKey() throws Exception {
    CertificateBundle b = newCa().issueUser("alice", Duration.ofDays(1));

    assertThat(b.toString())
        .contains("CN=alice")
        .doesNotContain("PRIVATE")
        .doesNotContain(b.keyPem().lines().skip(1).findFirst().orElseThrow());
  }

  private static FileOwner currentOwner() throws IOException {
    int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    int gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    return new FileOwner(System.getProperty("user.name"), uid, gid);
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  private static X509Certificate read(Path p) throws Exception {
    try (var in = Files.newInputStream(p)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static X509CRL readCrl(Path p) throws Exception {
    try (var in = Files.newInputStream(p)) {
      return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
    }
  }

  private static BigInteger crlNumber(X509CRL crl) {
    byte[] ext = crl.getExtensionValue("2.5.29.20");
    return CRLNumber.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getCRLNumber();
  }
}
