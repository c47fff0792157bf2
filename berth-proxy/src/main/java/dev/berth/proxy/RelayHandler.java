package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import dev.berth.enforce.Refusals;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerfileVerdict;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.DockerJson;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler: sends an allowed exchange to the daemon; its answer comes back through {@link
 * AnswerRelay}.
 *
 * <p>The daemon receives only what {@link UpstreamRequests} builds from the canonical request; a
 * streamed body follows piece by piece (decompressed and rewritten by {@link ArchiveUpload} for
 * {@code docker cp}), the next piece read from the client only once the previous one is written
 * (backpressure).
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(RelayHandler.class);
  private static final AsciiString REGISTRY_CONFIG = AsciiString.cached("X-Registry-Config");
  private final ClientConnection conn;
  private final AnswerRelay answers;

  RelayHandler(ClientConnection conn) {
    this.conn = conn;
    this.answers = new AnswerRelay(conn);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Exchange ex = conn.exchange;
    if (msg instanceof Exchange allowed) {
      forward(allowed);
    } else if (msg instanceof HttpContent content && ex != null && conn.upstream != null) {
      relayBody(ex, content);
    } else {
      ReferenceCountUtil.release(msg);
      conn.closeBoth();
    }
  }

  private void forward(Exchange ex) {
    Decision.Allow allow = requireNonNull(ex.allow);
    Optional<Decision> sessionRefused = BuildKitHandOff.claimSession(conn, ex);
    if (sessionRefused.isPresent()) {
      conn.refuse(ex, sessionRefused.get());
      return;
    }
    boolean streamed = allow.forward().body() instanceof CanonicalRequest.Body.Stream;
    byte[] json =
        allow.forward().body() instanceof CanonicalRequest.Body.Json j
            ? DockerJson.write(j.value())
            : null;
    Channel idle = conn.upstreams.pollIdle(conn.channel.eventLoop());
    if (idle != null) {
      send(ex, idle, json, streamed);
      return;
    }
    conn.upstreams
        .connect(conn.channel.eventLoop())
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (conn.exchange != ex || conn.state == ClientConnection.State.CLOSED) {
                    f.channel().close();
                  } else if (!f.isSuccess()) {
                    LOG.atError()
                        .addKeyValue("upstream", conn.upstreams.describe())
                        .addKeyValue("cause", String.valueOf(f.cause()))
                        .log("daemon unreachable");
                    conn.refuse(
                        ex,
                        Refusals.upstream(
                            "the Docker daemon is not reachable at " + conn.upstreams.describe()));
                  } else {
                    send(ex, f.channel(), json, streamed);
                  }
                });
  }

  private void send(Exchange ex, Channel ch, byte @Nullable [] json, boolean streamed) {
    ex.resultDue = true;
    ex.enforcement.forwarded();
    ex.responseOpen = true;
    conn.upstream = ch;
    ((UpstreamHandler) ch.pipeline().get(UpstreamPool.HANDLER)).attach(answers);
    boolean hijacks = ex.enforcement.route().map(r -> r.route().hijacks()).orElse(false);
    if (!streamed) {
      ex.requestComplete = true;
    }
    HttpRequest out =
        UpstreamRequests.build(
            ex.request, requireNonNull(ex.allow).forward(), json, streamed, hijacks);
    if (BuildKitHandOff.applies(ex)) {
      BuildKitHandOff.upgradeHeaders(conn, ex, out);
    }
    ch.writeAndFlush(out)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    answers.upstreamFailed(ex, "lost the connection to the Docker daemon");
                    return;
                  }
                  ch.read();
                  if (streamed) {
                    conn.read();
                  }
                });
  }

  /** A piece of a streamed request body; trailers are never forwarded (nothing judged them). */
  private void relayBody(Exchange ex, HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    ByteBuf data = content.content();
    if (ex.archive != null) {
      try {
        ex.archive.add(data.retain(), last);
      } catch (RequestException e) {
        refuseArchive(ex, e);
        return;
      } finally {
        content.release();
      }
      relayArchive(ex, last);
      return;
    }
    HttpContent copy = last ? new DefaultLastHttpContent(data) : new DefaultHttpContent(data);
    requireNonNull(conn.upstream)
        .writeAndFlush(copy)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    conn.closeBoth();
                  } else if (last) {
                    ex.requestComplete = true;
                  } else {
                    conn.read();
                  }
                });
  }

  /**
   * Forwards the archive's next rewritten piece and, once it is written, the one after; reads the
   * client again when the archive needs more input (one piece in flight: bounded memory).
   */
  private void relayArchive(Exchange ex, boolean last) {
    ByteBuf piece;
    try {
      piece = requireNonNull(ex.archive).next();
    } catch (RequestException e) {
      refuseArchive(ex, e);
      return;
    }
    if (piece == null && !last) {
      conn.read();
      return;
    }
    if (piece == null && buildContext(ex).isPresent()) {
      judgeContext(ex, buildContext(ex).get());
      return;
    }
    HttpContent out =
        piece == null ? LastHttpContent.EMPTY_LAST_CONTENT : new DefaultHttpContent(piece);
    requireNonNull(conn.upstream)
        .writeAndFlush(out)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    conn.closeBoth();
                  } else if (piece == null) {
                    ex.requestComplete = true;
                  } else if (conn.exchange == ex && conn.state != ClientConnection.State.CLOSED) {
                    relayArchive(ex, last);
                  }
                });
  }

  private static Optional<CanonicalRequest.Body.BuildContext> buildContext(Exchange ex) {
    return ex.allow != null && ex.allow.forward().body() instanceof CanonicalRequest.Body.Stream st
        ? st.buildContext()
        : Optional.empty();
  }

  /**
   * A classic build's context ended (its end-of-archive marker held, nothing more read from the
   * client): its Dockerfile is judged off the event loop, as decisions that ask the daemon are, and
   * recorded; only then does the daemon get berth's Dockerfile and the archive's end. A refusal
   * ends the request: the daemon never gets the end, so it builds nothing.
   */
  private void judgeContext(Exchange ex, CanonicalRequest.Body.BuildContext context) {
    if (ex.contextJudging) {
      return;
    }
    ex.contextJudging = true;
    ArchiveUpload archive = requireNonNull(ex.archive);
    byte[] dockerfile;
    try {
      dockerfile = archive.tar().contextDockerfile();
    } catch (RequestException e) {
      refuseArchive(ex, e);
      return;
    }
    String registryConfig = ex.request.headers().get(REGISTRY_CONFIG, "");
    conn.lookups.execute(
        () -> {
          CompletableFuture<DockerfileVerdict> judged;
          try {
            judged =
                ex.enforcement.judgeDockerfile(
                    dockerfile, context.buildArgs(), context.pull(), registryConfig);
          } catch (RuntimeException e) {
            judged = CompletableFuture.failedFuture(e);
          }
          judged.whenComplete(
              (verdict, error) ->
                  conn.channel
                      .eventLoop()
                      .execute(() -> afterJudgement(ex, context, verdict, error)));
        });
  }

  private void afterJudgement(
      Exchange ex,
      CanonicalRequest.Body.BuildContext context,
      @Nullable DockerfileVerdict verdict,
      @Nullable Throwable error) {
    if (conn.exchange != ex || conn.state == ClientConnection.State.CLOSED) {
      return;
    }
    if (error != null || verdict == null) {
      ex.keepAlive = false;
      LOG.atError()
          .addKeyValue("cause", String.valueOf(error))
          .log("Dockerfile judgement not recorded; build refused");
      conn.refuse(ex, Refusals.auditUnavailable());
      return;
    }
    if (verdict instanceof DockerfileVerdict.Refused r) {
      ex.keepAlive = false; // the daemon read a truncated context; the connection to it is cut
      conn.answer(ex, DockerErrors.of(r.refusal(), true)); // recorded when judged
      return;
    }
    if (verdict instanceof DockerfileVerdict.PullFailed failed) {
      ex.keepAlive = false;
      conn.answer(ex, DockerErrors.inStream(failed.message())); // recorded when it failed
      return;
    }
    byte[] tail;
    try {
      tail =
          requireNonNull(ex.archive)
              .tar()
              .contextTail(context.entry(), ((DockerfileVerdict.Forward) verdict).dockerfile());
    } catch (RequestException e) {
      refuseArchive(ex, e);
      return;
    }
    Channel up = requireNonNull(conn.upstream);
    up.write(new DefaultHttpContent(Unpooled.wrappedBuffer(tail)));
    up.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    conn.closeBoth();
                  } else {
                    ex.requestComplete = true;
                  }
                });
  }

  private void refuseArchive(Exchange ex, RequestException e) {
    ex.keepAlive = false;
    // The daemon gets no more of the body, never its end: it reads a truncated archive.
    conn.refuse(ex, new Decision.Deny("request_body", e.status(), "berth: " + e.getMessage()));
  }

  /** The client's buffer drained: the daemon's answer may be read again (backpressure). */
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    answers.clientWritable();
    ctx.fireChannelWritabilityChanged();
  }
}
