package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, during the TLS handshake, whether a client certificate may name a caller: it must chain
 * to one of the configured CA certificates (PKIX, signatures and validity), carry the clientAuth
 * extended key usage (a server certificate of the same CA does not do), and not be on the CA's
 * revocation list.
 *
 * <p>Design note. The CRL file is checked for changes (modification time, size, inode) at every
 * handshake and re-read when it changed, so {@code berth pki revoke} takes effect with the next
 * connection; {@link #reloadCrl()} forces a re-read (SIGHUP). Fail closed: a CRL that cannot be
 * read, is not signed by a configured CA, or is past its nextUpdate refuses every client until a
 * good one is in place, and the log says why; a certificate whose issuer has no CRL is refused when
 * a CRL is configured. The CA list sent to clients is empty, so that a client always presents its
 * certificate and the refusal comes from here, with a reason in berth's log, instead of from the
 * client silently sending none.
 *
 * <p>Thread safety: handshakes run on every event loop; the current CRL is an immutable snapshot
 * swapped under this object's lock.
 */
final class ClientCertificateVerifier extends X509ExtendedTrustManager {
  private static final Logger LOG = LoggerFactory.getLogger(ClientCertificateVerifier.class);
  static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final int DIGITAL_SIGNATURE = 0;

  private final List<X509Certificate> cas;
  private final Set<TrustAnchor> anchors;
  private final @Nullable Path crlFile;
  private final Clock clock;
  private @Nullable CrlState crl;

  /** The CRL as last read: its file's identity, and the CRL or the reason it is unusable. */
  private record CrlState(
      @Nullable Object fileKey,
      long modified,
      long size,
      @Nullable X509CRL crl,
      @Nullable String problem) {}

  private ClientCertificateVerifier(
      List<X509Certificate> cas, @Nullable Path crlFile, Clock clock) {
    this.cas = List.copyOf(cas);
    Set<TrustAnchor> a = new HashSet<>();
    for (X509Certificate ca : cas) {
      a.add(new TrustAnchor(ca, null));
    }
    this.anchors = Set.copyOf(a);
    this.crlFile = crlFile;
    this.clock = clock;
  }

  /**
   * Reads the CA certificates (one or more PEM certificates in {@code caFile}) and, when {@code
   * crlFile} is not null, the CRL.
   *
   * @throws IOException when a file cannot be read or the CRL is unusable at startup (berth does
   *     not start on a bad CRL)
   */
  static ClientCertificateVerifier open(Path caFile, Path crlFile, Clock clock) throws IOException {
    List<X509Certificate> cas = new ArrayList<>();
    try (InputStream in = Files.newInputStream(caFile)) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        cas.add((X509Certificate) c);
      }
    } catch (CertificateException e) {
      throw new IOException(caFile + ": not PEM certificates: " + e.getMessage(), e);
    }
    if (cas.isEmpty()) {
      throw new IOException(caFile + ": no CA certificate in it");
    }
    ClientCertificateVerifier v = new ClientCertificateVerifier(cas, crlFile, clock);
    if (crlFile != null) {
      CrlState s = v.currentCrl();
      if (s.problem() != null) {
        throw new IOException(s.problem());
      }
    }
    return v;
  }

  /** Re-reads the CRL file now, whether or not it looks changed. */
  void reloadCrl() {
    if (crlFile != null) {
      synchronized (this) {
        crl = null;
      }
      CrlState s = currentCrl();
      if (s.problem() == null) {
        LOG.atInfo()
            .addKeyValue("crl", crlFile)
            .addKeyValue("revoked", revokedCount(requireNonNull(s.crl())))
            .log("CRL reloaded");
      }
    }
  }

  /**
   * Checks a client's certificate chain.
   *
   * @throws CertificateException naming the reason; the handshake then fails
   */
  void verify(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("no client certificate");
    }
    X509Certificate leaf = chain[0];
    Date now = Date.from(clock.instant());
    List<X509Certificate> path = new ArrayList<>();
    for (X509Certificate c : chain) {
      if (!cas.contains(c)) {
        path.add(c); // the anchor itself is not part of the path PKIX validates
      }
    }
    try {
      CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false); // revocation is checked below against berth's CRL
      params.setDate(now);
      CertPathValidator.getInstance("PKIX").validate(cp, params);
    } catch (CertPathValidatorException e) {
      throw new CertificateException(
          "certificate of "
              + subject(leaf)
              + " does not chain to "
              + "berth's CA: "
              + e.getMessage(),
          e);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("cannot validate " + subject(leaf) + ": " + e.getMessage(), e);
    }
    List<String> eku = leaf.getExtendedKeyUsage();
    if (eku == null || !eku.contains(CLIENT_AUTH)) {
      throw new CertificateException(
          "certificate of "
              + subject(leaf)
              + " is not for TLS clients (no clientAuth extended key usage)");
    }
    boolean[] ku = leaf.getKeyUsage();
    if (ku != null && !ku[DIGITAL_SIGNATURE]) {
      throw new CertificateException(
          "certificate of " + subject(leaf) + " may not sign (key usage without digitalSignature)");
    }
    if (crlFile != null) {
      checkRevocation(leaf, now);
    }
  }

  private void checkRevocation(X509Certificate leaf, Date now) throws CertificateException {
    CrlState s = currentCrl();
    if (s.problem() != null) {
      throw new CertificateException("refusing every client: " + s.problem());
    }
    X509CRL list = requireNonNull(s.crl());
    if (!list.getIssuerX500Principal().equals(leaf.getIssuerX500Principal())) {
      throw new CertificateException("no CRL for the issuer of " + subject(leaf));
    }
    if (list.getNextUpdate() == null || !now.before(list.getNextUpdate())) {
      throw new CertificateException(
          "refusing every client: the CRL "
              + crlFile
              + " expired on "
              + (list.getNextUpdate() == null
                  ? "(no nextUpdate)"
                  : list.getNextUpdate().toInstant())
              + "; sign a fresh one with berth pki crl");
    }
    if (list.isRevoked(leaf)) {
      throw new CertificateException(
          "certificate of "
              + subject(leaf)
              + " (serial "
              + leaf.getSerialNumber().toString(16)
              + ") is revoked",
          new CertPathValidatorException("revoked", null, null, -1, BasicReason.REVOKED));
    }
  }

  /** The CRL in force, re-read first when the file changed. */
  private CrlState currentCrl() {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(crlFile, BasicFileAttributes.class);
    } catch (IOException e) {
      return remember(
          new CrlState(
              null, -1, -1, null, "cannot read the CRL " + crlFile + ": " + e.getMessage()));
    }
    synchronized (this) {
      CrlState s = crl;
      if (s != null
          && Objects.equals(s.fileKey(), attrs.fileKey())
          && s.modified() == attrs.lastModifiedTime().toMillis()
          && s.size() == attrs.size()) {
        return s;
      }
    }
    return remember(read(attrs));
  }

  private CrlState read(BasicFileAttributes attrs) {
    Object key = attrs.fileKey();
    long modified = attrs.lastModifiedTime().toMillis();
    long size = attrs.size();
    Collection<? extends CRL> crls;
    try (InputStream in = Files.newInputStream(crlFile)) {
      crls = CertificateFactory.getInstance("X.509").generateCRLs(in);
    } catch (IOException | GeneralSecurityException e) {
      return new CrlState(
          key, modified, size, null, "the CRL " + crlFile + " is unreadable: " + e.getMessage());
    }
    if (crls.size() != 1) {
      return new CrlState(
          key,
          modified,
          size,
          null,
          "the CRL " + crlFile + " must hold exactly " + "one CRL, it holds " + crls.size());
    }
    X509CRL list = (X509CRL) crls.iterator().next();
    for (X509Certificate ca : cas) {
      if (ca.getSubjectX500Principal().equals(list.getIssuerX500Principal())) {
        try {
          list.verify(ca.getPublicKey());
          return new CrlState(key, modified, size, list, null);
        } catch (GeneralSecurityException e) {
          // another CA of the same name; try the next
        }
      }
    }
    return new CrlState(
        key, modified, size, null, "the CRL " + crlFile + " is not signed by a CA in --tls-ca");
  }

  private CrlState remember(CrlState s) {
    synchronized (this) {
      boolean changed =
          crl == null || !Objects.equals(crl.problem(), s.problem()) || crl.crl() != s.crl();
      crl = s;
      if (changed && s.problem() != null) {
        LOG.atError()
            .addKeyValue("crl", crlFile)
            .log("{}; every TLS client is refused", s.problem());
      } else if (changed) {
        Date next = requireNonNull(s.crl()).getNextUpdate();
        if (next != null && next.toInstant().isBefore(clock.instant().plusSeconds(7 * 86400))) {
          LOG.atWarn()
              .addKeyValue("crl", crlFile)
              .addKeyValue("nextUpdate", next.toInstant())
              .log("the CRL expires within a week; sign a fresh one with berth pki crl");
        }
      }
    }
    return s;
  }

  private static int revokedCount(X509CRL crl) {
    return crl == null || crl.getRevokedCertificates() == null
        ? 0
        : crl.getRevokedCertificates().size();
  }

  private static String subject(X509Certificate c) {
    return c.getSubjectX500Principal().getName();
  }

  Instant now() {
    return clock.instant();
  }

  // ---- X509ExtendedTrustManager: only the client side is ever asked ----------------------

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("berth verifies clients only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("berth verifies clients only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("berth verifies clients only");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0]; // see the design note
  }
}
