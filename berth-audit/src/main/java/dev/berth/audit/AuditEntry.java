package dev.berth.audit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.time.Instant;

/**
 * One line of the trail as read back: its place in the chain and the record it holds. This is what
 * the verifier and {@code berth audit} read, instead of parsing the JSON themselves.
 *
 * @param seq the sequence number, -1 when the line has none
 * @param prev the SHA-256 of the line before, "" when the line has none
 * @param time when the record was written (ISO-8601 UTC, as stored), or ""
 * @param record the decision or result (fields the line lacks read as "", 0 or -1)
 * @param line the line as stored, without its newline: what the chain hashes
 */
public record AuditEntry(long seq, String prev, String time, AuditRecord record, String line) {
  public AuditEntry {
    requireNonNull(prev, "prev");
    requireNonNull(time, "time");
    requireNonNull(record, "record");
    requireNonNull(line, "line");
  }

  /**
   * Reads one line of a trail.
   *
   * @throws IOException when the line is not JSON
   */
  public static AuditEntry parse(String line) throws IOException {
    return AuditCodec.decode(line);
  }

  /** {@link #time} as an instant; throws {@code DateTimeParseException} when it is not one. */
  public Instant instant() {
    return Instant.parse(time);
  }

  /** The SHA-256 of {@link #line}: the {@code prev} of the next record. */
  public String hash() {
    return AuditChain.hash(line);
  }
}
