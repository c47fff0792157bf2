package dev.berth.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The hash chain of the audit trail.
 *
 * <p>Design note. Every line carries {@code seq} (one more than the line before) and {@code prev}
 * (the SHA-256 of the previous line's bytes, without its newline); the first line of a trail has
 * {@code prev} of 64 zeros. So changing, inserting, deleting or reordering any record breaks the
 * link of the record after it, and {@link AuditVerifier} names the first broken one. What a chain
 * alone cannot show is the loss of its tail: deleting the last records leaves a valid, shorter
 * chain, and so does rewriting the tail with every hash recomputed. That is what external {@link
 * Anchor}s of the chain head are for: {@link AuditVerifier} reports an anchor beyond the last
 * record, or whose hash differs from the record of its seq. Rotation does not interrupt the chain:
 * the first record of a new file links to the last record of the one before ({@link AuditLog}).
 */
public final class AuditChain {
  /** The {@code prev} of the first record. */
  public static final String GENESIS = "0".repeat(64);

  private AuditChain() {}

  /** SHA-256 of one line (without its newline), as lower-case hex. */
  public static String hash(byte[] line) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /**
   * SHA-256 of one line with a digest the caller owns (the audit writer keeps one for its thread
   * rather than looking the algorithm up for every record).
   */
  static String hash(MessageDigest sha256, byte[] line) {
    return HexFormat.of().formatHex(sha256.digest(line));
  }

  /** A new SHA-256 digest. */
  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  static String hash(String line) {
    return hash(line.getBytes(StandardCharsets.UTF_8));
  }
}
