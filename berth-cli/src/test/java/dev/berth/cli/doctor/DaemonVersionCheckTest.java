package dev.berth.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DaemonVersionCheckTest {
  private static List<Finding.Severity> severities(String version) {
    return DaemonVersionCheck.check(version, Mode.PLUGIN).stream().map(Finding::severity).toList();
  }

  @Test
  void check_upstreamVersionWithCve202441110_fails() {
    assertThat(severities("27.1.0")).contains(Finding.Severity.FAIL);
    assertThat(severities("26.1.4")).contains(Finding.Severity.FAIL);
    assertThat(severities("25.0.5")).contains(Finding.Severity.FAIL);
  }

  @Test
  void check_distributionBuild_warnsInsteadOfFailing() {
    assertThat(severities("20.10.24+dfsg1")).containsOnly(Finding.Severity.WARN);
  }

  @Test
  void check_fixedFor41110ButBefore2931_warns() {
    assertThat(severities("28.5.2")).containsExactly(Finding.Severity.WARN);
    assertThat(severities("27.1.1")).containsExactly(Finding.Severity.WARN);
  }

  @Test
  void check_current_ok() {
    assertThat(severities("29.3.1")).containsExactly(Finding.Severity.OK);
  }

  @Test
  void check_proxyMode_notAGate() {
    assertThat(DaemonVersionCheck.check("19.03.1", Mode.PROXY))
        .singleElement()
        .extracting(Finding::severity)
        .isEqualTo(Finding.Severity.OK);
  }

  @Test
  void parse_versions() {
    assertThat(DaemonVersionCheck.parse("20.10.24+dfsg1")).containsExactly(20, 10, 24);
    assertThat(DaemonVersionCheck.parse("v28.5")).containsExactly(28, 5, 0);
  }
}
