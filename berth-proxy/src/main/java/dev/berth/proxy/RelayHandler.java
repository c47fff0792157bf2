package dev.berth.proxy;

import dev.berth.enforce.Enforcement;
import dev.berth.enforce.Refusals;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
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
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler: sends an allowed exchange to the daemon and relays the answer.
 *
 * <p>The daemon receives only what {@link UpstreamRequests} builds from the canonical request;
 * a streamed body follows piece by piece (through the tar sanitizer for {@code docker cp}), the
 * next piece read from the client only once the previous one is written (backpressure). The
 * answer is relayed part by part, flushed once per read cycle of the daemon connection, which is
 * read again only while the client keeps up. An answer that needs a claim or a rewrite is held
 * ({@link HeldAnswer}); an image tag is claimed before the end of its answer goes out; a hijack
 * hands both connections to {@link TunnelHandler}s.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter implements UpstreamListener {
  private static final Logger LOG = LoggerFactory.getLogger(RelayHandler.class);
  private final ClientConnection conn;
  private ChannelHandlerContext ctx;

  RelayHandler(ClientConnection conn) {
    this.conn = conn;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
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
    boolean streamed = ex.allow.forward().body() instanceof CanonicalRequest.Body.Stream;
    byte[] json = ex.allow.forward().body() instanceof CanonicalRequest.Body.Json j
        ? DockerJson.write(j.value()) : null;
    Channel idle = conn.upstreams.pollIdle(conn.channel.eventLoop());
    if (idle != null) {
      send(ex, idle, json, streamed);
      return;
    }
    conn.upstreams.connect(conn.channel.eventLoop()).addListener((ChannelFutureListener) f -> {
      if (conn.exchange != ex || conn.state == ClientConnection.State.CLOSED) {
        f.channel().close();
      } else if (!f.isSuccess()) {
        LOG.atError().addKeyValue("upstream", conn.upstreams.describe())
            .addKeyValue("cause", String.valueOf(f.cause())).log("daemon unreachable");
        conn.refuse(ex, Refusals.upstream("the Docker daemon is not reachable at "
            + conn.upstreams.describe()));
      } else {
        send(ex, f.channel(), json, streamed);
      }
    });
  }

  private void send(Exchange ex, Channel ch, byte[] json, boolean streamed) {
    ex.resultDue = true;
    ex.enforcement.forwarded();
    ex.responseOpen = true;
    conn.upstream = ch;
    ((UpstreamHandler) ch.pipeline().get(UpstreamPool.HANDLER)).attach(this);
    boolean hijacks = ex.enforcement.route().map(r -> r.route().hijacks()).orElse(false);
    if (!streamed) {
      ex.requestComplete = true;
    }
    ch.writeAndFlush(UpstreamRequests.build(ex.request, ex.allow.forward(), json, streamed,
        hijacks)).addListener((ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            upstreamFailed(ex, "lost the connection to the Docker daemon");
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
    if (ex.tarSanitizer != null) {
      try {
        byte[] in = new byte[data.readableBytes()];
        data.readBytes(in);
        content.release();
        data = Unpooled.wrappedBuffer(ex.tarSanitizer.next(in));
        if (last) {
          ex.tarSanitizer.finish();
        }
      } catch (RequestException e) {
        ex.keepAlive = false;
        conn.refuse(ex, Refusals.body(e.getMessage()));
        return;
      }
    }
    HttpContent copy = last ? new DefaultLastHttpContent(data) : new DefaultHttpContent(data);
    conn.upstream.writeAndFlush(copy).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        conn.closeBoth();
      } else if (last) {
        ex.requestComplete = true;
      } else {
        conn.read();
      }
    });
  }

  // ---- the daemon's answer -----------------------------------------------------------------

  @Override
  public void onUpstreamRead(Object msg) {
    Exchange ex = conn.exchange;
    if (ex == null || conn.state == ClientConnection.State.CLOSED
        || !(msg instanceof HttpObject)) {
      ReferenceCountUtil.release(msg);
      conn.closeBoth();
      return;
    }
    if (msg instanceof HttpResponse resp) {
      if (resp.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        upstreamFailed(ex, "the Docker daemon's answer could not be read");
        return;
      }
      if (answerHead(ex, resp)) {
        return;
      }
    }
    if (ex.createdBody != null && msg instanceof HttpContent c
        && ex.createdBody.size() < Exchange.MAX_CREATED_BODY) {
      ByteBuf data = c.content();
      int n = Math.min(data.readableBytes(), Exchange.MAX_CREATED_BODY - ex.createdBody.size());
      byte[] part = new byte[n];
      data.getBytes(data.readerIndex(), part);
      ex.createdBody.writeBytes(part);
    }
    if (ex.held != null) {
      hold(ex, msg);
    } else if (msg instanceof LastHttpContent) {
      ex.responseOpen = false;
      ex.flushPending = false;
      String created = ex.createdId();
      conn.recordResult(ex);
      afterClaims(ex, created, () -> conn.channel.writeAndFlush(msg)
          .addListener((ChannelFutureListener) f -> complete(ex, f.isSuccess())));
    } else {
      // Flushed once per upstream read cycle (onUpstreamReadComplete): a small response goes out
      // in one write instead of one per part.
      conn.channel.write(msg).addListener((ChannelFutureListener) f -> {
        if (!f.isSuccess()) {
          conn.closeBoth();
        }
      });
      ex.flushPending = true;
    }
  }

  /** The status line and headers; true when the exchange became a tunnel. */
  private boolean answerHead(Exchange ex, HttpResponse resp) {
    ex.responseStarted = true;
    ex.status = resp.status().code();
    if (ex.enforcement.creates() && ex.status / 100 == 2) {
      ex.createdBody = new ByteArrayOutputStream();
    }
    if (HeldAnswer.holds(resp, ex.followUp())) {
      ex.held = HeldAnswer.of(resp, conn.channel.alloc());
    }
    if (ex.enforcement.route().map(r -> r.route().hijacks()).orElse(false)
        && TunnelHandler.isHijack(resp)) {
      TunnelHandler.start(conn, ex, resp);
      return true;
    }
    boolean framed = HttpUtil.isContentLengthSet(resp) || HttpUtil.isTransferEncodingChunked(resp)
        || ex.isHead() || ex.status == 204 || ex.status == 304;
    ex.keepAlive = ex.keepAlive && !conn.inputClosed && HttpUtil.isKeepAlive(resp) && framed;
    if (!HttpUtil.isContentLengthSet(resp) && !ex.isHead()) {
      conn.countStream(ex); // logs -f, events, stats, pulls: open until the daemon ends them
    }
    UpstreamRequests.stripHopByHop(resp.headers());
    if (!ex.keepAlive) {
      resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return false;
  }

  private void hold(Exchange ex, Object msg) {
    if (msg instanceof HttpContent c && !ex.held.add(c)) {
      ex.held = null;
      conn.closeBoth();
      return;
    }
    if (!(msg instanceof LastHttpContent)) {
      return; // onUpstreamReadComplete reads on while responseOpen
    }
    ex.responseOpen = false;
    HeldAnswer held = ex.held;
    ex.held = null;
    conn.recordResult(ex);
    FullHttpResponse out;
    try {
      out = held.complete(ex.followUp(), ex.enforcement);
    } catch (RequestException e) {
      LOG.atWarn().addKeyValue("cause", e.getMessage()).log("daemon answer not understood");
      conn.refuse(ex, Refusals.upstream("the daemon's answer could not be checked ("
          + e.getMessage() + ")"));
      return;
    }
    conn.channel.writeAndFlush(out).addListener((ChannelFutureListener) f ->
        complete(ex, f.isSuccess()));
  }

  /**
   * Runs {@code next} (the end of a successful answer) after the image it named is claimed for
   * the caller, so that the caller's next command already finds the tag theirs.
   */
  private void afterClaims(Exchange ex, String createdId, Runnable next) {
    Decision.FollowUp followUp = ex.followUp();
    if (!Enforcement.claimLooksUp(followUp) || ex.status / 100 != 2) {
      next.run();
      return;
    }
    conn.lookups.execute(() -> {
      try {
        ex.enforcement.claim(followUp, ex.status, createdId);
      } catch (Enforcement.ClaimException e) {
        LOG.atWarn().addKeyValue("cause", e.getMessage()).log("created object not claimed");
      }
      conn.channel.eventLoop().execute(next);
    });
  }

  private void complete(Exchange ex, boolean written) {
    if (!written) {
      conn.closeBoth();
      return;
    }
    if (!ex.requestComplete) {
      // The daemon answered before the request body ended: the upstream connection holds a
      // partial request and must not be reused, and the client may still be sending.
      ex.keepAlive = false;
    }
    conn.finish(ex, ex.keepAlive && ex.requestComplete && !ex.upstreamInputClosed);
  }

  /**
   * The end of one read from the daemon: flush what was relayed, and read on while the client
   * keeps up. When the client's buffer is full, reading resumes in
   * {@link #channelWritabilityChanged} (backpressure for logs -f, events, exports).
   */
  @Override
  public void onUpstreamReadComplete() {
    Exchange ex = conn.exchange;
    if (ex == null || conn.state != ClientConnection.State.EXCHANGE || conn.upstream == null) {
      return;
    }
    if (ex.flushPending) {
      ex.flushPending = false;
      conn.channel.flush();
    }
    if (ex.responseOpen) {
      if (conn.channel.isWritable()) {
        conn.upstream.read();
      } else {
        ex.readUpstreamWhenWritable = true;
      }
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Exchange ex = conn.exchange;
    if (ex != null && ctx.channel().isWritable() && ex.readUpstreamWhenWritable
        && conn.upstream != null) {
      ex.readUpstreamWhenWritable = false;
      conn.upstream.read();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void onUpstreamInputShutdown() {
    Exchange ex = conn.exchange;
    if (ex != null) {
      ex.upstreamInputClosed = true;
    }
  }

  @Override
  public void onUpstreamClosed() {
    Exchange ex = conn.exchange;
    if (conn.state == ClientConnection.State.CLOSED || ex == null) {
      return;
    }
    conn.upstream = null;
    if (!ex.responseStarted) {
      upstreamFailed(ex, "the Docker daemon closed the connection without answering");
      return;
    }
    // The daemon ended the answer by closing (read-to-close) or died mid-answer: the client's
    // side ends the same way, after the last byte relayed.
    conn.closeAfterFlush();
  }

  /** The daemon failed before answering (502), or mid-answer (the client's side ends). */
  private void upstreamFailed(Exchange ex, String message) {
    if (ex.responseStarted) {
      conn.closeBoth();
      return;
    }
    ex.keepAlive = false;
    conn.recordResult(ex); // forwarded, never answered: status 0
    conn.refuse(ex, Refusals.upstream(message));
  }
}
