package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import dev.berth.enforce.Refusals;
import dev.berth.policy.docker.BodyKind;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/**
 * Reads the body of a route whose body is judged (JSON, or none) whole before the exchange goes on
 * to enforcement, bounded by what berth inspects; refuses a larger one with 413 (after which the
 * rest is drained, see {@link ClientConnection#answer}). An exchange whose body is a stream, or
 * whose route is unknown, goes on at once and its content follows as it arrives.
 */
final class BodyHandler extends ChannelInboundHandlerAdapter {
  /** moby's limit for bodies sent to authorization plugins; berth inspects no more than this. */
  static final int MAX_JSON_BODY = 4 * 1024 * 1024;

  /** Bodies of routes that take none are read only to check they are empty. */
  static final int MAX_EMPTY_BODY = 4096;

  private final ClientConnection conn;

  /** The exchange whose body is being read, or null. */
  private @Nullable Exchange reading;

  private @Nullable CompositeByteBuf body;
  private int limit;

  BodyHandler(ClientConnection conn) {
    this.conn = conn;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Exchange ex) {
      release(); // a body whose exchange was refused while it was read
      BodyKind kind = ex.enforcement.route().map(r -> r.route().body()).orElse(BodyKind.STREAM);
      if (kind == BodyKind.STREAM) {
        ctx.fireChannelRead(ex);
        return;
      }
      reading = ex;
      limit = kind == BodyKind.NONE ? MAX_EMPTY_BODY : MAX_JSON_BODY;
      body = ctx.alloc().compositeBuffer(1024);
      conn.read();
    } else if (msg instanceof HttpContent content && reading != null) {
      aggregate(ctx, content);
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  private void aggregate(ChannelHandlerContext ctx, HttpContent content) {
    Exchange ex = requireNonNull(reading);
    CompositeByteBuf body = requireNonNull(this.body);
    if (body.readableBytes() + content.content().readableBytes() > limit) {
      content.release();
      release();
      ex.keepAlive = false;
      conn.refuse(ex, Refusals.tooLarge(limit));
      return;
    }
    body.addComponent(true, content.content().retain());
    boolean last = content instanceof LastHttpContent;
    content.release();
    if (!last) {
      conn.read();
      return;
    }
    byte[] bytes = new byte[body.readableBytes()];
    body.readBytes(bytes);
    release();
    ex.body = bytes;
    ctx.fireChannelRead(ex);
  }

  private void release() {
    reading = null;
    if (body != null) {
      body.release();
      body = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    release();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    ReferenceCountUtil.safeRelease(body);
    body = null;
  }
}
