package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.Decision;
import dev.berth.policy.Owner;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The daemon's answer, relayed: part by part, held for claims, and when the daemon goes away the
 * client's side ends as the daemon's own would have (issue 18 item 1).
 */
class AnswerRelayTest {
  private static final String EXEC_ID = "e" + "2".repeat(63);
  private PipelineFixture f;
  private EmbeddedChannel daemon;

  @BeforeEach
  void start() throws IOException {
    f = new PipelineFixture();
    f.start();
    daemon = new EmbeddedChannel();
    daemon
        .pipeline()
        .addLast(UpstreamPool.CODEC, new HttpClientCodec())
        .addLast(UpstreamPool.HANDLER, new UpstreamHandler());
  }

  @AfterEach
  void stop() throws IOException {
    daemon.finishAndReleaseAll();
    f.close();
  }

  /** An exchange forwarded to the fake daemon connection, whose answer is now due. */
  private Exchange forwarded(String method, String uri, Decision.FollowUp followUp)
      throws Exception {
    HttpRequest req =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), uri);
    Exchange ex = new Exchange(req, f.enforcer.begin(f.conn.caller));
    ex.enforcement.parse(method, uri);
    ex.allow = new Decision.Allow("test", ex.enforcement.request(), List.of(), followUp);
    ex.requestEnded = true;
    ex.requestComplete = true;
    ex.responseOpen = true;
    ex.resultDue = true;
    ex.enforcement.forwarded();
    f.conn.exchange = ex;
    f.conn.state = ClientConnection.State.EXCHANGE;
    f.conn.upstream = daemon;
    ((UpstreamHandler) daemon.pipeline().get(UpstreamPool.HANDLER)).attach(new AnswerRelay(f.conn));
    daemon.writeOutbound(req); // the codec pairs the answer with its request
    for (Object o; (o = daemon.readOutbound()) != null; ) {
      ReferenceCountUtil.release(o);
    }
    return ex;
  }

  private void daemonSends(String raw) {
    daemon.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    daemon.pipeline().fireChannelReadComplete();
  }

  private void daemonEndsInput() {
    daemon.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    daemon.runPendingTasks();
    f.channel.runPendingTasks();
  }

  @Test
  void lengthDelimitedAnswer_relayedAndTheConnectionGoesOn() throws Exception {
    forwarded("GET", "/v1.51/_ping", Decision.FollowUp.NONE);
    daemonSends("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
    assertThat(f.answer()).startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\nOK");
    assertThat(f.channel.isOpen()).isTrue();
    assertThat(f.conn.state).isEqualTo(ClientConnection.State.READY);
  }

  @Test
  void cutStream_clientGetsTheLastPartThenEndOfFileNeverACleanEnd() throws Exception {
    forwarded("GET", "/v1.51/events", Decision.FollowUp.NONE);
    daemonSends("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    assertThat(f.answer()).contains("hello");
    daemonEndsInput();
    StringBuilder rest = new StringBuilder();
    for (Object o; (o = f.channel.readOutbound()) != null; ) {
      rest.append(((ByteBuf) o).toString(StandardCharsets.ISO_8859_1));
      ReferenceCountUtil.release(o);
    }
    assertThat(rest.toString()).doesNotContain("0\r\n\r\n");
    assertThat(f.channel.isOpen()).isFalse();
  }

  @Test
  void daemonGoneBeforeAnswering_badGatewayInDockerFormat() throws Exception {
    forwarded("POST", "/v1.51/containers/abc/wait", Decision.FollowUp.NONE);
    daemonEndsInput();
    assertThat(f.answer())
        .startsWith("HTTP/1.1 502")
        .contains(
            "{\"message\":\"berth: the Docker daemon closed the connection without "
                + "answering\"}");
    assertThat(f.decisions)
        .last()
        .isInstanceOfSatisfying(
            Decision.Deny.class,
            d -> assertThat(d.status()).isEqualTo(Decision.Status.BAD_GATEWAY));
  }

  @Test
  void readToCloseAnswer_endsWithTheDaemonsClose() throws Exception {
    forwarded("GET", "/v1.51/containers/abc/logs?follow=1&stdout=1", Decision.FollowUp.NONE);
    daemonSends(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n"
            + "log line\n");
    assertThat(f.answer()).contains("log line");
    daemonEndsInput();
    assertThat(f.channel.isOpen()).isFalse();
  }

  @Test
  void execCreate_answerHeldUntilTheExecIsTheCallers() throws Exception {
    Owner alice = new Owner(1000, -1);
    forwarded("POST", "/v1.51/containers/abc/exec", new Decision.FollowUp.ClaimExec(alice));
    daemonSends(
        "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n" + "8\r\n{\"Id\":\"e\r\n");
    f.channel.runPendingTasks();
    assertThat((Object) f.channel.readOutbound()).as("nothing before the claim").isNull();
    String rest = "2".repeat(63) + "\"}";
    daemonSends(Integer.toHexString(rest.length()) + "\r\n" + rest + "\r\n0\r\n\r\n");
    assertThat(f.answer()).startsWith("HTTP/1.1 201").contains(EXEC_ID);
    assertThat(f.owners.execOwner(EXEC_ID)).hasValue(alice);
  }
}
