package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue #8: berth's metrics, for administrators only. */
class MetricsIT {

  @Test
  void metrics_rootSeesDecisionCounters_aliceIsRefused() throws Exception {
    ItEnvironment.require();
    UnixUser alice = ItEnvironment.user("alice");
    try (BerthServer berth = BerthServer.start(ItEnvironment.upstreamUrl())) {
      DockerCli cli = new DockerCli(berth.socket());
      assertThat(cli.run(alice, "ps").exitCode()).isZero();
      assertThat(cli.run(alice, "run", "--privileged", ItEnvironment.image(), "true").exitCode())
          .isNotZero();
      Proc.Result root =
          Proc.run(
              List.of(
                  ItEnvironment.repoRoot().resolve("berth").toString(),
                  "metrics",
                  "--socket",
                  berth.socket().toString()),
              null,
              Duration.ofSeconds(30));
      assertThat(root.exitCode()).as(root.describe()).isZero();
      assertThat(root.stdout())
          .contains(
              "berth_decisions_total{action=\"container_list\",outcome=\"allow\","
                  + "rule=\"user_action\"} 1")
          .contains(
              "berth_decisions_total{action=\"container_create\",outcome=\"deny\","
                  + "rule=\"container_create\"} 1")
          .contains(
              "# TYPE berth_decision_seconds histogram",
              "berth_active_streams ",
              "berth_audit_pending_records ");
      Proc.Result asAlice =
          Proc.run(
              cli.asUser(
                  alice,
                  List.of(
                      "curl",
                      "-s",
                      "--unix-socket",
                      berth.socket().toString(),
                      "http://berth/berth/metrics")),
              null,
              Duration.ofSeconds(30));
      assertThat(asAlice.stdout())
          .contains("metrics are for administrators")
          .doesNotContain("berth_decisions_total");
    }
  }
}
