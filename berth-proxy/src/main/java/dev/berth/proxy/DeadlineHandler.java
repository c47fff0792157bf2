package dev.berth.proxy;

import dev.berth.enforce.Refusals;
import dev.berth.policy.docker.BodyKind;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Time limits of a client connection (slow-loris and idle clients), in front of the HTTP codec so
 * that it sees every byte:
 *
 * <ul>
 *   <li>between requests, a connection that sends nothing for the idle time is closed (nothing is
 *       pending, so closing is what an HTTP server does with an idle keep-alive connection);
 *   <li>a request head that has begun must be complete within the request time, else the client
 *       gets 408 in Docker's format and the connection closes (the rest of that head is garbage);
 *   <li>a body berth judges (JSON, read whole before deciding) must be complete within the request
 *       time from its head, else 408 through the enforcement core, so it is recorded.
 * </ul>
 *
 * Streams (uploads, logs, attach) have no time limit here, as on the daemon; they count against the
 * user's requests in flight ({@link UserBounds}). The check runs on the connection's event loop
 * four times per limit (one timer per connection, no per-byte work), so a limit is enforced at most
 * half of it late.
 */
final class DeadlineHandler extends ChannelInboundHandlerAdapter {
  static final String NAME = "deadlines";

  private final ClientConnection conn;
  private final ClientBounds timeouts;
  private @Nullable ScheduledFuture<?> tick;

  /** The exchange the last check saw, and when it first saw it. */
  private @Nullable Exchange seen;

  private long seenSince;

  DeadlineHandler(ClientConnection conn, ClientBounds timeouts) {
    this.conn = conn;
    this.timeouts = timeouts;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    long period =
        Math.max(
            50,
            Math.min(timeouts.requestTimeout().toMillis(), timeouts.idleTimeout().toMillis()) / 4);
    tick = ctx.executor().scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (tick != null) {
      tick.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (conn.state == ClientConnection.State.READY
        && msg instanceof ByteBuf buf
        && buf.isReadable()) {
      if (conn.headBytes == 0) {
        conn.headStarted = conn.now();
      }
      conn.headBytes += buf.readableBytes();
    }
    ctx.fireChannelRead(msg);
  }

  private void check() {
    long now = conn.now();
    switch (conn.state) {
      case READY -> {
        if (conn.headBytes == 0 && now - conn.readySince > timeouts.idleTimeout().toNanos()) {
          conn.metrics.timedOut("idle");
          conn.closeBoth();
        } else if (conn.headBytes > 0
            && now - conn.headStarted > timeouts.requestTimeout().toNanos()) {
          conn.metrics.timedOut("request_head");
          conn.state = ClientConnection.State.CLOSED;
          conn.channel
              .writeAndFlush(
                  DockerErrors.of(
                      HttpResponseStatus.REQUEST_TIMEOUT,
                      "berth: the request head did not arrive within "
                          + timeouts.requestTimeout().toSeconds()
                          + " s",
                      false))
              .addListener(ChannelFutureListener.CLOSE);
        }
      }
      case EXCHANGE -> {
        Exchange ex = conn.exchange;
        if (ex != seen) {
          seen = ex;
          seenSince = now; // within one check of its head
        }
        if (ex != null
            && ex.allow == null
            && !ex.requestEnded
            && judged(ex)
            && now - seenSince > timeouts.requestTimeout().toNanos()) {
          conn.metrics.timedOut("request_body");
          ex.keepAlive = false;
          conn.refuse(
              ex,
              Refusals.timeout(
                  "the request body did not arrive within "
                      + timeouts.requestTimeout().toSeconds()
                      + " s"));
        }
      }
      default -> {}
    }
  }

  private static boolean judged(Exchange ex) {
    return ex.enforcement.route().map(r -> r.route().body() != BodyKind.STREAM).orElse(false);
  }
}
