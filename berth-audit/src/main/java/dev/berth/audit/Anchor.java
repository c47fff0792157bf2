package dev.berth.audit;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A copy of the chain head kept outside the audit file, so that a cut-off or rewritten tail can be
 * told from a trail that simply ended there (see {@link AuditChain}). As a line: {@code anchor
 * seq=123 hash=<64 hex> file=audit.jsonl time=2026-11-24T22:44:45Z}.
 *
 * @param seq the head's sequence number
 * @param hash the head record's SHA-256
 * @param file the name of the file that held the head record when the anchor was made
 * @param time when the anchor was made
 */
public record Anchor(long seq, String hash, String file, Instant time) {
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern FILE = Pattern.compile("\\S+");

  public Anchor {
    requireNonNull(hash, "hash");
    requireNonNull(file, "file");
    requireNonNull(time, "time");
    if (seq < 0 || !HASH.matcher(hash).matches() || !FILE.matcher(file).matches()) {
      throw new IllegalArgumentException(
          "not an anchor: seq=" + seq + " hash=" + hash + " file=" + file);
    }
  }

  /**
   * The anchor of {@code head}. Blanks and control characters in the file name (an odd {@code
   * --audit-log}) become {@code _}, so the anchor stays one line of space-separated fields; the
   * name is for people, the check uses seq and hash.
   */
  static Anchor of(ChainHead head, Instant time) {
    return new Anchor(
        head.seq(), head.hash(), head.file().replaceAll("[\\s\\p{Cntrl}]", "_"), time);
  }

  /** The anchor as one line of text (no newline). */
  public String line() {
    return "anchor seq=" + seq + " hash=" + hash + " file=" + file + " time=" + time;
  }

  /**
   * Finds an anchor in a log line, wherever it starts: a line of {@code journalctl -t berth-audit
   * -o cat}, of {@code /var/log/auth.log} (after its syslog prefix) or of an anchor file. Lines
   * without an anchor give empty; so do lines that name one but are malformed, which {@link
   * #isAnchorLike} tells apart.
   */
  public static Optional<Anchor> parse(String line) {
    int at = line.indexOf("anchor seq=");
    if (at < 0) {
      return Optional.empty();
    }
    Map<String, String> fields = new HashMap<>();
    for (String token : line.substring(at + "anchor ".length()).strip().split("\\s+")) {
      int eq = token.indexOf('=');
      if (eq > 0) {
        fields.put(token.substring(0, eq), token.substring(eq + 1));
      }
    }
    try {
      return Optional.of(
          new Anchor(
              Long.parseLong(fields.getOrDefault("seq", "")),
              fields.getOrDefault("hash", ""),
              fields.getOrDefault("file", ""),
              Instant.parse(fields.getOrDefault("time", ""))));
    } catch (IllegalArgumentException | DateTimeParseException e) {
      return Optional.empty(); // includes NumberFormatException
    }
  }

  /** Whether a line claims to hold an anchor (so that a malformed one is not silently skipped). */
  public static boolean isAnchorLike(String line) {
    return line.contains("anchor seq=");
  }
}
