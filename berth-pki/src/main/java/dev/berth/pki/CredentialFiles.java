package dev.berth.pki;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Where issued credentials are written: a server's {@code NAME-cert.pem} and {@code NAME-key.pem},
 * a user's {@code ca.pem}, {@code cert.pem} and {@code key.pem} (the layout {@code
 * DOCKER_CERT_PATH} expects). Keys are 0600, certificates 0644; each file is replaced atomically
 * and nothing is written through a symbolic link ({@link SafeDirectory}).
 */
final class CredentialFiles {
  private CredentialFiles() {}

  /**
   * Writes a server certificate into {@code out}, owned by the process (root), replacing earlier
   * ones; and {@code ca.pem} too when {@code out} is not {@code caDir}.
   */
  static void writeServer(CertificateBundle bundle, String name, Path out, Path caDir)
      throws PkiException {
    try (SafeDirectory d = SafeDirectory.open(out, null, LockedDirectory.DIR_MODE)) {
      d.write(name + "-key.pem", ascii(bundle.keyPem()), LockedDirectory.SECRET, true);
      d.write(name + "-cert.pem", ascii(bundle.certificatePem()), LockedDirectory.PUBLIC, true);
      if (!d.path().equals(caDir)) {
        d.write(CertificateAuthority.CA_CERT, ascii(bundle.caPem()), LockedDirectory.PUBLIC, true);
      }
    }
  }

  /**
   * Writes a user's credentials into {@code out}; the directory (mode 0700) and the files belong to
   * {@code owner}.
   */
  static void writeUser(CertificateBundle bundle, Path out, FileOwner owner) throws PkiException {
    requireNonNull(owner, "owner");
    // the mode applies only when no owner is given
    try (SafeDirectory d = SafeDirectory.open(out, owner, LockedDirectory.DIR_MODE)) {
      d.write("key.pem", ascii(bundle.keyPem()), LockedDirectory.SECRET, true);
      d.write("cert.pem", ascii(bundle.certificatePem()), LockedDirectory.PUBLIC, true);
      d.write("ca.pem", ascii(bundle.caPem()), LockedDirectory.PUBLIC, true);
    }
  }

  private static byte[] ascii(String pem) {
    return pem.getBytes(StandardCharsets.US_ASCII);
  }
}
