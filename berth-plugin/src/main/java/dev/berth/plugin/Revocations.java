package dev.berth.plugin;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Certificate revocation for plugin mode. dockerd's {@code --tlsverify} checks the chain but not a
 * CRL, so a revoked user would still reach the daemon; the plugin checks the caller's certificate
 * (from {@code RequestPeerCertificates}) against the CRL file that {@code berth pki revoke}
 * maintains, re-read when the file changes. Without a CRL configured, nothing is revoked; with one
 * that cannot be read, every TLS caller is refused (fail closed).
 */
final class Revocations {
  private final @Nullable Path crlFile;
  private @Nullable FileTime loadedAt;
  private @Nullable X509CRL crl;

  Revocations(@Nullable Path crlFile) {
    this.crlFile = crlFile;
  }

  /** A revocation checker that revokes nothing (no CRL configured). */
  static Revocations none() {
    return new Revocations(null);
  }

  /**
   * Why the first of {@code certificates} (base64 of PEM text, as the daemon sends them) must be
   * refused, or empty when it may pass.
   */
  synchronized Optional<String> refusal(List<String> certificates) {
    if (crlFile == null) {
      return Optional.empty();
    }
    if (certificates.isEmpty()) {
      return Optional.of("the daemon sent no client certificate to check for revocation");
    }
    X509Certificate cert;
    try {
      byte[] pem = Base64.getDecoder().decode(certificates.get(0));
      cert =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(pem));
    } catch (IllegalArgumentException | CertificateException e) {
      return Optional.of("the client certificate cannot be read (" + e.getMessage() + ")");
    }
    try {
      reloadIfChanged();
    } catch (IOException | CRLException | CertificateException e) {
      return Optional.of(
          "the revocation list " + crlFile + " cannot be read (" + e.getMessage() + ")");
    }
    return requireNonNull(crl).isRevoked(cert)
        ? Optional.of(
            "your certificate (serial "
                + cert.getSerialNumber().toString(16)
                + ") has been revoked")
        : Optional.empty();
  }

  private void reloadIfChanged() throws IOException, CRLException, CertificateException {
    FileTime modified = Files.getLastModifiedTime(crlFile);
    if (crl != null && modified.equals(loadedAt)) {
      return;
    }
    try (InputStream in =
        new ByteArrayInputStream(
            Files.readString(crlFile, StandardCharsets.US_ASCII)
                .getBytes(StandardCharsets.US_ASCII))) {
      crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
      loadedAt = modified;
    }
  }
}
