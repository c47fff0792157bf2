package dev.berth.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DaemonConfigCheckTest {
  private static DaemonSettings settings(
      List<String> hosts, boolean tls, Boolean netHost, Boolean insecure, Boolean device) {
    return new DaemonSettings(
        hosts,
        tls,
        Optional.ofNullable(netHost),
        Optional.ofNullable(insecure),
        Optional.ofNullable(device),
        false,
        Optional.empty());
  }

  private static Finding named(List<Finding> fs, String name) {
    return fs.stream().filter(f -> f.check().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void check_tcpWithoutTls_fails() {
    List<Finding> fs =
        DaemonConfigCheck.check(
            settings(List.of("tcp://0.0.0.0:2375"), false, false, false, false),
            List.of(),
            Mode.PROXY);
    assertThat(named(fs, DaemonConfigCheck.ENDPOINTS).severity()).isEqualTo(Finding.Severity.FAIL);
  }

  @Test
  void check_listeningTcpSocketNotInConfig_fails() {
    List<Finding> fs =
        DaemonConfigCheck.check(
            settings(List.of(), false, false, false, false), List.of("0.0.0.0:2375"), Mode.PROXY);
    assertThat(named(fs, DaemonConfigCheck.ENDPOINTS).detail()).contains("0.0.0.0:2375");
    assertThat(named(fs, DaemonConfigCheck.ENDPOINTS).severity()).isEqualTo(Finding.Severity.FAIL);
  }

  @Test
  void check_tcpWithTlsInProxyMode_warns() {
    List<Finding> fs =
        DaemonConfigCheck.check(
            settings(List.of("tcp://:2376"), true, false, false, false), List.of(), Mode.PROXY);
    assertThat(named(fs, DaemonConfigCheck.ENDPOINTS).severity()).isEqualTo(Finding.Severity.WARN);
    fs =
        DaemonConfigCheck.check(
            settings(List.of("tcp://:2376"), true, false, false, false), List.of(), Mode.PLUGIN);
    assertThat(named(fs, DaemonConfigCheck.ENDPOINTS).severity()).isEqualTo(Finding.Severity.OK);
  }

  @Test
  void check_entitlementsUnset_warnsWithTheDaemonDefaults() {
    List<Finding> fs =
        DaemonConfigCheck.check(
            settings(List.of(), false, null, null, null), List.of(), Mode.PROXY);
    Finding f = named(fs, DaemonConfigCheck.ENTITLEMENTS);
    assertThat(f.severity()).isEqualTo(Finding.Severity.WARN);
    assertThat(f.detail()).contains("network-host and device on");
  }

  @Test
  void check_securityInsecureOn_fails() {
    List<Finding> fs =
        DaemonConfigCheck.check(
            settings(List.of(), false, false, true, false), List.of(), Mode.PROXY);
    assertThat(fs)
        .anyMatch(
            f ->
                f.check().equals(DaemonConfigCheck.ENTITLEMENTS)
                    && f.severity() == Finding.Severity.FAIL);
  }

  @Test
  void check_entitlementsOff_ok() {
    List<Finding> fs =
        DaemonConfigCheck.check(
            settings(List.of(), false, false, false, false), List.of(), Mode.PROXY);
    assertThat(named(fs, DaemonConfigCheck.ENTITLEMENTS).severity()).isEqualTo(Finding.Severity.OK);
  }
}
