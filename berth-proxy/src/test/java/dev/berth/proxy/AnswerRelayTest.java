package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.Decision;
import dev.berth.policy.Owner;
import dev.berth.policy.SavedImageNames;
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

  /** A tar of one regular file, as Go's archive/tar writes it. */
  private static String tarOf(String name, String content) {
    byte[] h = new byte[512];
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(n, 0, h, 0, n.length);
    String[][] fields = {
      {"100", String.format("%07o", 0644)},
      {"108", "0000000"},
      {"116", "0000000"},
      {"124", String.format("%011o", content.length())},
      {"136", String.format("%011o", 0)},
      {"257", "ustar"},
      {"263", "00"}
    };
    for (String[] f : fields) {
      byte[] b = f[1].getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(b, 0, h, Integer.parseInt(f[0]), b.length);
    }
    h[156] = '0';
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xff;
    }
    byte[] c = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(c, 0, h, 148, 6);
    h[155] = ' ';
    return new String(h, StandardCharsets.ISO_8859_1)
        + content
        + "\0".repeat((512 - content.length() % 512) % 512)
        + "\0".repeat(1024);
  }

  private static String chunk(String data) {
    return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
  }

  @Test
  void save_ownTag_archiveNamesTheTagAsGivenAsItStreams() throws Exception {
    forwarded(
        "GET",
        "/v1.51/images/x/get",
        new Decision.FollowUp.ShowArchiveNames(new SavedImageNames(1000)));
    String tar =
        tarOf(
            "manifest.json",
            "[{\"Config\":\"c\",\"RepoTags\":[\"berth.invalid/u1000/docker.io/library/app:1\"]}]\n");
    daemonSends(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk(tar.substring(0, 700)));
    StringBuilder out = new StringBuilder(f.answer());
    daemonSends(chunk(tar.substring(700)) + "0\r\n\r\n");
    out.append(f.answer());
    assertThat(out.toString())
        .startsWith("HTTP/1.1 200")
        .contains("\"RepoTags\":[\"app:1\"]")
        .doesNotContain("berth.invalid")
        .endsWith("0\r\n\r\n");
  }

  @Test
  void save_archiveBerthCannotRead_endsWithoutACleanEnd() throws Exception {
    forwarded(
        "GET",
        "/v1.51/images/x/get",
        new Decision.FollowUp.ShowArchiveNames(new SavedImageNames(1000)));
    daemonSends("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("x".repeat(600)));
    StringBuilder out = new StringBuilder();
    f.channel.runPendingTasks();
    for (Object o; (o = f.channel.readOutbound()) != null; ) {
      out.append(((ByteBuf) o).toString(StandardCharsets.ISO_8859_1));
      ReferenceCountUtil.release(o);
    }
    assertThat(out.toString()).doesNotContain("0\r\n\r\n").doesNotContain("xxx");
    assertThat(f.channel.isOpen()).isFalse();
  }
}
