package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.TrailForwarder;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void render_auditForwarder_itsCountersAndGauges() {
    String text = new Metrics(() -> 0,
        () -> new TrailForwarder.Counters(true, false, 3, 10, 2, 1)).render();
    assertThat(text).contains("# TYPE berth_audit_forward_connected gauge\n"
            + "berth_audit_forward_connected 0\n")
        .contains("berth_audit_forward_queued_messages 3\n")
        .contains("# TYPE berth_audit_forward_sent_total counter\n"
            + "berth_audit_forward_sent_total 10\n")
        .contains("berth_audit_forward_dropped_total 2\n")
        .contains("berth_audit_forward_failures_total 1\n");
  }

  @Test
  void render_noForwarder_noForwardLines() {
    assertThat(new Metrics(() -> 0).render()).doesNotContain("berth_audit_forward");
  }
}
