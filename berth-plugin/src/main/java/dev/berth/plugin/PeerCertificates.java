package dev.berth.plugin;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/** The client certificates the daemon passes in an AuthZ call (base64 of PEM text). */
final class PeerCertificates {
  private PeerCertificates() {}

  /**
   * The subject (RFC 2253) of the first certificate, the one that named the caller, for the audit
   * record; "" when there is none or it cannot be read (the daemon verified it already).
   */
  static String subject(List<String> certificates) {
    if (certificates.isEmpty()) {
      return "";
    }
    try {
      byte[] pem = Base64.getDecoder().decode(certificates.get(0));
      X509Certificate cert =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(pem));
      return cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
    } catch (IllegalArgumentException | CertificateException e) {
      return "";
    }
  }
}
