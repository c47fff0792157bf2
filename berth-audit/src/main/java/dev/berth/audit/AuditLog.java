package dev.berth.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The append-only audit file, written by one thread with group commit.
 *
 * <p>Design note. Callers {@link #append} an event and get a future that completes once the
 * record is on disk ({@code fsync}). One writer thread takes every event queued since its last
 * write, gives each its {@code seq} and {@code prev} (see {@link AuditChain}), writes them in one
 * call and forces the file once, so a burst of N decisions costs one fsync, not N. If the write
 * or the fsync fails (disk full, I/O error) the file is truncated back to where the batch began,
 * the chain state is not advanced, and every future of the batch fails: callers refuse the
 * request rather than act unrecorded. On open, the chain continues from the last line of an
 * existing file. Only one process may write a file at a time.
 */
public final class AuditLog implements AutoCloseable {
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final int MAX_BATCH = 4096;

  private record Pending(AuditRecord record, CompletableFuture<Long> done) {}

  private final Path file;
  private final FileChannel channel;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private long seq;
  private String prev;
  private volatile boolean closed;

  private AuditLog(Path file, FileChannel channel, long seq, String prev) {
    this.file = file;
    this.channel = channel;
    this.seq = seq;
    this.prev = prev;
    this.writer = Thread.ofPlatform().name("berth-audit-writer").daemon().start(this::writeLoop);
  }

  /**
   * Opens (or creates, mode 0600) an audit file and continues its chain.
   *
   * @throws IOException when the file cannot be opened or its last line is not a record
   */
  public static AuditLog open(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    if (!Files.exists(file)) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
    ch.position(ch.size());
    String last = lastLine(ch);
    if (last == null) {
      return new AuditLog(file, ch, 0, AuditChain.GENESIS);
    }
    long lastSeq;
    try {
      lastSeq = JSON.readTree(last).path("seq").asLong(-1);
    } catch (IOException e) {
      ch.close();
      throw new IOException(file + ": the last line is not an audit record; run 'berth audit "
          + "verify' and move the file aside", e);
    }
    if (lastSeq < 1) {
      ch.close();
      throw new IOException(file + ": the last line has no sequence number");
    }
    return new AuditLog(file, ch, lastSeq, AuditChain.hash(last));
  }

  public Path file() {
    return file;
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
        Pending first = queue.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
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
    StringBuilder text = new StringBuilder(batch.size() * 400);
    try {
      String now = Instant.now().toString();
      for (Pending p : batch) {
        nextSeq++;
        ObjectNode json = JSON.createObjectNode();
        json.put("seq", nextSeq);
        json.put("prev", nextPrev);
        json.put("time", now);
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
    long start;
    try {
      start = channel.size();
    } catch (IOException e) {
      fail(batch, e);
      return;
    }
    try {
      ByteBuffer buf = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
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
    seq = nextSeq;
    prev = nextPrev;
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).done().complete(first + i);
    }
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

  /** The last non-empty line of the file, or null for an empty file. */
  private static String lastLine(FileChannel ch) throws IOException {
    long size = ch.size();
    if (size == 0) {
      return null;
    }
    int window = (int) Math.min(size, 1 << 20);
    ByteBuffer buf = ByteBuffer.allocate(window);
    ch.read(buf, size - window);
    String tail = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    String trimmed = tail.endsWith("\n") ? tail.substring(0, tail.length() - 1) : tail;
    if (!tail.endsWith("\n")) {
      throw new IOException("the audit file ends in a partial line");
    }
    int nl = trimmed.lastIndexOf('\n');
    return trimmed.substring(nl + 1);
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
    channel.close();
  }
}
