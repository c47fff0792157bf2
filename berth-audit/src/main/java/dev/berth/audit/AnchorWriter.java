package dev.berth.audit;

import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Writes anchors of the chain head to a sink, on a thread of its own.
 *
 * <p>Design note. An anchor is written when the thread starts (the head berth found), every
 * interval when the head has changed since the last anchor, at once when the audit writer rotates
 * (the head now lives in the rotated file), and when the log closes (the final head). The thread is
 * separate so that a sink that blocks (a stalled journald) never holds up the audit writer, and a
 * sink that fails is reported to {@code problems} and tried again at the next interval: anchors are
 * a check made elsewhere, not a condition for recording, so they never refuse a request. A trail
 * without records (seq 0) has nothing to anchor. Each anchor is also handed to the forwarder to a
 * collector, if any, before the sink.
 */
final class AnchorWriter {
  /** Marks the end: write the final head, then stop. Compared by identity. */
  private static final ChainHead STOP = new ChainHead(-1, "", "");

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final AnchorSink sink;
  private final TrailForwarder forwarder;
  private final Duration interval;
  private final InstantSource clock;
  private final Supplier<ChainHead> head;
  private final Consumer<String> problems;
  private final BlockingQueue<ChainHead> urgent = new LinkedBlockingQueue<>();
  private final Thread thread;

  /** The head of the last anchor written; only the anchor thread touches it. */
  private @Nullable ChainHead last;

  AnchorWriter(
      AnchorSink sink,
      TrailForwarder forwarder,
      Duration interval,
      InstantSource clock,
      Supplier<ChainHead> head,
      Consumer<String> problems) {
    this.sink = sink;
    this.forwarder = forwarder;
    this.interval = interval;
    this.clock = clock;
    this.head = head;
    this.problems = problems;
    this.thread = Thread.ofPlatform().name("berth-audit-anchors").daemon().start(this::run);
  }

  /** Anchors {@code rotated} soon, whatever the interval. */
  void rotated(ChainHead rotated) {
    urgent.add(rotated);
  }

  /**
   * Writes the final head (call it once all records are written), then closes the sink; a sink
   * still blocked after {@link #CLOSE_TIMEOUT} is left open (closing it under a running call could
   * fail) and reported.
   */
  void close() throws IOException {
    urgent.add(STOP);
    try {
      thread.join(CLOSE_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      problems.accept(
          "the anchor sink did not answer within "
              + CLOSE_TIMEOUT.toSeconds()
              + " s of shutdown: the final anchor may be missing");
      return;
    }
    sink.close();
  }

  private void run() {
    write(head.get());
    while (true) {
      ChainHead next;
      try {
        next = urgent.poll(interval.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        return;
      }
      boolean stop = next == STOP;
      write(next == null || stop ? head.get() : next);
      if (stop) {
        return;
      }
    }
  }

  private void write(ChainHead h) {
    if (h.seq() < 1 || h.equals(last)) {
      return;
    }
    Anchor anchor = Anchor.of(h, clock.instant());
    forwarder.anchor(anchor); // only queues
    try {
      sink.write(anchor);
      last = h;
    } catch (IOException | RuntimeException e) {
      problems.accept("audit anchor seq=" + h.seq() + " not written: " + e.getMessage());
    }
  }
}
