package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth doctor} against the real private daemon (issue 18): it finds the dockerd behind the
 * socket, reads the configuration file that daemon was started with, asks its API, and exits 1 when
 * one of berth's guarantees does not hold.
 */
class DoctorIT {
  @TempDir Path dir;

  @BeforeAll
  static void environment() {
    ItEnvironment.require();
  }

  private Proc.Result doctor(String... extra) throws Exception {
    Path plugins = dir.resolve("plugins");
    Files.createDirectories(plugins);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                ItEnvironment.repoRoot().resolve("berth").toString(),
                "doctor",
                "--upstream",
                ItEnvironment.upstreamUrl().substring("unix://".length()),
                "--plugins-dir",
                plugins.toString(),
                "--policy",
                dir.resolve("policy.yaml").toString(),
                "--audit-log",
                dir.resolve("audit/audit.jsonl").toString(),
                "--state-dir",
                dir.resolve("state").toString(),
                "--socket",
                dir.resolve("berth.sock").toString()));
    cmd.addAll(List.of(extra));
    return Proc.run(cmd);
  }

  @Test
  void doctor_privateDaemon_readsItsCommandLineConfigAndApi() throws Exception {
    Proc.Result r = doctor();
    assertThat(r.exitCode()).as(r.describe()).isZero();
    String daemonDir =
        Path.of(ItEnvironment.upstreamUrl().substring("unix://".length())).getParent().toString();
    assertThat(r.stdout())
        .as(r.describe())
        .containsPattern("OK +daemon socket")
        .containsPattern("OK +daemon endpoints +no TCP endpoint")
        // dockerd-private.sh starts the daemon with its own empty daemon.json
        .containsPattern("WARN +build entitlements +network-host and device on")
        .contains(daemonDir + "/daemon.json")
        .containsPattern("OK +daemon version +[0-9]+\\.[0-9]+")
        .containsPattern("WARN +berth socket +no socket at")
        .contains("berth's guarantees hold.");
  }

  @Test
  void doctor_pluginDirectoryWritableByAll_failsWithExitOne() throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxrwxrwx"));
    Proc.Result r = doctor();
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
    assertThat(r.stdout())
        .containsPattern("FAIL +plugin directory")
        .contains("berth's guarantees do NOT hold");
  }

  @Test
  void doctor_pluginModeOnADaemonThatDoesNotAskBerth_fails() throws Exception {
    Proc.Result r = doctor("--mode", "plugin");
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
    assertThat(r.stdout())
        .containsPattern("FAIL +authorization plugin +dockerd does not ask berth");
  }

  @Test
  void doctor_unknownMode_isAUsageError() throws Exception {
    Proc.Result r = doctor("--mode", "sideways");
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
    assertThat(r.stderr()).contains("--mode must be proxy or plugin");
  }
}
