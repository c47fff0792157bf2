package dev.berth.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonSettingsTest {
  @TempDir Path dir;

  @Test
  void read_commandLineAndConfigFile_merged() throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("daemon.json"),
            """
        {"hosts": ["tcp://0.0.0.0:2375"], "userns-remap": "default",
         "builder": {"Entitlements": {"network-host": false, "security-insecure": true}}}""");
    DaemonSettings s =
        DaemonSettings.read(
            List.of(
                "/usr/sbin/dockerd",
                "-H",
                "unix:///run/d.sock",
                "--tlsverify",
                "--config-file=" + config),
            dir.resolve("other"));
    assertThat(s.hosts()).containsExactly("unix:///run/d.sock", "tcp://0.0.0.0:2375");
    assertThat(s.tlsVerify()).isTrue();
    assertThat(s.usernsRemap()).isTrue();
    assertThat(s.networkHost()).contains(false);
    assertThat(s.securityInsecure()).contains(true);
    assertThat(s.device()).isEmpty();
    assertThat(s.configFile()).contains(config);
  }

  @Test
  void read_noConfigFile_defaultsUnset() throws Exception {
    DaemonSettings s =
        DaemonSettings.read(List.of("dockerd", "--host=fd://"), dir.resolve("missing.json"));
    assertThat(s.hosts()).containsExactly("fd://");
    assertThat(s.tlsVerify()).isFalse();
    assertThat(s.networkHost()).isEqualTo(Optional.empty());
    assertThat(s.configFile()).isEmpty();
  }
}
