package dev.berth.pki;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CRLException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;

/**
 * berth's certificate authority: a directory holding the CA certificate and key, an index of
 * what was issued, and the revocation list.
 *
 * <pre>
 *   DIR/ca.pem        the CA certificate (0644): clients and servers trust this
 *   DIR/ca-key.pem    its private key (0600)
 *   DIR/index.tsv     serial, kind, not-after, revoked, name of every certificate issued
 *   DIR/crl.pem       the certificates revoked, signed by the CA, with a nextUpdate
 *   DIR/NAME-cert.pem, DIR/NAME-key.pem   server certificates (berth pki server)
 * </pre>
 *
 * <p>Keys are EC P-256 with ECDSA-SHA256 signatures: the security of RSA 3072 with keys and
 * signatures a tenth of the size and key generation in milliseconds instead of seconds; every TLS
 * stack berth meets supports it (Go's crypto/tls in dockerd and the docker CLI, the JDK, OpenSSL),
 * and with TLS 1.2 it selects ECDHE-ECDSA-AES-GCM suites. Serial numbers are 128 random bits.
 *
 * <p>Client certificates carry only the clientAuth extended key usage, server certificates only
 * serverAuth, so neither can stand in for the other; the CA is limited to path length 0, so a
 * certificate it issued cannot sign certificates in turn.
 *
 * <p>Thread safety: operations that change the directory take an exclusive lock on
 * {@code DIR/.lock}, so two {@code berth pki} commands do not lose each other's index entries.
 */
public final class CertificateAuthority {
  public static final String CA_CERT = "ca.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final String CRL = "crl.pem";
  public static final String INDEX = PkiIndex.FILE;
  /** How long a CRL is valid unless said otherwise; re-sign it with {@code berth pki crl}. */
  public static final Duration DEFAULT_CRL_VALIDITY = Duration.ofDays(30);

  static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
  static final Set<PosixFilePermission> SECRET = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIR_MODE =
      PosixFilePermissions.fromString("rwxr-xr-x");
  /** Issued certificates start this much in the past, for clocks slightly behind ours. */
  private static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final String SIGNATURE = "SHA256withECDSA";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final X509Certificate certificate;
  private final PrivateKey key;
  private final Clock clock;

  private CertificateAuthority(Path dir, X509Certificate certificate, PrivateKey key,
      Clock clock) {
    this.dir = dir;
    this.certificate = certificate;
    this.key = key;
    this.clock = clock;
  }

