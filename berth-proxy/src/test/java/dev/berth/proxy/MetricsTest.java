package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.TrailForwarder;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void render_auditForwarder_itsCountersAndGauges() {
    String text =
        new Metrics(() -> 0, () -> new TrailForwarder.Counters(true, false, 3, 10, 2, 1)).render();
    assertThat(text)
        .contains(
            "# TYPE berth_audit_forward_connected gauge\n" + "berth_audit_forward_connected 0\n")
        .contains("berth_audit_forward_queued_messages 3\n")
        .contains(
            "# TYPE berth_audit_forward_sent_total counter\n"
                + "berth_audit_forward_sent_total 10\n")
        .contains("berth_audit_forward_dropped_total 2\n")
        .contains("berth_audit_forward_failures_total 1\n");
  }

  @Test
  void decided_sameLabelsTwice_oneCounterOfTwo_labelsEscaped() {
    Metrics m = new Metrics(() -> 0);
    m.decided("container_create", "deny", "host_\"config\"", 1_000);
    m.decided("container_create", "deny", "host_\"config\"", 1_000);
    m.decided("container_create", "allow", "baseline", 1_000);
    m.timedOut("idle");
    m.limited("requests");
    assertThat(m.render())
        .contains("# TYPE berth_decisions_total counter\n")
        .contains(
            "berth_decisions_total{action=\"container_create\",outcome=\"deny\","
                + "rule=\"host_\\\"config\\\"\"} 2\n")
        .contains(
            "berth_decisions_total{action=\"container_create\",outcome=\"allow\","
                + "rule=\"baseline\"} 1\n")
        .contains("berth_timeouts_total{limit=\"idle\"} 1\n")
        .contains("berth_limited_total{bound=\"requests\"} 1\n");
  }

  @Test
  void render_noForwarder_noForwardLines() {
    assertThat(new Metrics(() -> 0).render()).doesNotContain("berth_audit_forward");
  }
}
