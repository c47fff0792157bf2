package dev.berth.audit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The append-only audit trail, written by one thread with group commit, rotated by size and age.
 *
 * <p>Design note. Callers {@link #append} an event and get a future that completes once the
 * record is on disk ({@code fsync}). One writer thread takes every event queued since its last
 * write, gives each its {@code seq} and {@code prev} (see {@link AuditChain}), writes them in one
 * call and forces the file once, so a burst of N decisions costs one fsync, not N. If the write
 * or the fsync fails (disk full, I/O error) the file is truncated back to where the batch began,
 * the chain state is not advanced, and every future of the batch fails: callers refuse the
 * request rather than act unrecorded. Only one process may write a trail at a time.
 *
 * <p>Rotation. Before it writes a batch, the writer rotates the active file when the batch would
 * take it past {@link Options#maxBytes} or its first record is {@link Options#maxAge} old: it
 * renames the file (see {@link AuditFiles} for the name), makes the rename durable (directory
 * fsync), creates an empty active file (fsync again) and writes the batch there. The chain
 * simply goes on: the seq and hash of the last record stay in memory, so the new file's first
 * record links to the rotated file's last one. A batch is never split, and an idle trail is
 * rotated with its next record. If any step fails, the batch fails like any unwritten batch (so
 * changes are refused, and berth's log says why), and the next batch resumes rotation where it
 * stopped. Crash safety follows from the order of the steps: every record is on disk before the
 * rename; after a crash before the rename nothing happened, and after a crash between the rename
 * and the first record of the new file, {@link #open} finds the active file missing or empty and
 * continues the chain from the last line of the newest rotated file.
 *
 * <p>Anchors. With a sink in the options, an {@link AnchorWriter} copies the chain head out of
 * the file: at start, every interval when it changed, on rotation and on close.
 */
public final class AuditLog implements AutoCloseable {
  private static final ObjectMapper JSON = AuditJson.mapper();
  private static final int MAX_BATCH = 4096;
  private static final FileAttribute<?> OWNER_ONLY = PosixFilePermissions.asFileAttribute(
      PosixFilePermissions.fromString("rw-------"));

  /**
   * How a trail is rotated and anchored.
   *
   * @param maxBytes rotate before a batch would take the active file past this size
   * @param maxAge rotate before a batch once the active file's first record is this old
   * @param clock the time of records and anchors, and of rotation by age
   * @param anchors where anchors of the chain head go ({@link AnchorSink#NONE}: nowhere)
   * @param anchorInterval how often the head is anchored when it changed
   * @param problems told when an anchor cannot be written (berth's log)
   */
  public record Options(long maxBytes, Duration maxAge, InstantSource clock, AnchorSink anchors,
      Duration anchorInterval, Consumer<String> problems) {
    public static final long DEFAULT_MAX_BYTES = 100L << 20;
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(1);
    public static final Duration DEFAULT_ANCHOR_INTERVAL = Duration.ofSeconds(60);

    public Options {
      requireNonNull(maxAge, "maxAge");
      requireNonNull(clock, "clock");
      requireNonNull(anchors, "anchors");
      requireNonNull(anchorInterval, "anchorInterval");
      requireNonNull(problems, "problems");
      if (maxBytes < 1 || !maxAge.isPositive() || !anchorInterval.isPositive()) {
        throw new IllegalArgumentException("maxBytes, maxAge and anchorInterval must be "
            + "positive: " + maxBytes + ", " + maxAge + ", " + anchorInterval);
      }
    }

    /** 100 MiB, one day, the system clock, no anchors. */
    public static Options defaults() {
      return new Options(DEFAULT_MAX_BYTES, DEFAULT_MAX_AGE, InstantSource.system(),
          AnchorSink.NONE, DEFAULT_ANCHOR_INTERVAL, problem -> {});
    }

    public Options withRotation(long maxBytes, Duration maxAge) {
      return new Options(maxBytes, maxAge, clock, anchors, anchorInterval, problems);
    }

    public Options withClock(InstantSource clock) {
      return new Options(maxBytes, maxAge, clock, anchors, anchorInterval, problems);
    }

    public Options withAnchors(AnchorSink anchors, Duration interval, Consumer<String> problems) {
      return new Options(maxBytes, maxAge, clock, anchors, interval, problems);
    }
  }

  private record Pending(AuditRecord record, CompletableFuture<Long> done) {}

  private final Path file;
  private final @Nullable Path dir;
  private final Options options;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final @Nullable AnchorWriter anchors;
  private volatile boolean closed;
  /** The newest record; written by the writer thread, read by the anchor thread. */
  private volatile ChainHead head;

  // Writer thread state.
  /** The active file, or null after a rotation's rename whose new file is not created yet. */
  private @Nullable FileChannel channel;
  private long size;
  /** Seq and time of the active file's first record; seq 0 while the file is empty. */
  private long firstSeq;
  private @Nullable Instant firstTime;
  private long seq;
  private String prev;

  private AuditLog(Path file, Options options, FileChannel channel, long firstSeq,
      @Nullable Instant firstTime, ChainHead head) throws IOException {
    this.file = file;
    this.dir = file.toAbsolutePath().getParent();
    this.options = options;
    this.channel = channel;
    this.size = channel.size();
    this.firstSeq = firstSeq;
    this.firstTime = firstTime;
    this.seq = head.seq();
    this.prev = head.hash();
    this.head = head;
    this.anchors = options.anchors() == AnchorSink.NONE ? null : new AnchorWriter(
        options.anchors(), options.anchorInterval(), options.clock(), () -> this.head,
        options.problems());
    this.writer = Thread.ofPlatform().name("berth-audit-writer").daemon().start(this::writeLoop);
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
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    if (!Files.exists(file)) {
      Files.createFile(file, OWNER_ONLY);
      AuditFiles.syncDirectory(dir);
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
    try {
      String last = lastLine(ch, file);
      if (last != null) {
        JsonNode first = record(AuditFiles.firstLine(file), file);
        Instant firstTime;
        try {
          firstTime = Instant.parse(first.path("time").asText());
        } catch (DateTimeParseException e) {
          firstTime = options.clock().instant(); // a broken first record: age counts from now
        }
        return new AuditLog(file, options, ch, first.path("seq").asLong(), firstTime,
            new ChainHead(seqOf(last, file), AuditChain.hash(last), name(file)));
      }
      ChainHead head = new ChainHead(0, AuditChain.GENESIS, name(file));
      Optional<Path> rotated = AuditFiles.latestRotated(file);
      if (rotated.isPresent()) {
        String rotatedLast = lastLine(rotated.get());
        if (rotatedLast != null) {
          head = new ChainHead(seqOf(rotatedLast, rotated.get()), AuditChain.hash(rotatedLast),
              name(rotated.get()));
        }
      }
      return new AuditLog(file, options, ch, 0, null, head);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static @Nullable String lastLine(FileChannel ch, Path file) throws IOException {
    try {
      return AuditFiles.lastLine(ch);
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage() + "; run 'berth audit verify' and "
          + "move the file aside", e);
    }
  }

  private static @Nullable String lastLine(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return lastLine(ch, file);
    }
  }

  private static JsonNode record(String line, Path file) throws IOException {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new IOException(file + ": a line is not an audit record; run 'berth audit "
          + "verify' and move the file aside", e);
    }
  }

  private static long seqOf(String line, Path file) throws IOException {
    long s = record(line, file).path("seq").asLong(-1);
    if (s < 1) {
      throw new IOException(file + ": the last line has no sequence number");
    }
    return s;
  }

  private static String name(Path file) {
    return file.getFileName().toString();
  }

  /** The active file. */
  public Path file() {
    return file;
  }

  /** Records queued and not yet on disk (the audit lag, in records). */
  public int pending() {
    return queue.size();
  }

  /** The newest record on disk. */
  public ChainHead head() {
    return head;
  }

  /** Queues a decision; the future completes with its sequence number once it is on disk. */
  public CompletableFuture<Long> append(AuditEvent event) {
    return enqueue(event);
  }

  /** Queues the result of a forwarded request (nobody waits for it). */
  public CompletableFuture<Long> append(AuditResult result) {
    return enqueue(result);
  }

  private CompletableFuture<Long> enqueue(AuditRecord record) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IOException("the audit log is closed"));
      return done;
    }
    queue.add(new Pending(record, done));
    return done;
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        commit(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        batch.clear();
      }
    }
  }

  private void commit(List<Pending> batch) {
    long nextSeq = seq;
    String nextPrev = prev;
    Instant now = options.clock().instant();
    StringBuilder text = new StringBuilder(batch.size() * 400);
    try {
      String time = now.toString();
      for (Pending p : batch) {
        nextSeq++;
        ObjectNode json = JSON.createObjectNode();
        json.put("seq", nextSeq);
        json.put("prev", nextPrev);
        json.put("time", time);
        switch (p.record()) {
          case AuditEvent e -> decision(json, e);
          case AuditResult r -> result(json, r);
        }
        String line = JSON.writeValueAsString(json);
        nextPrev = AuditChain.hash(line);
        text.append(line).append('\n');
      }
    } catch (IOException e) {
      fail(batch, e);
      return;
    }
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    if (rotationDue(bytes.length, now)) {
      try {
        rotate();
      } catch (IOException e) {
        fail(batch, new IOException("cannot rotate the audit trail " + file + ": " + e, e));
        return;
      }
    }
    long start;
    try {
      start = requireNonNull(channel, "no active file").size();
    } catch (IOException e) {
      fail(batch, e);
      return;
    }
    try {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        channel.write(buf, channel.size());
      }
      channel.force(false);
    } catch (IOException e) {
      try {
        channel.truncate(start); // no half record may stay behind to break the chain
      } catch (IOException ignored) {
        // the verifier will name the broken line
      }
      fail(batch, e);
      return;
    }
    long first = seq + 1;
    if (size == 0) {
      firstSeq = first;
      firstTime = now;
    }
    size = start + bytes.length;
    seq = nextSeq;
    prev = nextPrev;
    head = new ChainHead(seq, prev, name(file));
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).done().complete(first + i);
    }
  }

  /** Whether the active file must be rotated before a batch of {@code bytes} is written. */
  private boolean rotationDue(long bytes, Instant now) {
    return channel == null || (size > 0 && (size + bytes > options.maxBytes()
        || !now.isBefore(requireNonNull(firstTime).plus(options.maxAge()))));
  }

  /**
   * Renames the active file and starts a new one (see the design note). Resumable: a failure
   * after the rename leaves {@code channel} null, and the next call only creates the new file.
   */
  private void rotate() throws IOException {
    if (channel != null) {
      Path rotated = AuditFiles.rotatedName(file, firstTime, firstSeq);
      if (Files.exists(rotated, LinkOption.NOFOLLOW_LINKS)) {
        // rename(2) would silently replace it: never lose a rotated file
        throw new FileAlreadyExistsException(rotated.toString(), null,
            "a rotated file of that name exists already");
      }
      Files.move(file, rotated, StandardCopyOption.ATOMIC_MOVE);
      try {
        channel.close(); // its records were forced with their batch
      } catch (IOException ignored) {
        // nothing is lost: the file descriptor only refers to a file that is complete
      }
      channel = null;
      head = new ChainHead(seq, prev, name(rotated));
      AuditFiles.syncDirectory(dir);
      if (anchors != null) {
        anchors.rotated(head);
      }
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE, StandardOpenOption.READ), OWNER_ONLY);
    } catch (FileAlreadyExistsException e) {
      ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
      if (ch.size() != 0) { // not what a retry of this rotation left behind
        ch.close();
        throw new IOException(file + " was created by someone else while rotating");
      }
    }
    try {
      AuditFiles.syncDirectory(dir);
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    channel = ch;
    size = 0;
    firstSeq = 0;
    firstTime = null;
  }

  private static void fail(List<Pending> batch, IOException e) {
    for (Pending p : batch) {
      p.done().completeExceptionally(e);
    }
  }

  private static void result(ObjectNode n, AuditResult r) {
    n.put("result", r.decisionId());
    n.put("status", r.status());
    if (!r.objectId().isEmpty()) {
      n.put("objectId", r.objectId());
    }
    n.put("millis", r.millis());
  }

  private static void decision(ObjectNode n, AuditEvent e) {
    n.put("decisionId", e.decisionId());
    n.put("decision", e.decision());
    n.put("rule", e.rule());
    if (!e.reason().isEmpty()) {
      n.put("reason", e.reason());
    }
    ObjectNode who = n.putObject("principal");
    who.put("uid", e.uid());
    who.put("user", e.user());
    who.put("gid", e.gid());
    who.put("pid", e.pid());
    if (e.loginUid() >= 0) {
      who.put("loginUid", e.loginUid());
    }
    if (!e.tlsSubject().isEmpty()) {
      who.put("tls", e.tlsSubject());
    }
    n.put("action", e.action());
    n.put("method", e.method());
    n.put("path", e.path());
    if (!e.rewrites().isEmpty()) {
      e.rewrites().forEach(n.putArray("rewrites")::add);
    }
    n.put("policy", e.policyDigest());
  }

  /** Writes what is queued, then closes the file. */
  @Override
  public void close() throws IOException {
    closed = true;
    try {
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (channel != null) {
      channel.close();
    }
    if (anchors != null) {
      anchors.close();
    }
  }
}
