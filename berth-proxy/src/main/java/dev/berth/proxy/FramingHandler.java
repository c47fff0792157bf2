package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import dev.berth.enforce.Refusals;
import dev.berth.policy.Decision;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;

/**
 * The first HTTP handler of a client connection: turns each request head into an {@link Exchange},
 * refuses what cannot be judged unambiguously ({@link FramingRules}, an unreadable request line, an
 * unidentified caller), answers {@code 100-continue}, and passes the rest on; drops what the client
 * still sends of a request that was already answered; and drives reading: one message at a time,
 * the next only when the previous exchange asks for it.
 */
final class FramingHandler extends ChannelInboundHandlerAdapter {
  private final ClientConnection conn;

  FramingHandler(ClientConnection conn) {
    this.conn = conn;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    conn.messageArrived();
    switch (conn.state) {
      case SKIPPING, DRAINING -> {
        long bytes = msg instanceof HttpContent c ? c.content().readableBytes() : 0;
        ReferenceCountUtil.release(msg);
        conn.dropped(bytes, msg instanceof LastHttpContent);
      }
      case READY -> {
        if (msg instanceof HttpRequest req) {
          ReferenceCountUtil.release(req);
          onHead(ctx, req);
        } else {
          ReferenceCountUtil.release(msg);
          conn.closeBoth();
        }
      }
      case EXCHANGE -> {
        if (msg instanceof HttpContent content) {
          onContent(ctx, content);
        } else {
          ReferenceCountUtil.release(msg);
          conn.closeBoth();
        }
      }
      default -> ReferenceCountUtil.release(msg);
    }
  }

  private void onHead(ChannelHandlerContext ctx, HttpRequest req) {
    Exchange ex = new Exchange(req, conn.enforcer.begin(conn.caller));
    conn.exchange = ex;
    conn.state = ClientConnection.State.EXCHANGE;
    Optional<? extends Decision> refusal = FramingRules.check(req);
    if (refusal.isEmpty()) {
      refusal = ex.enforcement.parse(req.method().name(), req.uri());
    }
    if (refusal.isEmpty() && conn.caller.principal().isEmpty()) {
      refusal = Optional.of(Refusals.identity(conn.caller.identityError()));
    }
    if (refusal.isEmpty()) {
      refusal = conn.admit(ex);
    }
    if (refusal.isPresent()) {
      // A request berth cannot read ends the connection (after its body, see answer()).
      ex.keepAlive = false;
      ex.broken = FramingRules.endUnknown(req);
      conn.refuse(ex, refusal.get());
      return;
    }
    if (HttpUtil.is100ContinueExpected(req)) {
      // The client waits for this before it sends the body (any other Expect was refused).
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
    }
    ctx.fireChannelRead(ex);
  }

  private void onContent(ChannelHandlerContext ctx, HttpContent content) {
    Exchange ex = requireNonNull(conn.exchange);
    if (content instanceof LastHttpContent) {
      ex.requestEnded = true;
    }
    if (content.decoderResult().isFailure()) {
      String cause = content.decoderResult().cause().getMessage();
      content.release();
      ex.broken = true;
      ex.keepAlive = false;
      conn.refuse(ex, Refusals.framing("malformed request body (" + cause + ")"));
      return;
    }
    ctx.fireChannelRead(content);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    conn.readCompleted();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (!(evt instanceof ChannelInputShutdownEvent)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    conn.inputClosed = true;
    Exchange ex = conn.exchange;
    switch (conn.state) {
      // A client that hangs up while a response streams (events, logs -f, wait) is gone:
      // closing the daemon side cancels the request there, as dockerd itself does when its
      // client goes. A response that has not started yet is still delivered, then the
      // connection closes.
      case READY, SKIPPING, DRAINING -> conn.closeBoth();
      case EXCHANGE -> {
        if (ex != null && ex.responseStarted) {
          conn.closeBoth();
        }
      }
      default -> {}
    }
    ReferenceCountUtil.release(evt);
  }
}
