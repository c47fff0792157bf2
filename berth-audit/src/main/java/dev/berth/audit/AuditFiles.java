package dev.berth.audit;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The files of an audit trail.
 *
 * <p>The writer appends to one active file, say {@code audit.jsonl}. Rotation renames it to {@code
 * audit-<UTC time of its first record>-<seq of its first record>.jsonl} in the same directory. Both
 * parts of the name describe the file's content, not the moment of rotation: two rotated files
 * never share a name, and the name says where in the chain a file begins. In a shell glob ({@code
 * audit*.jsonl}) the rotated files sort before the active one.
 *
 * <p>The active file is preallocated (see {@link ActiveFile}): while berth runs, and after a crash,
 * its records are followed by a tail of zero bytes. A record never holds a zero byte (JSON escapes
 * control characters), so the records end at the first line that begins with one; every reader here
 * stops there ({@link #records}, {@link #isZeroTail}). Rotated files and a file closed cleanly have
 * no such tail.
 */
public final class AuditFiles {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private AuditFiles() {}

  /** The name the active file gets when it is rotated. */
  static Path rotatedName(Path active, @Nullable Instant firstTime, long firstSeq) {
    String[] parts = stemAndExtension(active);
    return active.resolveSibling(
        parts[0] + "-" + STAMP.format(firstTime) + "-" + firstSeq + parts[1]);
  }

  /**
   * The rotated file of {@code active} that holds the latest records (the highest first seq in its
   * name), if any. After a crash between rotation's rename and the creation of the new active file,
   * this is where the chain continues.
   */
  static Optional<Path> latestRotated(Path active) throws IOException {
    String[] parts = stemAndExtension(active);
    Pattern name =
        Pattern.compile(
            Pattern.quote(parts[0]) + "-\\d{8}T\\d{6}Z-(\\d{1,18})" + Pattern.quote(parts[1]));
    Path dir = active.toAbsolutePath().getParent();
    Path latest = null;
    long latestSeq = -1;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Matcher m = name.matcher(p.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(1)) > latestSeq) {
          latestSeq = Long.parseLong(m.group(1));
          latest = p;
        }
      }
    }
    return Optional.ofNullable(latest);
  }

  /**
   * The files of a trail in chain order. A directory stands for the {@code .jsonl} files in it; a
   * file named twice counts once. Files are ordered by the seq of their first record, so the order
   * does not depend on names or on the order of the arguments; empty files come last (the active
   * file just after a rotation), and files whose first line is not a record just before them, where
   * the verifier reports them.
   */
  public static List<Path> inChainOrder(List<Path> paths) throws IOException {
    Set<Path> files = new LinkedHashSet<>();
    for (Path p : paths) {
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          s.filter(f -> f.getFileName().toString().endsWith(".jsonl") && Files.isRegularFile(f))
              .sorted()
              .forEach(f -> files.add(f.toAbsolutePath().normalize()));
        }
      } else {
        files.add(p.toAbsolutePath().normalize());
      }
    }
    record Keyed(Path file, long firstSeq) {}
    List<Keyed> keyed = new ArrayList<>();
    for (Path f : files) {
      keyed.add(new Keyed(f, firstSeq(f)));
    }
    keyed.sort(Comparator.comparingLong(Keyed::firstSeq));
    return keyed.stream().map(Keyed::file).toList();
  }

  private static long firstSeq(Path file) throws IOException {
    String first = firstLine(file);
    if (first == null) {
      return Long.MAX_VALUE;
    }
    try {
      long seq = AuditEntry.parse(first).seq();
      return seq == -1 ? Long.MAX_VALUE - 1 : seq; // a record without a seq: before empty files
    } catch (IOException e) {
      return Long.MAX_VALUE - 1;
    }
  }

  /** The first line of a file, or null when it holds no record (empty, or only a zero tail). */
  static @Nullable String firstLine(Path file) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line = in.readLine();
      return line == null || isZeroTail(line) ? null : line;
    }
  }

  /**
   * The lines of an audit file up to its preallocated zero tail, if it has one: its records (and
   * whatever else a damaged file holds before the tail, for the verifier to name).
   */
  public static List<String> records(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (isZeroTail(lines.get(i))) {
        return lines.subList(0, i);
      }
    }
    return lines;
  }

  /** Whether a line read from an audit file is the start of its preallocated zero tail. */
  static boolean isZeroTail(String line) {
    return !line.isEmpty() && line.charAt(0) == '\0';
  }

  /**
   * Where the records of a file end: its size less the zero bytes at its end (the preallocated tail
   * of an active file).
   */
  static long dataEnd(FileChannel ch) throws IOException {
    long end = ch.size();
    ByteBuffer buf = ByteBuffer.allocate(64 << 10);
    while (end > 0) {
      int n = (int) Math.min(buf.capacity(), end);
      buf.clear().limit(n);
      long at = end - n;
      while (buf.hasRemaining()) {
        if (ch.read(buf, at + buf.position()) < 0) {
          throw new IOException("the audit file shrank while it was read");
        }
      }
      for (int i = n - 1; i >= 0; i--) {
        if (buf.get(i) != 0) {
          return at + i + 1;
        }
      }
      end = at;
    }
    return 0;
  }

  /** {@link #dataEnd(FileChannel)} of a file, or -1 when it cannot be read. */
  public static long dataEnd(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return dataEnd(ch);
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * The last line of a file (without its newline) before its zero tail, or null when it holds no
   * record.
   *
   * @throws IOException when the records do not end with a newline (a torn write)
   */
  static @Nullable String lastLine(FileChannel ch) throws IOException {
    long size = dataEnd(ch);
    if (size == 0) {
      return null;
    }
    int window = (int) Math.min(size, 1 << 20);
    ByteBuffer buf = ByteBuffer.allocate(window);
    ch.read(buf, size - window);
    String tail = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    if (!tail.endsWith("\n")) {
      throw new IOException("the audit file ends in a partial line");
    }
    String trimmed = tail.substring(0, tail.length() - 1);
    return trimmed.substring(trimmed.lastIndexOf('\n') + 1);
  }

  /** Makes a rename or a creation in {@code dir} durable. */
  static void syncDirectory(@Nullable Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static String[] stemAndExtension(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0
        ? new String[] {name.substring(0, dot), name.substring(dot)}
        : new String[] {name, ""};
  }
}
