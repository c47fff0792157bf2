package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Slow and idle clients (issue 18): the event loop's clock is frozen and advanced by the test, so
 * each limit is checked exactly, with no sleeping.
 */
class DeadlineHandlerTest {
  private static final ClientBounds BOUNDS =
      new ClientBounds(8, 8, Duration.ofSeconds(30), Duration.ofMinutes(5));
  private PipelineFixture f;
  private EmbeddedChannel ch;

  @BeforeEach
  void start() throws IOException {
    f = new PipelineFixture();
    ch = f.start(BodyHandler::new, EnforcementHandler::new);
    ch.freezeTime();
    f.conn.becomeReady();
    ch.pipeline().addFirst(DeadlineHandler.NAME, new DeadlineHandler(f.conn, BOUNDS));
    ch.pipeline().fireChannelActive();
  }

  @AfterEach
  void stop() throws IOException {
    f.close();
  }

  /** Lets time pass a second at a time, as it does for the periodic check. */
  private void advance(Duration d) {
    for (long s = 0; s < d.toSeconds(); s++) {
      ch.advanceTimeBy(1, TimeUnit.SECONDS);
      ch.runScheduledPendingTasks();
      ch.runPendingTasks();
    }
  }

  @Test
  void slowHead_oneByteAtATime_answered408AndClosed() throws Exception {
    for (int i = 0; i < 15; i++) { // "GET /_ping HTT" over 28 s: within the limit so far
      f.send("GET /_ping HTTP/1.1".substring(i, i + 1));
      advance(Duration.ofSeconds(2));
    }
    assertThat(ch.isOpen()).isTrue();
    advance(Duration.ofSeconds(10));
    String answer = f.answer();
    assertThat(answer)
        .startsWith("HTTP/1.1 408 ")
        .contains("{\"message\":\"berth: the request head did not arrive within 30 s\"}");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void idleConnection_closedQuietlyAfterTheIdleTime() {
    advance(Duration.ofMinutes(4));
    assertThat(ch.isOpen()).isTrue();
    advance(Duration.ofMinutes(2));
    assertThat(ch.isOpen()).isFalse();
    assertThat((Object) ch.readOutbound()).isNull();
  }

  @Test
  void slowJudgedBody_refused408AndRecorded() throws Exception {
    f.send(
        "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
            + "Content-Length: 100\r\n\r\n{\"Image\":");
    advance(Duration.ofSeconds(20));
    assertThat(ch.isOpen()).isTrue();
    advance(Duration.ofSeconds(30)); // the limit, and at most two checks' periods late
    assertThat(f.answer())
        .startsWith("HTTP/1.1 408 ")
        .contains("the request body did not arrive within 30 s");
    assertThat(f.decisions)
        .last()
        .hasToString(
            "Deny[rule=request_timeout, status=REQUEST_TIMEOUT, reason=berth: the request body did "
                + "not arrive within 30 s]");
  }

  @Test
  void keepAliveBetweenRequests_theIdleClockRestartsAfterEachAnswer() throws Exception {
    advance(Duration.ofMinutes(4));
    f.send("GET /nope HTTP/1.1\r\nHost: d\r\n\r\n"); // refused at once: an answer, then ready
    assertThat(f.answer()).startsWith("HTTP/1.1 403 ");
    advance(Duration.ofMinutes(4));
    assertThat(ch.isOpen()).isTrue();
  }
}
