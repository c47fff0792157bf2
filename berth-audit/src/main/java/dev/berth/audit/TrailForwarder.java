package dev.berth.audit;

import java.util.List;

/**
 * Where the trail's records and anchors are copied once they are durable: a central collector
 * ({@link SyslogForwarder}). The local trail stays authoritative: a forwarder must never block or
 * fail the writer, so {@link #records} and {@link #anchor} only queue, and whatever cannot be sent
 * is counted in {@link #counters}, never reported to the writer.
 */
public interface TrailForwarder extends AutoCloseable {
  /** Forwards nothing. */
  TrailForwarder NONE =
      new TrailForwarder() {
        @Override
        public void records(List<String> lines) {}

        @Override
        public void anchor(Anchor anchor) {}

        @Override
        public Counters counters() {
          return new Counters(false, false, 0, 0, 0, 0);
        }
      };

  /**
   * What a forwarder did so far.
   *
   * @param enabled whether there is a forwarder at all
   * @param connected whether it is connected to the collector now
   * @param queued messages waiting to be sent
   * @param sent messages written to the collector's connection
   * @param dropped messages dropped because the queue was full
   * @param failures connections that failed or broke
   */
  record Counters(
      boolean enabled, boolean connected, long queued, long sent, long dropped, long failures) {}

  /**
   * The lines of a batch that is on disk, in chain order; called on the audit writer's thread, so
   * it must return at once.
   */
  void records(List<String> lines);

  /** An anchor that was made; called on the anchor thread, must return at once. */
  void anchor(Anchor anchor);

  Counters counters();

  /** Sends what is queued (for a short while at most), then disconnects. */
  @Override
  default void close() {}
}
