package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.Decision;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** berth's own metrics endpoint: administrators only, never forwarded. */
class MetricsHandlerTest {
  private PipelineFixture f;

  @BeforeEach
  void start() throws IOException {
    f = new PipelineFixture();
    f.start(MetricsHandler::new);
  }

  @AfterEach
  void stop() throws IOException {
    f.close();
  }

  @Test
  void metrics_refusedToOrdinaryUsersAndRecorded() throws Exception {
    f.send("GET /berth/metrics HTTP/1.1\r\nHost: d\r\n\r\n");
    assertThat(f.answer()).startsWith("HTTP/1.1 403").contains("metrics are for administrators");
    assertThat(f.passed).isEmpty();
    assertThat(f.decisions).singleElement().isInstanceOf(Decision.Deny.class);
    // a refusal of a request without body keeps the connection for the next one
    assertThat(f.channel.isOpen()).isTrue();
  }

  @Test
  void otherPaths_passedOn() throws Exception {
    f.send("GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n");
    assertThat(f.awaitPassed()).isInstanceOf(Exchange.class);
  }
}
