package dev.berth.cli.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;

class JournalLoggerTest {
  @TempDir Path dir;

  @Test
  void format_keyValues_followTheMessageWithThePriorityPrefix() {
    String line =
        JournalLogger.format(
            Level.INFO,
            "berth is serving",
            List.of(
                new KeyValuePair("listen", Path.of("/run/berth/docker.sock")),
                new KeyValuePair("threads", 4)),
            "ProxyServer",
            null);

    assertThat(line)
        .isEqualTo(
            "<6>berth is serving listen=/run/berth/docker.sock threads=4 "
                + "logger=ProxyServer\n");
  }

  @Test
  void format_valueWithSpacesQuotesOrNewlines_isQuoted() {
    assertThat(JournalLogger.value("a b")).isEqualTo("\"a b\"");
    assertThat(JournalLogger.value("say \"no\"\n")).isEqualTo("\"say \\\"no\\\"\\n\"");
    assertThat(JournalLogger.value("")).isEqualTo("\"\"");
    assertThat(JournalLogger.value("k=v")).isEqualTo("\"k=v\"");
    assertThat(JournalLogger.value("rw-rw-rw-")).isEqualTo("rw-rw-rw-");
  }

  @Test
  void format_multiLineMessage_everyLineKeepsThePriority() {
    String text =
        JournalLogger.format(
            Level.ERROR,
            "policy not reloaded:\npolicy.yaml:3:21 bad",
            List.of(new KeyValuePair("policy", "/etc/berth/policy.yaml")),
            "PolicySource",
            null);

    assertThat(text)
        .isEqualTo(
            "<3>policy not reloaded: policy=/etc/berth/policy.yaml "
                + "logger=PolicySource\n<3>policy.yaml:3:21 bad\n");
  }

  @Test
  void format_throwable_stackTraceLinesArePrefixed() {
    String text =
        JournalLogger.format(
            Level.WARN, "failed", List.of(), "X", new IllegalStateException("boom"));

    assertThat(text.lines()).allMatch(l -> l.startsWith("<4>"));
    assertThat(text).contains("<4>java.lang.IllegalStateException: boom\n");
  }

  @Test
  void logger_belowThreshold_printsNothing() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    JournalLogger log =
        new JournalLogger(
            "io.netty.X", Level.WARN, new PrintStream(bytes, true, StandardCharsets.UTF_8));

    log.atInfo().addKeyValue("k", "v").log("quiet");
    log.atWarn().addKeyValue("k", "v").log("loud {}", 1);

    assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("<4>loud 1 k=v logger=X\n");
  }

  @Test
  void provider_levels_comeFromSimpleloggerProperties() {
    JournalServiceProvider provider = new JournalServiceProvider();
    provider.initialize();

    assertThat(provider.threshold("io.netty.channel.Foo")).isEqualTo(Level.WARN);
    assertThat(provider.threshold("dev.berth.proxy.ProxyServer")).isEqualTo(Level.INFO);
  }

  @Test
  void toJournal_streamIsStderr_true() throws Exception {
    Path stderr = Files.createFile(dir.resolve("stderr"));
    long dev = (Long) Files.getAttribute(stderr, "unix:dev");
    long ino = (Long) Files.getAttribute(stderr, "unix:ino");

    assertThat(JournalLogging.toJournal(Map.of("JOURNAL_STREAM", dev + ":" + ino), stderr))
        .isTrue();
    assertThat(JournalLogging.toJournal(Map.of("JOURNAL_STREAM", dev + ":" + (ino + 1)), stderr))
        .as("stderr redirected away from the inherited stream")
        .isFalse();
    assertThat(JournalLogging.toJournal(Map.of(), stderr)).isFalse();
    assertThat(JournalLogging.toJournal(Map.of("JOURNAL_STREAM", "junk"), stderr)).isFalse();
  }
}
