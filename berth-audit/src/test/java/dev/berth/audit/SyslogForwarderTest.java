package dev.berth.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyslogForwarderTest {
  @TempDir Path dir;

  @Test
  void target_syslogTlsUrl_hostAndPort() {
    assertThat(SyslogForwarder.Target.parse("syslog+tls://logs.example.org:6514"))
        .isEqualTo(new SyslogForwarder.Target("logs.example.org", 6514));
    assertThat(SyslogForwarder.Target.parse("syslog+tls://[::1]:6514"))
        .isEqualTo(new SyslogForwarder.Target("::1", 6514));
    assertThat(SyslogForwarder.Target.parse("syslog+tls://[::1]:6514"))
        .hasToString("syslog+tls://[::1]:6514");
  }

  @Test
  void target_otherSchemeOrNoPortOrPath_refused() {
    for (String bad :
        List.of(
            "syslog://h:514",
            "tcp://h:6514",
            "syslog+tls://h",
            "syslog+tls://h:6514/x",
            "syslog+tls://u@h:6514",
            "h:6514")) {
      assertThatThrownBy(() -> SyslogForwarder.Target.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("syslog+tls://HOST:PORT");
    }
  }

  @Test
  void frame_octetCountedRfc5424_bodyAsStored() {
    String body = "{\"seq\":1,\"user\":\"zoë\"}";
    byte[] framed =
        SyslogForwarder.frame(
            Instant.parse("2026-12-06T17:00:00.123456789Z"),
            SyslogForwarder.header("login 1\n", 42),
            "record",
            body);
    String text = new String(framed, StandardCharsets.UTF_8);
    String message = "<85>1 2026-12-06T17:00:00.123456Z login1 berth-audit 42 record - " + body;
    assertThat(text).isEqualTo(message.getBytes(StandardCharsets.UTF_8).length + " " + message);
  }

  @Test
  void collectorDown_everyRecordStillDurable_overflowCountedAsDropped() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    List<String> problems = new CopyOnWriteArrayList<>();
    SyslogForwarder forwarder =
        new SyslogForwarder(
            new SyslogForwarder.Target("127.0.0.1", port),
            (SSLSocketFactory) SSLSocketFactory.getDefault(),
            2,
            "host",
            1,
            InstantSource.system(),
            problems::add);
    Path file = dir.resolve("audit.jsonl");
    try (AuditLog log = AuditLog.open(file, AuditLog.Options.defaults().withForwarder(forwarder))) {
      List<CompletableFuture<Long>> all = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        all.add(log.append(AuditLogTest.event("alice", "/containers/" + i)));
      }
      for (CompletableFuture<Long> f : all) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isPositive();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (log.forwarded().failures() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      TrailForwarder.Counters c = log.forwarded();
      assertThat(c.enabled()).isTrue();
      assertThat(c.connected()).isFalse();
      assertThat(c.sent()).isZero();
      assertThat(c.failures()).isPositive();
      assertThat(c.dropped()).isGreaterThanOrEqualTo(10 - 2 - 1); // queue of 2, one held
    }
    assertThat(Files.readAllLines(file)).hasSize(10);
    assertThat(problems).anyMatch(p -> p.contains("cannot send to syslog+tls://127.0.0.1:" + port));
  }
}
