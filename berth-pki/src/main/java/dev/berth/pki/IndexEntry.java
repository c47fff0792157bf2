package dev.berth.pki;

import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One certificate the CA issued, as its index records it.
 *
 * @param serial the certificate's serial number
 * @param kind what it is for
 * @param name the subject's CommonName: the user name for a client certificate
 * @param notAfter the end of its validity
 * @param revoked when it was revoked, or null
 */
public record IndexEntry(
    BigInteger serial, Kind kind, String name, Instant notAfter, @Nullable Instant revoked) {

  /** What a certificate is for. */
  public enum Kind {
    /** The CA itself. */
    CA,
    /** A TLS server (serverAuth): berth's listener or dockerd. */
    SERVER,
    /** A user (clientAuth), named by its CommonName. */
    USER
  }

  public IndexEntry {
    requireNonNull(serial, "serial");
    requireNonNull(kind, "kind");
    requireNonNull(name, "name");
    requireNonNull(notAfter, "notAfter");
  }

  /** When it was revoked, if it was. */
  public Optional<Instant> revokedAt() {
    return Optional.ofNullable(revoked);
  }

  /** The serial in the hexadecimal form openssl prints. */
  public String serialHex() {
    return serial.toString(16).toUpperCase(Locale.ROOT);
  }

  IndexEntry revokedAt(Instant when) {
    return new IndexEntry(serial, kind, name, notAfter, when);
  }
}
