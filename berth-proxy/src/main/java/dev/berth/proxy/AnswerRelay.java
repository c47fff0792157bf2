package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.enforce.Enforcement;
import dev.berth.enforce.Refusals;
import dev.berth.policy.Decision;
import dev.berth.policy.ImageArchiveNames;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.TarSanitizer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
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
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's answer to a forwarded exchange, relayed to the client (the daemon connection's
 * {@link UpstreamListener} while the exchange owns it).
 *
 * <p>The answer is relayed part by part, flushed once per read cycle of the daemon connection,
 * which is read again only while the client keeps up. An answer that needs a claim or a rewrite is
 * held ({@link HeldAnswer}); an image tag is claimed before the end of its answer goes out; a
 * hijack hands both connections to {@link TunnelHandler}s. The daemon ending or failing ends the
 * client's side the way the daemon would have: a Docker-format 502 when nothing was relayed yet,
 * else end of file right after the last byte relayed (never a clean end of a cut chunked stream).
 */
final class AnswerRelay implements UpstreamListener {
  private static final Logger LOG = LoggerFactory.getLogger(AnswerRelay.class);
  private final ClientConnection conn;

  AnswerRelay(ClientConnection conn) {
    this.conn = conn;
  }

  @Override
  public void onUpstreamRead(Object read) {
    Exchange ex = conn.exchange;
    if (ex == null
        || conn.state == ClientConnection.State.CLOSED
        || !(read instanceof HttpObject)) {
      ReferenceCountUtil.release(read);
      conn.closeBoth();
      return;
    }
    if (read instanceof HttpResponse resp) {
      if (resp.decoderResult().isFailure()) {
        ReferenceCountUtil.release(read);
        upstreamFailed(ex, "the Docker daemon's answer could not be read");
        return;
      }
      if (answerHead(ex, resp)) {
        return;
      }
    }
    Object lines =
        ex.events != null
                && read instanceof HttpContent c
                && !(read instanceof LastHttpContent end && end.decoderResult().isFailure())
            ? ex.events.map(c)
            : read;
    Object msg = archivePart(ex, lines);
    if (msg == null) {
      return;
    }
    if (ex.builtImage != null && msg instanceof HttpContent c) {
      ex.builtImage.accept(c.content());
    }
    if (ex.createdBody != null
        && msg instanceof HttpContent c
        && ex.createdBody.size() < Exchange.MAX_CREATED_BODY) {
      ByteBuf data = c.content();
      int n = Math.min(data.readableBytes(), Exchange.MAX_CREATED_BODY - ex.createdBody.size());
      byte[] part = new byte[n];
      data.getBytes(data.readerIndex(), part);
      ex.createdBody.writeBytes(part);
    }
    if (msg instanceof LastHttpContent end && end.decoderResult().isFailure()) {
      // The daemon closed in the middle of the answer (a stream cut by a restart or a crash):
      // the client's side ends after the last byte relayed, never with a clean end of stream.
      end.release();
      conn.recordResult(ex);
      conn.closeAfterFlush();
    } else if (ex.held != null) {
      hold(ex, msg);
    } else if (msg instanceof LastHttpContent) {
      ex.responseOpen = false;
      ex.flushPending = false;
      String created = ex.createdId();
      conn.recordResult(ex);
      afterClaims(
          ex,
          created,
          () ->
              conn.channel
                  .writeAndFlush(msg)
                  .addListener((ChannelFutureListener) f -> complete(ex, f.isSuccess())));
    } else {
      // Flushed once per upstream read cycle (onUpstreamReadComplete): a small response goes out
      // in one write instead of one per part.
      conn.channel
          .write(msg)
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (!f.isSuccess()) {
                      conn.closeBoth();
                    }
                  });
      ex.flushPending = true;
    }
  }

  /**
   * {@code read} as relayed when the answer is a {@code docker save} archive ({@link
   * SavedArchive}), else as it is; null when the archive cannot be read, and the answer ended here.
   */
  private @Nullable Object archivePart(Exchange ex, Object read) {
    SavedArchive archive = ex.savedArchive;
    if (archive == null
        || !(read instanceof HttpContent c)
        || (read instanceof LastHttpContent end && end.decoderResult().isFailure())) {
      return read;
    }
    try {
      return archive.map(c);
    } catch (RequestException e) {
      // an archive berth cannot read: the caller's save fails on a truncated archive
      LOG.atWarn().addKeyValue("cause", e.getMessage()).log("saved image archive not relayed");
      ex.savedArchive = null;
      conn.recordResult(ex);
      conn.closeAfterFlush();
      return null;
    }
  }

  /** The status line and headers; true when the exchange became a tunnel. */
  private boolean answerHead(Exchange ex, HttpResponse resp) {
    ex.responseStarted = true;
    ex.status = resp.status().code();
    if (ex.enforcement.creates() && ex.status / 100 == 2) {
      ex.createdBody = new ByteArrayOutputStream();
    }
    if (ex.followUp() instanceof Decision.FollowUp.ClaimBuild && ex.status / 100 == 2) {
      ex.builtImage = new BuiltImageWatcher();
    }
    if (ex.followUp() instanceof Decision.FollowUp.MapEvents m && ex.status / 100 == 2) {
      ex.events = new EventLines(m.event());
    } else if (ex.answerNames().progress() != null && ex.status / 100 == 2) {
      ex.events = new EventLines(EventLines.texts(requireNonNull(ex.answerNames().progress())));
    }
    if (ex.followUp() instanceof Decision.FollowUp.ClaimLoaded && ex.status / 100 == 2) {
      // Each line of the load's (or import's) answer: what it made is noted, then renamed.
      UnaryOperator<String> progress = ex.answerNames().progress();
      UnaryOperator<JsonNode> texts = progress == null ? null : EventLines.texts(progress);
      ex.events =
          new EventLines(
              line -> {
                ImageArchiveNames.madeImage(line).ifPresent(ex.madeImages::add);
                return texts == null ? line : texts.apply(line);
              });
    }
    if (ex.followUp() instanceof Decision.FollowUp.ShowArchiveNames names
        && ex.status / 100 == 2
        && !ex.isHead()) {
      ex.savedArchive =
          new SavedArchive(TarSanitizer.tagsOnly(names.names()), conn.channel.alloc());
      if (HttpUtil.isContentLengthSet(resp)) {
        // berth's entries change the archive's length
        resp.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
        HttpUtil.setTransferEncodingChunked(resp, true);
      }
    }
    if (HeldAnswer.holds(resp, ex.followUp(), ex.answerNames())) {
      ex.held = HeldAnswer.of(resp, conn.channel.alloc());
    }
    if (ex.enforcement.route().map(r -> r.route().hijacks()).orElse(false)
        && TunnelHandler.isHijack(resp)) {
      TunnelHandler.start(conn, ex, resp);
      return true;
    }
    boolean framed =
        HttpUtil.isContentLengthSet(resp)
            || HttpUtil.isTransferEncodingChunked(resp)
            || ex.isHead()
            || ex.status == 204
            || ex.status == 304;
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
    if (msg instanceof HttpContent c && !requireNonNull(ex.held).add(c)) {
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
      out = requireNonNull(held).complete(ex.followUp(), ex.answerNames(), ex.enforcement);
    } catch (RequestException e) {
      LOG.atWarn().addKeyValue("cause", e.getMessage()).log("daemon answer not understood");
      conn.refuse(
          ex,
          Refusals.upstream("the daemon's answer could not be checked (" + e.getMessage() + ")"));
      return;
    }
    conn.channel
        .writeAndFlush(out)
        .addListener((ChannelFutureListener) f -> complete(ex, f.isSuccess()));
  }

  /**
   * Runs {@code next} (the end of a successful answer) after the image it named is claimed for the
   * caller, so that the caller's next command already finds the tag theirs; and the end of a push's
   * answer, successful or not, after its temporary tag is released.
   */
  private void afterClaims(Exchange ex, String createdId, Runnable next) {
    Decision.FollowUp followUp = ex.followUp();
    boolean release = ex.enforcement.releaseDue(); // a push's tag: released whatever the status
    if (!Enforcement.claimLooksUp(followUp) || (ex.status / 100 != 2 && !release)) {
      next.run();
      return;
    }
    conn.lookups.execute(
        () -> {
          try {
            if (followUp instanceof Decision.FollowUp.ClaimLoaded c) {
              ex.enforcement.claimMade(c, ex.status, ex.madeImages);
            } else {
              ex.enforcement.claim(followUp, ex.status, createdId);
            }
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
   * The end of one read from the daemon: flush what was relayed, and read on while the client keeps
   * up. When the client's buffer is full, reading resumes in {@link #channelWritabilityChanged}
   * (backpressure for logs -f, events, exports).
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

  /**
   * The daemon half-closed its side. The codec has already turned what it buffered into the end of
   * the answer (or a premature end, see {@link #onUpstreamRead}); if the answer is still open, the
   * daemon went away: a 502 when nothing was relayed yet, else end of file for the client.
   */
  @Override
  public void onUpstreamInputShutdown() {
    Exchange ex = conn.exchange;
    if (ex == null || conn.state != ClientConnection.State.EXCHANGE) {
      return;
    }
    ex.upstreamInputClosed = true;
    if (!ex.responseStarted) {
      upstreamFailed(ex, "the Docker daemon closed the connection without answering");
    } else if (ex.responseOpen) {
      conn.recordResult(ex);
      conn.closeAfterFlush();
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

  /** The client's buffer drained: read the daemon again if it waited for that. */
  void clientWritable() {
    Exchange ex = conn.exchange;
    if (ex != null
        && conn.channel.isWritable()
        && ex.readUpstreamWhenWritable
        && conn.upstream != null) {
      ex.readUpstreamWhenWritable = false;
      conn.upstream.read();
    }
  }

  /** The daemon failed before answering (502), or mid-answer (the client's side ends). */
  void upstreamFailed(Exchange ex, String message) {
    if (ex.responseStarted) {
      conn.closeBoth();
      return;
    }
    ex.keepAlive = false;
    conn.recordResult(ex); // forwarded, never answered: status 0
    conn.refuse(ex, Refusals.upstream(message));
  }
}
