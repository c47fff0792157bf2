package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.audit.TrailForwarder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AuditOptionsTest {
  private final AuditOptions.SizeConverter size = new AuditOptions.SizeConverter();
  private final AuditOptions.DurationConverter duration = new AuditOptions.DurationConverter();

  @Test
  void size_units_binary() {
    assertThat(size.convert("100m")).isEqualTo(100L << 20);
    assertThat(size.convert("512K")).isEqualTo(512L << 10);
    assertThat(size.convert("1g")).isEqualTo(1L << 30);
    assertThat(size.convert("4096")).isEqualTo(4096L);
  }

  @Test
  void size_zeroOrGarbage_refused() {
    for (String bad : new String[] {"0m", "-1m", "10x", "m", ""}) {
      assertThatThrownBy(() -> size.convert(bad))
          .as(bad)
          .isInstanceOf(CommandLine.TypeConversionException.class)
          .hasMessageContaining("expected a size");
    }
  }

  @Test
  void duration_units() {
    assertThat(duration.convert("1d")).isEqualTo(Duration.ofDays(1));
    assertThat(duration.convert("12h")).isEqualTo(Duration.ofHours(12));
    assertThat(duration.convert("30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(duration.convert("60s")).isEqualTo(Duration.ofSeconds(60));
    assertThat(duration.convert("500ms")).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void duration_zeroOrNoUnit_refused() {
    for (String bad : new String[] {"0s", "60", "1w", "PT1H"}) {
      assertThatThrownBy(() -> duration.convert(bad))
          .as(bad)
          .isInstanceOf(CommandLine.TypeConversionException.class)
          .hasMessageContaining("expected a duration");
    }
  }

  @Test
  void serve_defaults() {
    AuditOptions o = new AuditOptions();
    new CommandLine(o).parseArgs();
    assertThat(o.maxSize).isEqualTo(100L << 20);
    assertThat(o.maxAge).isEqualTo(Duration.ofDays(1));
    assertThat(o.anchors).isEqualTo("syslog");
    assertThat(o.anchorInterval).isEqualTo(Duration.ofSeconds(60));
  }

  private static AuditOptions parse(String... args) {
    AuditOptions o = new AuditOptions();
    new CommandLine(o).parseArgs(args);
    return o;
  }

  @Test
  void forward_notGiven_noForwarder() throws Exception {
    assertThat(parse().forward.open(p -> {})).isSameAs(TrailForwarder.NONE);
  }

  @Test
  void forward_badUsage_refusedBeforeStarting() {
    List<List<String>> bad =
        List.of(
            List.of("--audit-forward", "syslog+tls://logs:6514"),
            List.of("--audit-forward", "tcp://logs:6514", "--audit-forward-ca", "ca.pem"),
            List.of("--audit-forward-ca", "ca.pem"),
            List.of(
                "--audit-forward",
                "syslog+tls://logs:6514",
                "--audit-forward-ca",
                "ca.pem",
                "--audit-forward-cert",
                "c.pem"),
            List.of(
                "--audit-forward",
                "syslog+tls://logs:6514",
                "--audit-forward-ca",
                "ca.pem",
                "--audit-forward-queue",
                "0"));
    List<String> messages =
        List.of(
            "needs --audit-forward-ca",
            "syslog+tls://HOST:PORT",
            "need --audit-forward",
            "go together",
            "at least 1");
    for (int i = 0; i < bad.size(); i++) {
      AuditOptions o = parse(bad.get(i).toArray(String[]::new));
      assertThatThrownBy(() -> o.forward.open(p -> {}))
          .as(bad.get(i).toString())
          .isInstanceOf(CommandLine.ParameterException.class)
          .hasMessageContaining(messages.get(i));
    }
  }
}
