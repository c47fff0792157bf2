package dev.berth.audit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The writer thread of a trail: group commit, the chain state, rotation (see {@link AuditLog} for
 * the design).
 *
 * <p>Design note. The thread takes every record queued since its last write, gives each its seq and
 * prev, encodes them ({@link AuditCodec}), rotates the file first when the batch is due ({@link
 * ActiveFile#rotationDue}), then appends the batch with one fsync. The chain state ({@code seq},
 * {@code prev}) advances only once the batch is on disk; a batch that fails leaves it as it was and
 * fails every future of the batch. Once a batch is durable its lines go to the {@link
 * TrailForwarder}, on this thread and before the futures complete: it only queues them.
 *
 * <p>Lingering. When nothing in a batch is awaited, the thread parks until {@link
 * AuditLog.Options#linger} after it took the batch's first record, then drains the queue again and
 * writes everything as one batch. An awaited record ends the linger at once: its {@link #enqueue}
 * sets {@code awaitedQueued} after adding it and then reads {@code lingering}, while the thread
 * sets {@code lingering} and then reads {@code awaitedQueued} (both volatile), so one of the two
 * always sees the other: the thread does not park, or it is unparked.
 */
final class AuditWriter {
  private static final int MAX_BATCH = 4096;

  private record Pending(AuditRecord record, boolean awaited, CompletableFuture<Long> done) {}

  private final ActiveFile file;
  private final AuditLog.Options options;
  private final long lingerNanos;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private volatile boolean closed;
  private volatile boolean lingering;
  private volatile boolean awaitedQueued;

  /** The newest record; written by the writer thread, read by the anchor thread. */
  private volatile ChainHead head;

  private volatile @Nullable Thread thread;
  private Consumer<ChainHead> rotated = h -> {};
  private TrailForwarder forwarder = TrailForwarder.NONE;

  // Writer thread state.
  private long seq;
  private String prev;
  private final MessageDigest sha256 = AuditChain.sha256();

  AuditWriter(ActiveFile file, ChainHead head, AuditLog.Options options) {
    this.file = file;
    this.options = options;
    this.lingerNanos = options.linger().toNanos();
    this.head = head;
    this.seq = head.seq();
    this.prev = head.hash();
  }

  /**
   * Starts the thread.
   *
   * @param rotated told the head of each file rotated out, before the new file is created
   * @param forwarder given the lines of each batch once they are on disk
   */
  void start(Consumer<ChainHead> rotated, TrailForwarder forwarder) {
    this.rotated = rotated;
    this.forwarder = forwarder;
    thread = Thread.ofPlatform().name("berth-audit-writer").daemon().start(this::writeLoop);
  }

  ChainHead head() {
    return head;
  }

  int pending() {
    return queue.size();
  }

  /** Queues a record; an {@code awaited} one ends a linger (see the design note). */
  CompletableFuture<Long> enqueue(AuditRecord record, boolean awaited) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IOException("the audit log is closed"));
      return done;
    }
    queue.add(new Pending(record, awaited, done));
    if (awaited) {
      awaitedQueued = true;
      Thread t = thread;
      if (lingering && t != null) {
        LockSupport.unpark(t);
      }
    }
    return done;
  }

  /** Writes what is queued (waiting up to {@code millis}), then stops; the file stays open. */
  void stop(long millis) {
    closed = true;
    Thread t = thread;
    if (t == null) {
      return;
    }
    LockSupport.unpark(t);
    try {
      t.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        long taken = System.nanoTime();
        awaitedQueued = false;
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        if (!anyAwaited(batch)) {
          linger(taken);
          queue.drainTo(batch, MAX_BATCH - batch.size());
        }
        commit(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        batch.clear();
      }
    }
  }

  private static boolean anyAwaited(List<Pending> batch) {
    for (Pending p : batch) {
      if (p.awaited()) {
        return true;
      }
    }
    return false;
  }

  /** Parks until {@code linger} after {@code taken}, an awaited record, or close. */
  private void linger(long taken) {
    lingering = true;
    try {
      long left;
      while (!awaitedQueued && !closed && (left = taken + lingerNanos - System.nanoTime()) > 0) {
        LockSupport.parkNanos(this, left);
      }
    } finally {
      lingering = false;
    }
  }

  private void commit(List<Pending> batch) {
    long nextSeq = seq;
    String nextPrev = prev;
    Instant now = options.clock().instant();
    List<String> lines = new ArrayList<>(batch.size());
    ByteArrayOutputStream text = new ByteArrayOutputStream(batch.size() * 400);
    try {
      String time = now.toString();
      for (Pending p : batch) {
        nextSeq++;
        String line = AuditCodec.encode(nextSeq, nextPrev, time, p.record());
        byte[] utf8 = line.getBytes(StandardCharsets.UTF_8);
        nextPrev = AuditChain.hash(sha256, utf8);
        lines.add(line);
        text.write(utf8);
        text.write('\n');
      }
    } catch (IOException e) {
      fail(batch, e);
      return;
    }
    byte[] bytes = text.toByteArray();
    if (file.rotationDue(bytes.length, now, options.maxBytes(), options.maxAge())) {
      try {
        rotate();
      } catch (IOException e) {
        fail(batch, new IOException("cannot rotate the audit trail " + file.path() + ": " + e, e));
        return;
      }
    }
    long first = seq + 1;
    try {
      file.append(bytes, first, now);
    } catch (IOException e) {
      fail(batch, e);
      return;
    }
    seq = nextSeq;
    prev = nextPrev;
    head = new ChainHead(seq, prev, ActiveFile.name(file.path()));
    forwarder.records(lines);
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).done().complete(first + i);
    }
  }

  /**
   * Rotates the file (see {@link AuditLog}). Resumable: a failure after the rename leaves the file
   * closed, and the next call only creates the new one.
   */
  private void rotate() throws IOException {
    if (file.isOpen()) {
      head = new ChainHead(seq, prev, ActiveFile.name(file.renameActive()));
      file.syncDirectory();
      rotated.accept(head);
    }
    file.createActive();
  }

  private static void fail(List<Pending> batch, IOException e) {
    for (Pending p : batch) {
      p.done().completeExceptionally(e);
    }
  }
}
