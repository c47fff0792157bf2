package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A hijacked exchange: raw bytes both ways, HTTP handlers gone, half-closes in order. */
class TunnelHandlerTest {
  private PipelineFixture f;
  private EmbeddedChannel daemon;
  private Exchange ex;

  @BeforeEach
  void start() throws Exception {
    f = new PipelineFixture();
    f.start(BodyHandler::new, EnforcementHandler::new);
    daemon = new EmbeddedChannel();
    daemon
        .pipeline()
        .addLast(UpstreamPool.CODEC, new HttpClientCodec())
        .addLast(UpstreamPool.HANDLER, new UpstreamHandler());
    f.conn.upstream = daemon;
    ex =
        new Exchange(
            new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/exec/e0c/start"),
            f.enforcer.begin(f.conn.caller));
    f.conn.exchange = ex;
    f.conn.state = ClientConnection.State.EXCHANGE;
    ex.resultDue = true;
    TunnelHandler.start(
        f.conn,
        ex,
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));
  }

  @AfterEach
  void stop() throws IOException {
    daemon.finishAndReleaseAll();
    f.close();
  }

  private static String text(EmbeddedChannel ch) {
    StringBuilder out = new StringBuilder();
    for (Object o; (o = ch.readOutbound()) != null; ) {
      out.append(((ByteBuf) o).toString(StandardCharsets.ISO_8859_1));
      ((ByteBuf) o).release();
    }
    return out.toString();
  }

  @Test
  void upgrade_answered101ThenHttpHandlersGone() throws Exception {
    assertThat(f.answer()).startsWith("HTTP/1.1 101").containsIgnoringCase("upgrade: tcp");
    assertThat(f.channel.pipeline().get(ProxyChannelInitializer.CODEC)).isNull();
    assertThat(f.channel.pipeline().get(ProxyChannelInitializer.FRAMING)).isNull();
    assertThat(daemon.pipeline().get(UpstreamPool.CODEC)).isNull();
    assertThat(f.conn.state).isEqualTo(ClientConnection.State.TUNNEL);
    assertThat(ex.resultDue).isFalse(); // the result (101) is recorded when the tunnel opens
  }

  @Test
  void bytes_relayedBothWaysAsTheyAre() throws Exception {
    f.answer();
    f.channel.writeInbound(
        Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", StandardCharsets.US_ASCII));
    assertThat(text(daemon)).isEqualTo("GET / HTTP/1.1\r\n\r\n"); // stdin, never parsed
    daemon.writeInbound(Unpooled.copiedBuffer("output", StandardCharsets.US_ASCII));
    assertThat(text(f.channel)).isEqualTo("output");
  }

  @Test
  void stdinEnd_keepsTheOutputOpenUntilTheDaemonEnds() throws Exception {
    f.answer();
    f.channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    assertThat(f.channel.isOpen()).isTrue(); // the container's output still comes
    daemon.writeInbound(Unpooled.copiedBuffer("last words", StandardCharsets.US_ASCII));
    daemon.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    f.channel.runPendingTasks();
    assertThat(text(f.channel)).isEqualTo("last words"); // every byte before the close
    assertThat(f.channel.isOpen()).isFalse();
  }

  @Test
  void daemonGone_clientGetsEveryByteThenEof() throws Exception {
    f.answer();
    daemon.writeInbound(Unpooled.copiedBuffer("bye", StandardCharsets.US_ASCII));
    daemon.close();
    f.channel.runPendingTasks();
    assertThat(text(f.channel)).isEqualTo("bye");
    assertThat(f.channel.isOpen()).isFalse();
  }
}
