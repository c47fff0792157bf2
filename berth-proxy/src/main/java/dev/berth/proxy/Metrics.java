package dev.berth.proxy;

import dev.berth.audit.TrailForwarder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * berth's own counters, in the Prometheus text exposition format (version 0.0.4).
 *
 * <p>Served on berth's socket at {@code GET /berth/metrics} to administrators only (a passthrough
 * role), so it needs no listener of its own; {@code berth metrics} prints it for a node exporter's
 * textfile collector. The format is a few lines of text, so it is written here rather than pulling
 * in a metrics library: counters are {@link LongAdder}s keyed by their label values, histograms
 * have fixed buckets.
 *
 * <p>Counting is on every request's path, so it allocates nothing: a counter is found by its raw
 * label values, one map level per label (a present key is a plain lookup), and the label text
 * ({@code name="value"}, escaped) is written only when the text is rendered.
 */
public final class Metrics {
  /** Upper bounds of the latency buckets, seconds. */
  private static final double[] BUCKETS = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    2.5, 5, 10
  };

  /** Decisions by action, then outcome, then rule. */
  private final Map<String, Map<String, Map<String, LongAdder>>> decisions =
      new ConcurrentHashMap<>();

  private final Histogram decisionSeconds = new Histogram();
  private final Histogram relaySeconds = new Histogram();
  private final AtomicLong activeStreams = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();
  private final Map<String, LongAdder> timeouts = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> limited = new ConcurrentHashMap<>();
  private final IntSupplier auditPending;
  private final Supplier<TrailForwarder.Counters> auditForwarded;

  /**
   * @param auditPending audit records queued and not yet on disk
   */
  public Metrics(IntSupplier auditPending) {
    this(auditPending, TrailForwarder.NONE::counters);
  }

  /**
   * @param auditPending audit records queued and not yet on disk
   * @param auditForwarded what the audit trail's forwarder to a collector did so far
   */
  public Metrics(IntSupplier auditPending, Supplier<TrailForwarder.Counters> auditForwarded) {
    this.auditPending = auditPending;
    this.auditForwarded = auditForwarded;
  }

  void decided(String action, String outcome, String rule, long nanos) {
    decisions
        .computeIfAbsent(action, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(outcome, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(rule, k -> new LongAdder())
        .increment();
    decisionSeconds.observe(nanos);
  }

  void relayed(long nanos) {
    relaySeconds.observe(nanos);
  }

  void streamOpened() {
    activeStreams.incrementAndGet();
  }

  void streamClosed() {
    activeStreams.decrementAndGet();
  }

  void connectionOpened() {
    connections.incrementAndGet();
  }

  void connectionClosed() {
    connections.decrementAndGet();
  }

  /** A connection was ended by a time limit ({@code idle}, {@code request_head}, …). */
  void timedOut(String what) {
    timeouts.computeIfAbsent(what, k -> new LongAdder()).increment();
  }

  /** A request was refused by a per-user bound ({@code connections}, {@code requests}). */
  void limited(String bound) {
    limited.computeIfAbsent(bound, k -> new LongAdder()).increment();
  }

  /** The exposition text. */
  public String render() {
    StringBuilder sb = new StringBuilder(4096);
    header(
        sb, "berth_decisions_total", "Requests decided, by action, outcome and rule.", "counter");
    decisions.forEach(
        (action, byOutcome) ->
            byOutcome.forEach(
                (outcome, byRule) ->
                    byRule.forEach(
                        (rule, n) -> {
                          sb.append("berth_decisions_total{");
                          label(sb, "action", action).append(',');
                          label(sb, "outcome", outcome).append(',');
                          label(sb, "rule", rule).append("} ").append(n.sum()).append('\n');
                        })));
    decisionSeconds.render(
        sb, "berth_decision_seconds", "Time to decide a request (including ownership lookups).");
    relaySeconds.render(
        sb,
        "berth_relay_seconds",
        "Time from a request's arrival to the end of the daemon's answer (non-streaming).");
    gauge(
        sb,
        "berth_active_streams",
        "Hijacked or streaming exchanges open now.",
        activeStreams.get());
    gauge(sb, "berth_connections", "Client connections open now.", connections.get());
    counters(
        sb,
        "berth_timeouts_total",
        "Connections ended by a time limit, by limit.",
        "limit",
        timeouts);
    counters(
        sb,
        "berth_limited_total",
        "Requests refused by a per-user bound, by bound.",
        "bound",
        limited);
    gauge(
        sb,
        "berth_audit_pending_records",
        "Audit records queued and not yet on disk.",
        auditPending.getAsInt());
    TrailForwarder.Counters f = auditForwarded.get();
    if (f.enabled()) {
      gauge(
          sb,
          "berth_audit_forward_connected",
          "1 while connected to the audit collector.",
          f.connected() ? 1 : 0);
      gauge(
          sb,
          "berth_audit_forward_queued_messages",
          "Audit records and anchors waiting for the collector.",
          f.queued());
      counter(
          sb,
          "berth_audit_forward_sent_total",
          "Audit records and anchors written to the collector's connection.",
          f.sent());
      counter(
          sb,
          "berth_audit_forward_dropped_total",
          "Audit records and anchors dropped because the queue for the collector was full "
              + "(the local trail has them).",
          f.dropped());
      counter(
          sb,
          "berth_audit_forward_failures_total",
          "Connections to the audit collector that failed or broke.",
          f.failures());
    }
    return sb.toString();
  }

  private static void header(StringBuilder sb, String name, String help, String type) {
    sb.append("# HELP ")
        .append(name)
        .append(' ')
        .append(help)
        .append('\n')
        .append("# TYPE ")
        .append(name)
        .append(' ')
        .append(type)
        .append('\n');
  }

  private static void counters(
      StringBuilder sb, String name, String help, String label, Map<String, LongAdder> byValue) {
    header(sb, name, help, "counter");
    byValue.forEach(
        (value, n) -> {
          sb.append(name).append('{');
          label(sb, label, value).append("} ").append(n.sum()).append('\n');
        });
  }

  private static void gauge(StringBuilder sb, String name, String help, long value) {
    sb.append("# HELP ")
        .append(name)
        .append(' ')
        .append(help)
        .append('\n')
        .append("# TYPE ")
        .append(name)
        .append(" gauge\n")
        .append(name)
        .append(' ')
        .append(value)
        .append('\n');
  }

  private static void counter(StringBuilder sb, String name, String help, long value) {
    sb.append("# HELP ")
        .append(name)
        .append(' ')
        .append(help)
        .append('\n')
        .append("# TYPE ")
        .append(name)
        .append(" counter\n")
        .append(name)
        .append(' ')
        .append(value)
        .append('\n');
  }

  /** Appends {@code name="value"} with the value escaped as the format requires. */
  private static StringBuilder label(StringBuilder sb, String name, String value) {
    return sb.append(name)
        .append("=\"")
        .append(value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
        .append('"');
  }

  private static final class Histogram {
    private final LongAdder[] counts = new LongAdder[BUCKETS.length];
    private final LongAdder count = new LongAdder();
    private final LongAdder sumNanos = new LongAdder();

    Histogram() {
      for (int i = 0; i < counts.length; i++) {
        counts[i] = new LongAdder();
      }
    }

    void observe(long nanos) {
      double seconds = nanos / 1e9;
      for (int i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]) {
          counts[i].increment();
          break;
        }
      }
      count.increment();
      sumNanos.add(nanos);
    }

    void render(StringBuilder sb, String name, String help) {
      sb.append("# HELP ")
          .append(name)
          .append(' ')
          .append(help)
          .append('\n')
          .append("# TYPE ")
          .append(name)
          .append(" histogram\n");
      long cumulative = 0;
      for (int i = 0; i < BUCKETS.length; i++) {
        cumulative += counts[i].sum();
        sb.append(name)
            .append("_bucket{le=\"")
            .append(BUCKETS[i])
            .append("\"} ")
            .append(cumulative)
            .append('\n');
      }
      long total = count.sum();
      sb.append(name)
          .append("_bucket{le=\"+Inf\"} ")
          .append(total)
          .append('\n')
          .append(name)
          .append("_sum ")
          .append(sumNanos.sum() / 1e9)
          .append('\n')
          .append(name)
          .append("_count ")
          .append(total)
          .append('\n');
    }
  }
}
