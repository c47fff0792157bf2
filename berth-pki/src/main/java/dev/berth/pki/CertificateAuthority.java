package dev.berth.pki;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * berth's certificate authority: a directory holding the CA certificate and key, an index of what
 * was issued, and the revocation list.
 *
 * <pre>
 *   DIR/ca.pem        the CA certificate (0644): clients and servers trust this
 *   DIR/ca-key.pem    its private key (0600)
 *   DIR/index.tsv     serial, kind, not-after, revoked, name of every certificate issued
 *   DIR/crl.pem       the certificates revoked, signed by the CA, with a nextUpdate
 *   DIR/NAME-cert.pem, DIR/NAME-key.pem   server certificates (berth pki server)
 * </pre>
 *
 * <p>This class decides what is issued and keeps the records; {@link CertificateTemplate} says what
 * the certificates contain (keys, extensions, validity), {@link LockedDirectory} holds the
 * directory and its lock, {@link CredentialFiles} writes the issued files where they are used.
 *
 * <p>Thread safety: operations that change the directory take an exclusive lock on {@code
 * DIR/.lock}, so two {@code berth pki} commands do not lose each other's index entries.
 */
public final class CertificateAuthority {
  public static final String CA_CERT = "ca.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final String CRL = "crl.pem";
  public static final String INDEX = PkiIndex.FILE;

  /** How long a CRL is valid unless said otherwise; re-sign it with {@code berth pki crl}. */
  public static final Duration DEFAULT_CRL_VALIDITY = Duration.ofDays(30);

  private final Path dir;
  private final X509Certificate certificate;
  private final PrivateKey key;
  private final Clock clock;

  private CertificateAuthority(Path dir, X509Certificate certificate, PrivateKey key, Clock clock) {
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
    try (LockedDirectory d = LockedDirectory.lock(dir)) {
      for (String f : List.of(CA_CERT, CA_KEY)) {
        if (d.exists(f)) {
          throw new PkiException(
              d.path().resolve(f)
                  + " exists: there is a CA in "
                  + d.path()
                  + " already; berth never replaces one (its certificates would stop "
                  + "working). Use that CA, or choose another --dir");
        }
      }
      KeyPair pair = CertificateTemplate.newKeyPair();
      Instant now = clock.instant();
      BigInteger serial = CertificateTemplate.newSerial();
      Instant notAfter = now.plus(validity);
      X509Certificate cert = CertificateTemplate.ca(pair, serial, now, notAfter);
      // The key first and never replaced: a crash leaves no certificate without its key.
      d.write(
          CA_KEY,
          Pem.privateKey(pair.getPrivate(), pair.getPublic()),
          LockedDirectory.SECRET,
          false);
      d.write(CA_CERT, Pem.certificate(cert), LockedDirectory.PUBLIC, false);
      d.writeIndex(List.of(new IndexEntry(serial, IndexEntry.Kind.CA, "berth CA", notAfter, null)));
      CertificateAuthority ca = new CertificateAuthority(d.path(), cert, pair.getPrivate(), clock);
      ca.writeCrl(d, List.of(), DEFAULT_CRL_VALIDITY);
      return ca;
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new PkiException("cannot create the CA: " + e.getMessage(), e);
    }
  }

