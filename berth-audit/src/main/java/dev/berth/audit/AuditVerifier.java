package dev.berth.audit;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Checks the hash chain of a trail, one file or several, and compares it with anchors.
 *
 * <p>Design note. The files are read in chain order ({@link AuditFiles#inChainOrder}) as one
 * sequence of records: each record must have the next seq and the hash of the record before it,
 * across file boundaries too, so a rotated file that is missing from the middle shows as a gap in
 * the seqs where the next file begins. The first record given need not be the first of the trail: a
 * trail whose oldest files were archived, or a single rotated file, "continues from" the seq and
 * hash before its first record, which {@link Result#start} reports instead of failing; only a first
 * record whose prev is {@link AuditChain#GENESIS} must have seq 1. The chain alone cannot show a
 * cut-off tail (see {@link AuditChain}); anchors can: each anchor names a seq and its hash, so an
 * anchor beyond the last record means records were cut off, and an anchor whose hash differs from
 * the record of that seq means the chain was rewritten (and re-hashed) from there on. Anchors are
 * checked while the records stream by, so memory does not grow with the trail.
 */
public final class AuditVerifier {
  /** What the trail says about one anchor. */
  public enum AnchorStatus {
    /** The record of that seq has the anchor's hash. */
    MATCHES(false),
    /** The anchor names a record before the first one given: not checked. */
    BEFORE_START(false),
    /** The trail ends before the anchor's seq: records were cut off. */
    CUT_OFF(true),
    /** The record of that seq has another hash: the chain was rewritten. */
    REWRITTEN(true),
    /** The chain breaks before the anchor's seq, so it could not be checked. */
    UNCHECKED(false);

    private final boolean failure;

    AnchorStatus(boolean failure) {
      this.failure = failure;
    }

    /** Whether this status means the trail was tampered with. */
    public boolean failure() {
      return failure;
    }
  }

  /**
   * The check of one anchor.
   *
   * @param anchor the anchor
   * @param status what the trail says about it
   * @param detail an explanation for people, or ""
   */
  public record AnchorCheck(Anchor anchor, AnchorStatus status, String detail) {
    public AnchorCheck {
      requireNonNull(anchor, "anchor");
      requireNonNull(status, "status");
      requireNonNull(detail, "detail");
    }
  }

  /**
   * Where the chain breaks.
   *
   * @param file the file of the first bad record
   * @param line its 1-based line in that file
   * @param problem what is wrong with it
   */
  public record Break(Path file, long line, String problem) {
    public Break {
      requireNonNull(file, "file");
      requireNonNull(problem, "problem");
    }
  }

  /**
   * The outcome.
   *
   * @param files the files read, in chain order
   * @param records good records read (all of them when the chain holds)
   * @param firstSeq seq of the first record, 0 when there is none
   * @param start the prev of the first record: {@link AuditChain#GENESIS} when the files begin the
   *     trail, else the hash of the record before them
   * @param headSeq seq of the last good record, 0 when there is none
   * @param head hash of the last good record (the value to compare with an anchor)
   * @param headFile the file of the last good record, or "" when there is none
   * @param broken the first bad record, if any
   * @param anchors the anchors given, each with its outcome, in seq order
   */
  public record Result(
      List<Path> files,
      long records,
      long firstSeq,
      String start,
      long headSeq,
      String head,
      String headFile,
      Optional<Break> broken,
      List<AnchorCheck> anchors) {
    public Result {
      files = List.copyOf(files);
      requireNonNull(start, "start");
      requireNonNull(head, "head");
      requireNonNull(headFile, "headFile");
      requireNonNull(broken, "broken");
      anchors = List.copyOf(anchors);
    }

    /** Whether every record links to the one before. */
    public boolean chainOk() {
      return broken.isEmpty();
    }

    /** Whether the chain holds and no anchor shows a cut-off or rewritten tail. */
    public boolean ok() {
      return chainOk() && anchors.stream().noneMatch(a -> a.status().failure());
    }

    /** Whether the files begin the trail (the first record's prev is the genesis value). */
    public boolean fromGenesis() {
      return start.equals(AuditChain.GENESIS);
    }

    /** 1-based line of the first bad record in its file, or 0 when the chain holds. */
    public long badLine() {
      return broken.map(Break::line).orElse(0L);
    }

    /** What is wrong with the first bad record, or "". */
    public String problem() {
      return broken.map(Break::problem).orElse("");
    }
  }

  private AuditVerifier() {}

  /** Checks one file, without anchors. */
  public static Result verify(Path file) throws IOException {
    return verify(List.of(file), List.of());
  }

  /**
   * Checks the trail made of {@code paths} (directories stand for their {@code .jsonl} files) in
   * chain order, and each anchor against it.
   */
  public static Result verify(List<Path> paths, List<Anchor> anchors) throws IOException {
    return new Walk(AuditFiles.inChainOrder(paths), anchors).run();
  }

  /** One pass over the records. */
  private static final class Walk {
    private final List<Path> files;
    private final List<Anchor> anchors;
    private final List<AnchorCheck> checks = new ArrayList<>();
    private int nextAnchor;
    private long records;
    private long firstSeq;
    private String start = "";
    private long expected = -1;
    private String prev = AuditChain.GENESIS;
    private String headFile = "";
    private @Nullable Break broken;

    Walk(List<Path> files, List<Anchor> anchors) {
      this.files = files;
      this.anchors = anchors.stream().sorted(Comparator.comparingLong(Anchor::seq)).toList();
    }

    Result run() throws IOException {
      Path before = null;
      for (Path file : files) {
        if (!readFile(file, before)) {
          break;
        }
        if (Files.size(file) > 0) {
          before = file;
        }
      }
      long headSeq = records == 0 ? 0 : expected - 1;
      for (; nextAnchor < anchors.size(); nextAnchor++) {
        Anchor a = anchors.get(nextAnchor);
        if (broken != null) {
          checks.add(
              new AnchorCheck(
                  a,
                  AnchorStatus.UNCHECKED,
                  "the chain breaks at "
                      + broken.file().getFileName()
                      + ":"
                      + broken.line()
                      + ", before this record"));
        } else if (records > 0 && a.seq() < firstSeq) {
          checks.add(
              new AnchorCheck(
                  a,
                  AnchorStatus.BEFORE_START,
                  "before the first record " + "given (seq " + firstSeq + ")"));
        } else {
          checks.add(
              new AnchorCheck(
                  a,
                  AnchorStatus.CUT_OFF,
                  "the trail ends at seq "
                      + headSeq
                      + ": records "
                      + (headSeq + 1)
                      + " to "
                      + a.seq()
                      + " were cut off"));
        }
      }
      return new Result(
          files,
          records,
          firstSeq,
          records == 0 ? AuditChain.GENESIS : start,
          headSeq,
          prev,
          headFile,
          Optional.ofNullable(broken),
          checks);
    }

    /** Reads one file's records; false once the chain is broken. */
    private boolean readFile(Path file, @Nullable Path before) throws IOException {
      long line = 0;
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        String text;
        while ((text = in.readLine()) != null) {
          line++;
          if (AuditFiles.isZeroTail(text)) {
            return zeroTailOnly(file, line, text, in);
          }
          String problem = check(text, line, before);
          if (problem != null) {
            broken = new Break(file, line, problem);
            return false;
          }
          headFile = file.getFileName().toString();
        }
      }
      return true;
    }

    /**
     * Checks that the preallocated zero tail beginning at {@code line} holds only zero bytes to the
     * end of the file; false (a break) when records or other bytes follow it.
     */
    private boolean zeroTailOnly(Path file, long line, String first, BufferedReader in)
        throws IOException {
      long at = line;
      for (String text = first; text != null; text = in.readLine(), at++) {
        if (!text.chars().allMatch(c -> c == 0)) {
          broken =
              new Break(
                  file,
                  at,
                  "bytes after zero bytes that end the records at line "
                      + line
                      + " (records overwritten with zeros, or a batch torn by a crash)");
          return false;
        }
      }
      return true;
    }

    /** Checks one record and advances the chain; returns what is wrong with it, or null. */
    private @Nullable String check(String text, long line, @Nullable Path before) {
      AuditEntry entry;
      try {
        entry = AuditEntry.parse(text);
      } catch (IOException e) {
        return "not a JSON record";
      }
      long seq = entry.seq();
      String linked = entry.prev();
      if (expected < 0) {
        expected = linked.equals(AuditChain.GENESIS) ? 1 : seq;
        firstSeq = expected;
        start = linked;
      }
      if (seq != expected) {
        if (line == 1 && before != null && seq > expected) {
          return "sequence "
              + seq
              + " where "
              + expected
              + " was expected: records "
              + expected
              + " to "
              + (seq - 1)
              + " are missing (a file between "
              + before.getFileName()
              + " and this one was removed, or "
              + before.getFileName()
              + " was cut short)";
        }
        return "sequence "
            + seq
            + " where "
            + expected
            + " was expected (a record was deleted, inserted or moved)";
      }
      if (records > 0 && !linked.equals(prev)) {
        return line == 1
            ? "its prev does not match the last record of "
                + requireNonNull(before).getFileName()
                + " (one of them was changed)"
            : "its prev does not match the record before it (that record was changed, or "
                + "records were reordered)";
      }
      String hash = entry.hash();
      for (; nextAnchor < anchors.size() && anchors.get(nextAnchor).seq() <= seq; nextAnchor++) {
        Anchor a = anchors.get(nextAnchor);
        if (a.seq() < seq) {
          checks.add(
              new AnchorCheck(
                  a,
                  AnchorStatus.BEFORE_START,
                  "before the first record " + "given (seq " + firstSeq + ")"));
        } else if (a.hash().equals(hash)) {
          checks.add(new AnchorCheck(a, AnchorStatus.MATCHES, ""));
        } else {
          checks.add(
              new AnchorCheck(
                  a,
                  AnchorStatus.REWRITTEN,
                  "record "
                      + seq
                      + " has hash "
                      + hash
                      + ": the trail was rewritten at or before seq "
                      + seq));
        }
      }
      prev = hash;
      expected++;
      records++;
      return null;
    }
  }
}
