package dev.berth.audit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The append-only audit trail, written by one thread with group commit, rotated by size and age.
 *
 * <p>Design note. Callers {@link #append} an event and get a future that completes once the record
 * is on disk ({@code fdatasync}). One writer thread takes every event queued since its last write,
 * gives each its {@code seq} and {@code prev} (see {@link AuditChain}), writes them in one call and
 * forces the file once, so a burst of N decisions costs one fsync, not N. Records nobody waits for
 * ({@link #appendLazily}: reads, refusals, results) let the writer linger up to {@link
 * Options#linger} for more before it writes: under a load of reads that is one {@code fdatasync}
 * per linger instead of one per few requests, and a record someone waits for never lingers (it
 * takes the lingering batch with it at once). If the write or the fsync fails (disk full, I/O
 * error) the file is truncated back to where the batch began, the chain state is not advanced, and
 * every future of the batch fails: callers refuse the request rather than act unrecorded. Only one
 * process may write a trail at a time.
 *
 * <p>Rotation. Before it writes a batch, the writer rotates the active file when the batch would
 * take it past {@link Options#maxBytes} or its first record is {@link Options#maxAge} old: it
 * renames the file (see {@link AuditFiles} for the name), makes the rename durable (directory
 * fsync), creates an empty active file (fsync again) and writes the batch there. The chain simply
 * goes on: the seq and hash of the last record stay in memory, so the new file's first record links
 * to the rotated file's last one. A batch is never split, and an idle trail is rotated with its
 * next record. If any step fails, the batch fails like any unwritten batch (so changes are refused,
 * and berth's log says why), and the next batch resumes rotation where it stopped. Crash safety
 * follows from the order of the steps: every record is on disk before the rename; after a crash
 * before the rename nothing happened, and after a crash between the rename and the first record of
 * the new file, {@link #open} finds the active file missing or empty and continues the chain from
 * the last line of the newest rotated file.
 *
 * <p>Anchors. With a sink in the options, an {@link AnchorWriter} copies the chain head out of the
 * file: at start, every interval when it changed, on rotation and on close.
 *
 * <p>Forwarding. With a {@link TrailForwarder} in the options, each batch's lines are handed to it
 * once they are durable, and every anchor too (anchors are then made even without a sink); it only
 * queues, so a collector never slows or fails the local write.
 *
 * <p>Parts: this class is the API and owns the threads; {@link AuditWriter} is the writer thread
 * (group commit, chain state, rotation), {@link ActiveFile} the file it appends to and renames,
 * {@link AuditCodec} the one place that turns a record into a line and back.
 */
public final class AuditLog implements AutoCloseable {
  /**
   * How a trail is rotated, anchored and forwarded.
   *
   * @param maxBytes rotate before a batch would take the active file past this size
   * @param maxAge rotate before a batch once the active file's first record is this old
   * @param clock the time of records and anchors, and of rotation by age
   * @param anchors where anchors of the chain head go ({@link AnchorSink#NONE}: nowhere)
   * @param anchorInterval how often the head is anchored when it changed
   * @param problems told when an anchor cannot be written (berth's log)
   * @param forwarder where durable records and anchors are copied ({@link TrailForwarder#NONE}:
   *     nowhere); closed with the log
   * @param linger how long a batch of records nobody waits for ({@link #appendLazily}) may wait for
   *     more before it is written and forced; a record someone waits for ends it at once
   */
  public record Options(
      long maxBytes,
      Duration maxAge,
      InstantSource clock,
      AnchorSink anchors,
      Duration anchorInterval,
      Consumer<String> problems,
      TrailForwarder forwarder,
      Duration linger) {
    public static final long DEFAULT_MAX_BYTES = 100L << 20;
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(1);
    public static final Duration DEFAULT_ANCHOR_INTERVAL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(20);

    public Options {
      requireNonNull(maxAge, "maxAge");
      requireNonNull(clock, "clock");
      requireNonNull(anchors, "anchors");
      requireNonNull(anchorInterval, "anchorInterval");
      requireNonNull(problems, "problems");
      requireNonNull(forwarder, "forwarder");
      requireNonNull(linger, "linger");
      if (linger.isNegative()) {
        throw new IllegalArgumentException("linger must not be negative: " + linger);
      }
      if (maxBytes < 1 || !maxAge.isPositive() || !anchorInterval.isPositive()) {
        throw new IllegalArgumentException(
            "maxBytes, maxAge and anchorInterval must be "
                + "positive: "
                + maxBytes
                + ", "
                + maxAge
                + ", "
                + anchorInterval);
      }
    }

    /** Options without a forwarder, with the default linger. */
    public Options(
        long maxBytes,
        Duration maxAge,
        InstantSource clock,
        AnchorSink anchors,
        Duration anchorInterval,
        Consumer<String> problems) {
      this(
          maxBytes,
          maxAge,
          clock,
          anchors,
          anchorInterval,
          problems,
          TrailForwarder.NONE,
          DEFAULT_LINGER);
    }

    /** 100 MiB, one day, the system clock, no anchors, no forwarding, a 20 ms linger. */
    public static Options defaults() {
      return new Options(
          DEFAULT_MAX_BYTES,
          DEFAULT_MAX_AGE,
          InstantSource.system(),
          AnchorSink.NONE,
          DEFAULT_ANCHOR_INTERVAL,
          problem -> {});
    }

    public Options withRotation(long maxBytes, Duration maxAge) {
      return new Options(
          maxBytes, maxAge, clock, anchors, anchorInterval, problems, forwarder, linger);
    }

    public Options withClock(InstantSource clock) {
      return new Options(
          maxBytes, maxAge, clock, anchors, anchorInterval, problems, forwarder, linger);
    }

    public Options withAnchors(AnchorSink anchors, Duration interval, Consumer<String> problems) {
      return new Options(maxBytes, maxAge, clock, anchors, interval, problems, forwarder, linger);
    }

    public Options withForwarder(TrailForwarder forwarder) {
      return new Options(
          maxBytes, maxAge, clock, anchors, anchorInterval, problems, forwarder, linger);
    }

    public Options withLinger(Duration linger) {
      return new Options(
          maxBytes, maxAge, clock, anchors, anchorInterval, problems, forwarder, linger);
    }
  }

  private final ActiveFile file;
  private final AuditWriter writer;
  private final @Nullable AnchorWriter anchors;
  private final TrailForwarder forwarder;

  private AuditLog(ActiveFile file, ChainHead head, Options options) {
    this.file = file;
    this.forwarder = options.forwarder();
    this.writer = new AuditWriter(file, head, options);
    boolean anchored = options.anchors() != AnchorSink.NONE || forwarder != TrailForwarder.NONE;
    this.anchors =
        !anchored
            ? null
            : new AnchorWriter(
                options.anchors(),
                forwarder,
                options.anchorInterval(),
                options.clock(),
                writer::head,
                options.problems());
    writer.start(anchors == null ? h -> {} : anchors::rotated, forwarder);
  }

  /** {@link #open(Path, Options)} with the default options. */
  public static AuditLog open(Path file) throws IOException {
    return open(file, Options.defaults());
  }

  /**
   * Opens (or creates, mode 0600) the active file of a trail and continues its chain: from the
   * file's last line, or, when the file is missing or empty (a rotation was cut short by a crash),
   * from the last line of the newest rotated file beside it.
   *
   * @throws IOException when the file cannot be opened or its last line is not a record
   */
  public static AuditLog open(Path file, Options options) throws IOException {
    ActiveFile.Opened opened = ActiveFile.open(file, options.clock());
    return new AuditLog(opened.file(), opened.head(), options);
  }

  /** The active file. */
  public Path file() {
    return file.path();
  }

  /** Records queued and not yet on disk (the audit lag, in records). */
  public int pending() {
    return writer.pending();
  }

  /** The newest record on disk. */
  public ChainHead head() {
    return writer.head();
  }

  /** What the forwarder to a collector did so far (not enabled without one). */
  public TrailForwarder.Counters forwarded() {
    return forwarder.counters();
  }

  /**
   * Queues a decision that someone waits for; the future completes with its sequence number once it
   * is on disk. The writer takes it, and everything queued before it, at once.
   */
  public CompletableFuture<Long> append(AuditEvent event) {
    return writer.enqueue(event, true);
  }

  /**
   * Queues a record nobody waits for (the decision of a read or a refusal, which is answered
   * already; a request's result): it is written and forced with the next record someone waits for,
   * or at the latest {@link Options#linger} after the first record of its batch was queued. The
   * future completes as for {@link #append(AuditEvent)}.
   */
  public CompletableFuture<Long> appendLazily(AuditRecord record) {
    return writer.enqueue(record, false);
  }

  /** Writes what is queued, then closes the file. */
  @Override
  public void close() throws IOException {
    writer.stop(5000);
    file.close();
    if (anchors != null) {
      anchors.close();
    }
    forwarder.close();
  }
}