  /**
   * Creates a new CA in {@code dir} (created if missing, mode 0755), with an empty index and an
   * empty CRL valid for {@link #DEFAULT_CRL_VALIDITY}.
   *
   * @throws PkiException when {@code dir} already holds a CA: an existing CA is never replaced
   */
  public static CertificateAuthority create(Path dir, Duration validity, Clock clock)
      throws PkiException {
    requireNonNull(dir, "dir");
    requirePositive(validity);
    try (SafeDirectory d = SafeDirectory.open(dir, null, DIR_MODE);
         FileChannel lock = lock(d.path())) {
      for (String f : List.of(CA_CERT, CA_KEY)) {
        if (d.exists(f)) {
          throw new PkiException(d.path().resolve(f) + " exists: there is a CA in "
              + d.path() + " already; berth never replaces one (its certificates would stop "
              + "working). Use that CA, or choose another --dir");
        }
      }
      KeyPair pair = newKeyPair();
      Instant now = clock.instant();
      X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "berth")
          .addRDN(BCStyle.CN, "berth CA").build();
      BigInteger serial = newSerial();
      Instant notAfter = now.plus(validity);
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial,
          Date.from(now.minus(BACKDATE)), Date.from(notAfter), name, pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false,
          ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate cert = new JcaX509CertificateConverter()
          .getCertificate(b.build(signer(pair.getPrivate())));
      // The key first and never replaced: a crash leaves no certificate without its key.
      d.write(CA_KEY, Pem.privateKey(pair.getPrivate()).getBytes(StandardCharsets.US_ASCII),
          SECRET, false);
      d.write(CA_CERT, Pem.certificate(cert).getBytes(StandardCharsets.US_ASCII), PUBLIC, false);
      d.write(INDEX, PkiIndex.format(List.of(new IndexEntry(serial, IndexEntry.Kind.CA,
          "berth CA", notAfter, null))), PUBLIC, true);
      CertificateAuthority ca = new CertificateAuthority(d.path(), cert, pair.getPrivate(), clock);
      ca.writeCrl(d, List.of(), DEFAULT_CRL_VALIDITY);
      return ca;
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new PkiException("cannot create the CA: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new PkiException("cannot lock " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Opens the CA in {@code dir}.
   *
   * @throws PkiException when there is none, or its key does not belong to its certificate
   */
  public static CertificateAuthority open(Path dir, Clock clock) throws PkiException {
    requireNonNull(dir, "dir");
    try (SafeDirectory d = SafeDirectory.open(dir, null, DIR_MODE)) {
      if (!d.exists(CA_CERT) || !d.exists(CA_KEY)) {
        throw new PkiException("no CA in " + d.path() + " (" + CA_CERT + " and " + CA_KEY
            + " are needed); create one with: berth pki init --dir " + d.path());
      }
      X509Certificate cert = Pem.parseCertificate(text(d, CA_CERT), d.path().resolve(CA_CERT)
          .toString());
      PrivateKey key = Pem.parsePrivateKey(text(d, CA_KEY), d.path().resolve(CA_KEY).toString());
      if (!matches(cert, key)) {
        throw new PkiException(d.path().resolve(CA_KEY) + " is not the key of "
            + d.path().resolve(CA_CERT));
      }
      return new CertificateAuthority(d.path(), cert, key, clock);
    }
  }

  /** The CA certificate. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** The CA's directory. */
  public Path directory() {
    return dir;
  }

  /**
   * Issues a TLS server certificate (serverAuth) for dockerd's or berth's TLS endpoint and records
   * it in the index. {@code sans} are the names clients dial; Go checks only these, never the
   * CommonName.
   */
  public CertificateBundle issueServer(String name, List<SubjectAltName> sans, Duration validity)
      throws PkiException {
    requireName(name);
    if (sans.isEmpty()) {
      throw new PkiException("a server certificate needs at least one --san (DNS:host or "
          + "IP:address): clients check the name they connect to against these");
    }
    return issue(IndexEntry.Kind.SERVER, name, sans, validity);
  }

  /**
   * Issues a client certificate (clientAuth only) whose CommonName is {@code user}, the name
   * berth's TLS listener resolves through NSS, and records it in the index.
   */
  public CertificateBundle issueUser(String user, Duration validity) throws PkiException {
    requireName(user);
    return issue(IndexEntry.Kind.USER, user, List.of(), validity);
  }

  private CertificateBundle issue(IndexEntry.Kind kind, String name, List<SubjectAltName> sans,
      Duration validity) throws PkiException {
    requirePositive(validity);
    try (SafeDirectory d = SafeDirectory.open(dir, null, DIR_MODE);
         FileChannel lock = lock(dir)) {
      List<IndexEntry> index = new ArrayList<>(readIndex(d));
      Instant now = clock.instant();
      Instant caEnd = certificate.getNotAfter().toInstant();
      if (!now.isBefore(caEnd)) {
        throw new PkiException("the CA certificate expired on " + caEnd
            + "; create a new CA in another directory");
      }
      Instant wanted = now.plus(validity);
      Instant notAfter = wanted.isAfter(caEnd) ? caEnd : wanted; // never outlives the CA
      KeyPair pair = newKeyPair();
      BigInteger serial = newSerial();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial,
          Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject, pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
          kind == IndexEntry.Kind.SERVER ? KeyPurposeId.id_kp_serverAuth
              : KeyPurposeId.id_kp_clientAuth));
      b.addExtension(Extension.subjectKeyIdentifier, false,
          ext.createSubjectKeyIdentifier(pair.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false,
          ext.createAuthorityKeyIdentifier(certificate));
      if (!sans.isEmpty()) {
        ASN1Encodable[] names = sans.stream().map(s -> new GeneralName(
            s.kind() == SubjectAltName.Kind.DNS ? GeneralName.dNSName : GeneralName.iPAddress,
            s.value())).toArray(ASN1Encodable[]::new);
        b.addExtension(Extension.subjectAlternativeName, false, new DERSequence(names));
      }
      X509Certificate cert = new JcaX509CertificateConverter()
          .getCertificate(b.build(signer(key)));
      // Recorded before anyone can use it, so that it can always be revoked.
      index.add(new IndexEntry(serial, kind, name, notAfter, null));
      d.write(INDEX, PkiIndex.format(index), PUBLIC, true);
      return new CertificateBundle(cert, pair.getPrivate(), certificate);
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new PkiException("cannot issue a certificate for " + name + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new PkiException("cannot lock " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Revokes every unrevoked, unexpired client certificate issued to {@code user} and writes a
   * new CRL.
   *
   * @return the certificates revoked now
   * @throws PkiException when {@code user} has no such certificate
   */
  public List<IndexEntry> revoke(String user, Duration crlValidity) throws PkiException {
    requireNonNull(user, "user");
    requirePositive(crlValidity);
    try (SafeDirectory d = SafeDirectory.open(dir, null, DIR_MODE);
         FileChannel lock = lock(dir)) {
      Instant now = clock.instant();
      List<IndexEntry> index = new ArrayList<>(readIndex(d));
      List<IndexEntry> revoked = new ArrayList<>();
      for (int i = 0; i < index.size(); i++) {
        IndexEntry e = index.get(i);
        if (e.kind() == IndexEntry.Kind.USER && e.name().equals(user) && e.revoked() == null
            && e.notAfter().isAfter(now)) {
          IndexEntry r = e.revokedAt(now);
          index.set(i, r);
          revoked.add(r);
        }
      }
      if (revoked.isEmpty()) {
        throw new PkiException(user + " has no valid certificate to revoke (see berth pki list)");
      }
      d.write(INDEX, PkiIndex.format(index), PUBLIC, true);
      writeCrl(d, index, crlValidity);
      return List.copyOf(revoked);
    } catch (IOException e) {
      throw new PkiException("cannot lock " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Signs a fresh CRL of every revoked certificate, valid for {@code validity}: run it (e.g. from
   * cron) well before the current CRL's nextUpdate, because berth refuses every client while its
   * CRL is out of date.
   */
  public X509CRL refreshCrl(Duration validity) throws PkiException {
    requirePositive(validity);
    try (SafeDirectory d = SafeDirectory.open(dir, null, DIR_MODE);
         FileChannel lock = lock(dir)) {
      return writeCrl(d, readIndex(d), validity);
    } catch (IOException e) {
      throw new PkiException("cannot lock " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Every certificate this CA issued, oldest first. */
  public List<IndexEntry> index() throws PkiException {
    try (SafeDirectory d = SafeDirectory.open(dir, null, DIR_MODE)) {
      return readIndex(d);
    }
  }

  /**
   * Writes a server certificate as {@code NAME-cert.pem} and {@code NAME-key.pem} (0600) into
   * {@code out}, owned by the process (root), replacing earlier ones; and {@code ca.pem} too
   * when {@code out} is not the CA's directory.
   */
  public void writeServerFiles(CertificateBundle bundle, String name, Path out)
      throws PkiException {
    requireName(name);
    try (SafeDirectory d = SafeDirectory.open(out, null, DIR_MODE)) {
      d.write(name + "-key.pem", bundle.keyPem().getBytes(StandardCharsets.US_ASCII), SECRET,
          true);
      d.write(name + "-cert.pem", bundle.certificatePem().getBytes(StandardCharsets.US_ASCII),
          PUBLIC, true);
      if (!d.path().equals(dir)) {
        d.write(CA_CERT, bundle.caPem().getBytes(StandardCharsets.US_ASCII), PUBLIC, true);
      }
    }
  }

  /**
   * Writes a user's credentials as {@code ca.pem}, {@code cert.pem} and {@code key.pem} into
   * {@code out}: the layout {@code DOCKER_CERT_PATH} expects. The directory (mode 0700) and the
   * files ({@code key.pem} 0600, the others 0644) belong to {@code owner}; each file is replaced
   * atomically, and nothing is written through a symbolic link (see {@link SafeDirectory}).
   */
  public static void writeUserFiles(CertificateBundle bundle, Path out, FileOwner owner)
      throws PkiException {
    requireNonNull(owner, "owner");
    try (SafeDirectory d = SafeDirectory.open(out, owner, DIR_MODE)) { // mode unused: owner given
      d.write("key.pem", bundle.keyPem().getBytes(StandardCharsets.US_ASCII), SECRET, true);
      d.write("cert.pem", bundle.certificatePem().getBytes(StandardCharsets.US_ASCII), PUBLIC,
          true);
      d.write("ca.pem", bundle.caPem().getBytes(StandardCharsets.US_ASCII), PUBLIC, true);
    }
  }

  private X509CRL writeCrl(SafeDirectory d, List<IndexEntry> index, Duration validity)
      throws PkiException {
    Instant now = clock.instant();
    BigInteger number = BigInteger.ONE;
    if (d.exists(CRL)) {
      X509CRL previous = Pem.parseCrl(text(d, CRL), d.path().resolve(CRL).toString());
      number = crlNumber(previous).add(BigInteger.ONE);
    }
    try {
      X509v2CRLBuilder b = new X509v2CRLBuilder(
          X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
          Date.from(now));
      b.setNextUpdate(Date.from(now.plus(validity)));
      for (IndexEntry e : index) {
        if (e.revoked() != null) {
          b.addCRLEntry(e.serial(), Date.from(e.revoked()), CRLReason.privilegeWithdrawn);
        }
      }
      b.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate));
      b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
      X509CRL crl = new JcaX509CRLConverter().getCRL(b.build(signer(key)));
      d.write(CRL, Pem.crl(crl).getBytes(StandardCharsets.US_ASCII), PUBLIC, true);
      return crl;
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new PkiException("cannot sign the CRL: " + e.getMessage(), e);
    }
  }

  private static BigInteger crlNumber(X509CRL crl) throws PkiException {
    try {
      X509CRLHolder holder = new X509CRLHolder(crl.getEncoded());
      Extension ext = holder.getExtension(Extension.cRLNumber);
      return ext == null ? BigInteger.ZERO
          : CRLNumber.getInstance(ext.getParsedValue()).getCRLNumber();
    } catch (IOException | CRLException e) {
      throw new PkiException("cannot read the number of the current CRL: " + e.getMessage(), e);
    }
  }

  private static List<IndexEntry> readIndex(SafeDirectory d) throws PkiException {
    return d.exists(INDEX) ? PkiIndex.parse(d.read(INDEX)) : List.of();
  }

  private static String text(SafeDirectory d, String name) throws PkiException {
    return new String(d.read(name), StandardCharsets.US_ASCII);
  }

  /** An exclusive lock on {@code DIR/.lock}, held until the returned channel is closed. */
  private static FileChannel lock(Path dir) throws IOException {
    FileChannel ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    try {
      ch.lock();
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static BigInteger newSerial() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    b[0] &= 0x7f; // positive, as RFC 5280 requires
    b[0] |= 0x40; // and never shorter than 15 bytes or zero
    return new BigInteger(1, b);
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(SIGNATURE).build(key);
  }

  private static boolean matches(X509Certificate cert, PrivateKey key) {
    try {
      byte[] probe = new byte[32];
      RANDOM.nextBytes(probe);
      Signature s = Signature.getInstance(SIGNATURE);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(SIGNATURE);
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * A CommonName berth can put in a certificate and the index: 1 to 64 characters (X.520's
   * limit), none of them a control character, tab, slash or backslash.
   */
  private static void requireName(String name) throws PkiException {
    requireNonNull(name, "name");
    if (name.isEmpty() || name.length() > 64
        || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '/' || c == '\\')) {
      throw new PkiException("not a usable name: \"" + name + "\" (1 to 64 characters, no "
          + "control characters or slashes)");
    }
  }

  private static void requirePositive(Duration validity) throws PkiException {
    if (validity.isNegative() || validity.isZero()) {
      throw new PkiException("a validity must be positive, got " + validity);
    }
  }
}