  /**
   * Opens the CA in {@code dir}.
   *
   * @throws PkiException when there is none, or its key does not belong to its certificate
   */
  public static CertificateAuthority open(Path dir, Clock clock) throws PkiException {
    requireNonNull(dir, "dir");
    try (LockedDirectory d = LockedDirectory.read(dir)) {
      if (!d.exists(CA_CERT) || !d.exists(CA_KEY)) {
        throw new PkiException(
            "no CA in "
                + d.path()
                + " ("
                + CA_CERT
                + " and "
                + CA_KEY
                + " are needed); create one with: berth pki init --dir "
                + d.path());
      }
      X509Certificate cert =
          Pem.parseCertificate(d.text(CA_CERT), d.path().resolve(CA_CERT).toString());
      PrivateKey key = Pem.parsePrivateKey(d.text(CA_KEY), d.path().resolve(CA_KEY).toString());
      if (!CertificateTemplate.matches(cert, key)) {
        throw new PkiException(
            d.path().resolve(CA_KEY) + " is not the key of " + d.path().resolve(CA_CERT));
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
      throw new PkiException(
          "a server certificate needs at least one --san (DNS:host or "
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

  private CertificateBundle issue(
      IndexEntry.Kind kind, String name, List<SubjectAltName> sans, Duration validity)
      throws PkiException {
    requirePositive(validity);
    try (LockedDirectory d = LockedDirectory.lock(dir)) {
      List<IndexEntry> index = new ArrayList<>(d.index());
      Instant now = clock.instant();
      Instant caEnd = certificate.getNotAfter().toInstant();
      if (!now.isBefore(caEnd)) {
        throw new PkiException(
            "the CA certificate expired on " + caEnd + "; create a new CA in another directory");
      }
      Instant wanted = now.plus(validity);
      Instant notAfter = wanted.isAfter(caEnd) ? caEnd : wanted; // never outlives the CA
      KeyPair pair = CertificateTemplate.newKeyPair();
      BigInteger serial = CertificateTemplate.newSerial();
      X509Certificate cert =
          CertificateTemplate.leaf(certificate, key, kind, name, sans, pair, serial, now, notAfter);
      // Recorded before anyone can use it, so that it can always be revoked.
      index.add(new IndexEntry(serial, kind, name, notAfter, null));
      d.writeIndex(index);
      return new CertificateBundle(cert, pair.getPrivate(), certificate);
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new PkiException("cannot issue a certificate for " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Revokes every unrevoked, unexpired client certificate issued to {@code user} and writes a new
   * CRL.
   *
   * @return the certificates revoked now
   * @throws PkiException when {@code user} has no such certificate
   */
  public List<IndexEntry> revoke(String user, Duration crlValidity) throws PkiException {
    requireNonNull(user, "user");
    requirePositive(crlValidity);
    try (LockedDirectory d = LockedDirectory.lock(dir)) {
      Instant now = clock.instant();
      List<IndexEntry> index = new ArrayList<>(d.index());
      List<IndexEntry> revoked = new ArrayList<>();
      for (int i = 0; i < index.size(); i++) {
        IndexEntry e = index.get(i);
        if (e.kind() == IndexEntry.Kind.USER
            && e.name().equals(user)
            && e.revoked() == null
            && e.notAfter().isAfter(now)) {
          IndexEntry r = e.revokedAt(now);
          index.set(i, r);
          revoked.add(r);
        }
      }
      if (revoked.isEmpty()) {
        throw new PkiException(user + " has no valid certificate to revoke (see berth pki list)");
      }
      d.writeIndex(index);
      writeCrl(d, index, crlValidity);
      return List.copyOf(revoked);
    }
  }

  /**
   * Signs a fresh CRL of every revoked certificate, valid for {@code validity}: run it (e.g. from
   * cron) well before the current CRL's nextUpdate, because berth refuses every client while its
   * CRL is out of date.
   */
  public X509CRL refreshCrl(Duration validity) throws PkiException {
    requirePositive(validity);
    try (LockedDirectory d = LockedDirectory.lock(dir)) {
      return writeCrl(d, d.index(), validity);
    }
  }

  /** Every certificate this CA issued, oldest first. */
  public List<IndexEntry> index() throws PkiException {
    try (LockedDirectory d = LockedDirectory.read(dir)) {
      return d.index();
    }
  }

  /**
   * Writes a server certificate as {@code NAME-cert.pem} and {@code NAME-key.pem} (0600) into
   * {@code out}, owned by the process (root), replacing earlier ones; and {@code ca.pem} too when
   * {@code out} is not the CA's directory.
   */
  public void writeServerFiles(CertificateBundle bundle, String name, Path out)
      throws PkiException {
    requireName(name);
    CredentialFiles.writeServer(bundle, name, out, dir);
  }

  /**
   * Writes a user's credentials as {@code ca.pem}, {@code cert.pem} and {@code key.pem} into {@code
   * out}: the layout {@code DOCKER_CERT_PATH} expects. The directory (mode 0700) and the files
   * ({@code key.pem} 0600, the others 0644) belong to {@code owner}; each file is replaced
   * atomically, and nothing is written through a symbolic link (see {@link SafeDirectory}).
   */
  public static void writeUserFiles(CertificateBundle bundle, Path out, FileOwner owner)
      throws PkiException {
    CredentialFiles.writeUser(bundle, out, owner);
  }

  private X509CRL writeCrl(LockedDirectory d, List<IndexEntry> index, Duration validity)
      throws PkiException {
    Instant now = clock.instant();
    BigInteger number = BigInteger.ONE;
    if (d.exists(CRL)) {
      X509CRL previous = Pem.parseCrl(d.text(CRL), d.path().resolve(CRL).toString());
      number = crlNumber(previous).add(BigInteger.ONE);
    }
    try {
      X509CRL crl = CertificateTemplate.crl(certificate, key, index, number, now, validity);
      d.write(CRL, Pem.crl(crl), LockedDirectory.PUBLIC, true);
      return crl;
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new PkiException("cannot sign the CRL: " + e.getMessage(), e);
    }
  }

  private static BigInteger crlNumber(X509CRL crl) throws PkiException {
    try {
      X509CRLHolder holder = new X509CRLHolder(crl.getEncoded());
      Extension ext = holder.getExtension(Extension.cRLNumber);
      return ext == null
          ? BigInteger.ZERO
          : CRLNumber.getInstance(ext.getParsedValue()).getCRLNumber();
    } catch (IOException | CRLException e) {
      throw new PkiException("cannot read the number of the current CRL: " + e.getMessage(), e);
    }
  }

  /**
   * A CommonName berth can put in a certificate and the index: 1 to 64 characters (X.520's limit),
   * none of them a control character, tab, slash or backslash.
   */
  private static void requireName(String name) throws PkiException {
    requireNonNull(name, "name");
    if (name.isEmpty()
        || name.length() > 64
        || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '/' || c == '\\')) {
      throw new PkiException(
          "not a usable name: \""
              + name
              + "\" (1 to 64 characters, no "
              + "control characters or slashes)");
    }
  }

  private static void requirePositive(Duration validity) throws PkiException {
    if (validity.isNegative() || validity.isZero()) {
      throw new PkiException("a validity must be positive, got " + validity);
    }
  }
}
