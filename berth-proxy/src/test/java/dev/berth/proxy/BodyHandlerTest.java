package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.Decision;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Judged bodies are read whole and bounded; streamed bodies pass as they come. */
class BodyHandlerTest {
  private PipelineFixture f;

  @BeforeEach
  void start() throws IOException {
    f = new PipelineFixture();
    f.start(BodyHandler::new);
  }

  @AfterEach
  void stop() throws IOException {
    f.close();
  }

  @Test
  void chunkedJsonBody_aggregatedBeforeTheExchangeGoesOn() throws Exception {
    // PROTO-01: a chunked body is read whole and judged like any other
    f.send(
        "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"Ima\r\n");
    assertThat(f.passed).isEmpty();
    f.send("8\r\nge\":\"x\"}\r\n0\r\n\r\n");
    assertThat(f.awaitPassed())
        .isInstanceOfSatisfying(
            Exchange.class,
            ex ->
                assertThat(new String(ex.body, StandardCharsets.UTF_8))
                    .isEqualTo("{\"Image\":\"x\"}"));
  }

  @Test
  void oversizeJsonBody_refusedWith413AndRecorded() throws Exception {
    int size = BodyHandler.MAX_JSON_BODY + 10;
    f.send(
        "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
            + "Content-Length: "
            + size
            + "\r\n\r\n");
    byte[] chunk = new byte[64 * 1024];
    for (int sent = 0;
        sent < size && f.passed.isEmpty() && f.conn.state == ClientConnection.State.EXCHANGE;
        sent += chunk.length) {
      f.send(new String(chunk, StandardCharsets.ISO_8859_1));
    }
    assertThat(f.answer()).startsWith("HTTP/1.1 413");
    assertThat(f.passed).isEmpty();
    assertThat(f.decisions)
        .singleElement()
        .satisfies(
            d -> assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.TOO_LARGE));
  }

  @Test
  void nonEmptyBodyOfBodylessRoute_boundedSmall() throws Exception {
    f.send(
        "POST /containers/abc/start HTTP/1.1\r\nHost: d\r\nContent-Length: 5000\r\n\r\n"
            + "x".repeat(5000));
    assertThat(f.answer()).startsWith("HTTP/1.1 413");
  }

  @Test
  void streamedBody_exchangeGoesOnAtOnceAndContentFollows() throws Exception {
    f.send(
        "PUT /containers/abc/archive?path=%2Ftmp HTTP/1.1\r\nHost: d\r\n"
            + "Content-Length: 4\r\n\r\n");
    assertThat(f.awaitPassed()).isInstanceOf(Exchange.class);
    f.conn.read();
    f.send("abcd");
    assertThat(f.passed).hasSize(2).last().isInstanceOf(HttpContent.class);
    f.passed.forEach(ReferenceCountUtil::release);
  }
}
