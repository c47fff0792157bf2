package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.enforce.Caller;
import dev.berth.policy.Decision;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The framing handler alone: the corpus protocol attacks (docs/corpus.md) as named inputs, each
 * answered in Docker's format with its true status, recorded as a refusal, never passed on.
 */
class FramingHandlerTest {
  private PipelineFixture f;

  @BeforeEach
  void start() throws IOException {
    f = new PipelineFixture();
    f.start();
  }

  @AfterEach
  void stop() throws IOException {
    f.close();
  }

  static Stream<Arguments> attacks() {
    String create = "POST /containers/create HTTP/1.1\r\nHost: d\r\n";
    return Stream.of(
        Arguments.of(
            "PROTO-02 Content-Length with chunked",
            create
                + "Content-Length: 4\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            400),
        Arguments.of(
            "PROTO-04 HTTP/1.0 with Transfer-Encoding",
            "POST /containers/create "
                + "HTTP/1.0\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
            400),
        Arguments.of(
            "PROTO-05 obfuscated Transfer-Encoding",
            create + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
            400),
        Arguments.of(
            "PROTO-05 repeated Transfer-Encoding",
            create + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400),
        Arguments.of(
            "PROTO-05 space before colon",
            create + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
            400),
        Arguments.of(
            "PROTO-06 bare line feeds",
            "POST /containers/create HTTP/1.1\nHost: d\n" + "Content-Length: 2\n\n{}",
            400),
        Arguments.of(
            "PROTO-08 two Content-Lengths",
            create + "Content-Length: 2\r\n" + "Content-Length: 3\r\n\r\n{}x",
            400),
        Arguments.of(
            "PROTO-08 signed Content-Length", create + "Content-Length: +2\r\n\r\n{}", 400),
        Arguments.of("Content-Length abc", create + "Content-Length: abc\r\n\r\n{}", 400),
        Arguments.of("Content-Length 95, 95", create + "Content-Length: 95, 95\r\n\r\n{}", 400),
        Arguments.of(
            "AUTHZ-04 repeated Content-Type",
            create
                + "Content-Type: application/json"
                + "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
            400),
        Arguments.of(
            "AUTHZ-04 repeated X-Registry-Auth",
            "GET /_ping HTTP/1.1\r\nHost: d\r\n"
                + "X-Registry-Auth: a\r\nX-Registry-Auth: b\r\n\r\n",
            400),
        Arguments.of(
            "PROTO-12 Upgrade h2c",
            "GET /_ping HTTP/1.1\r\nHost: d\r\n" + "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
            400),
        Arguments.of(
            "PROTO-16 absolute-form target",
            "POST http://docker/containers/create "
                + "HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n\r\n{}",
            400),
        Arguments.of(
            "dot-dot segment", "GET /containers/../_ping HTTP/1.1\r\nHost: d\r\n\r\n", 400),
        Arguments.of(
            "form-encoded body",
            "POST /images/create?fromImage=x HTTP/1.1\r\nHost: d"
                + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\n\r\n"
                + "fromSrc=http",
            400),
        Arguments.of(
            "Expect other than 100-continue",
            create
                + "Expect: foo\r\n"
                + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
            417));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("attacks")
  void protocolAttack_answeredInDockerFormatRecordedNeverPassedOn(
      String name, String raw, int status) throws Exception {
    f.send(raw);
    String answer = f.answer();
    assertThat(answer)
        .startsWith("HTTP/1.1 " + status)
        .containsIgnoringCase("content-type: application/json")
        .containsIgnoringCase("connection: close")
        .contains("{\"message\":\"berth: ");
    assertThat(f.passed).isEmpty();
    assertThat(f.decisions).singleElement().isInstanceOf(Decision.Deny.class);
  }

  @Test
  void wellFormedRequest_passedOnAsOneExchange() throws Exception {
    f.send("GET /v1.51/_ping HTTP/1.1\r\nHost: d\r\n\r\n");
    assertThat(f.awaitPassed())
        .isInstanceOfSatisfying(
            Exchange.class,
            ex -> {
              assertThat(ex.enforcement.request().path()).isEqualTo("/_ping");
              assertThat(ex.keepAlive).isTrue();
            });
    assertThat(f.decisions).isEmpty(); // framing does not decide what it passes on
  }

  @Test
  void expectContinue_answeredBeforeTheBodyIsRead() throws Exception {
    f.send(
        "POST /containers/abc/exec HTTP/1.1\r\nHost: d\r\nExpect: 100-continue\r\n"
            + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n");
    assertThat(f.answer()).startsWith("HTTP/1.1 100 Continue");
    assertThat(f.passed).singleElement().isInstanceOf(Exchange.class);
  }

  @Test
  void unidentifiedCaller_refusedWithTheReason() throws Exception {
    f.conn.caller = Caller.unidentified("", "berth: you could not be identified (no peer)");
    f.send("GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n");
    assertThat(f.answer()).startsWith("HTTP/1.1 403").contains("could not be identified");
    assertThat(f.passed).isEmpty();
  }

  @Test
  void headRefusalWithLargeBody_answeredThenBodyDrainedNotReset() throws Exception {
    // issue 12 item 5: the client still sending its body gets the answer, not a reset
    f.send(
        "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
            + "Content-Type: text/plain\r\nContent-Length: 100000\r\n\r\n");
    assertThat(f.answer()).startsWith("HTTP/1.1 400").contains("more than once");
    assertThat(f.channel.isOpen()).isTrue();
    assertThat(f.conn.state).isEqualTo(ClientConnection.State.DRAINING);
    f.send("x".repeat(60000));
    assertThat(f.channel.isOpen()).isTrue();
    f.send("x".repeat(40000));
    assertThat(f.channel.isOpen()).isFalse(); // closed once the whole body was read
  }

  @Test
  void malformedLength_answeredThenEverythingDroppedUntilTheClientStops() throws Exception {
    f.send("POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: abc\r\n\r\n{}");
    assertThat(f.answer()).startsWith("HTTP/1.1 400").contains("Content-Length");
    f.send("more bytes the client had in flight");
    assertThat(f.channel.isOpen()).isTrue();
    assertThat(f.passed).isEmpty();
  }
}
