package dev.berth.pki;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The CA's record of what it issued: {@code index.tsv}, one certificate a line, tab-separated
 * {@code serial kind not-after revoked name} (serial in hex, times in ISO-8601 UTC, {@code -} when
 * not revoked). A text file so that an operator can read it with {@code column -t}.
 */
final class PkiIndex {
  static final String FILE = "index.tsv";
  private static final String HEADER =
      "# berth PKI index: serial\tkind\tnot-after\trevoked\tname\n";

  private PkiIndex() {}

  static List<IndexEntry> parse(byte[] content) throws PkiException {
    List<IndexEntry> entries = new ArrayList<>();
    String[] lines = new String(content, StandardCharsets.UTF_8).split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      if (f.length != 5) {
        throw new PkiException(FILE + ":" + (i + 1) + ": expected 5 tab-separated fields");
      }
      try {
        entries.add(
            new IndexEntry(
                new BigInteger(f[0], 16),
                IndexEntry.Kind.valueOf(f[1].toUpperCase(Locale.ROOT)),
                f[4],
                Instant.parse(f[2]),
                f[3].equals("-") ? null : Instant.parse(f[3])));
      } catch (IllegalArgumentException | DateTimeParseException e) {
        throw new PkiException(FILE + ":" + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return entries;
  }

  static byte[] format(List<IndexEntry> entries) {
    StringBuilder sb = new StringBuilder(HEADER);
    for (IndexEntry e : entries) {
      sb.append(e.serialHex())
          .append('\t')
          .append(e.kind().name().toLowerCase(Locale.ROOT))
          .append('\t')
          .append(e.notAfter())
          .append('\t')
          .append(e.revoked() == null ? "-" : e.revoked().toString())
          .append('\t')
          .append(e.name())
          .append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
