package dev.berth.pki;

import static java.util.Objects.requireNonNull;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * A certificate just issued, with its private key and the CA certificate that signed it: what a TLS
 * client or server needs ({@code cert.pem}, {@code key.pem}, {@code ca.pem}).
 *
 * <p>{@link #toString()} never shows the key.
 */
public record CertificateBundle(X509Certificate certificate, PrivateKey key, X509Certificate ca) {
  public CertificateBundle {
    requireNonNull(certificate, "certificate");
    requireNonNull(key, "key");
    requireNonNull(ca, "ca");
  }

  /** A bundle received as PEM text ({@code berth login} gets one from the login service). */
  public static CertificateBundle fromPem(String certificate, String key, String ca)
      throws PkiException {
    return new CertificateBundle(
        Pem.parseCertificate(certificate, "the certificate"),
        Pem.parsePrivateKey(key, "the private key"),
        Pem.parseCertificate(ca, "the CA"));
  }

  /** The certificate as PEM text. */
  public String certificatePem() {
    return Pem.certificate(certificate);
  }

  /** The private key as PKCS#8 PEM text ({@code -----BEGIN PRIVATE KEY-----}). */
  public String keyPem() {
    return Pem.privateKey(key, certificate.getPublicKey());
  }

  /** The CA certificate as PEM text. */
  public String caPem() {
    return Pem.certificate(ca);
  }

  @Override
  public String toString() {
    return "CertificateBundle["
        + certificate.getSubjectX500Principal().getName()
        + ", serial "
        + certificate.getSerialNumber().toString(16)
        + "]";
  }
}
