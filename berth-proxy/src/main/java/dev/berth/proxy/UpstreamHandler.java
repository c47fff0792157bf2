package dev.berth.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/**
 * The daemon side of one connection: hands everything it reads to the {@link UpstreamListener} that
 * owns the connection at the moment. A pooled connection has no owner; any byte it receives then is
 * unexpected and closes it.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
  private @Nullable UpstreamListener owner;

  void attach(UpstreamListener exchange) {
    this.owner = exchange;
  }

  void detach() {
    this.owner = null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (owner == null) {
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    owner.onUpstreamRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (owner != null) {
      owner.onUpstreamReadComplete();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      if (owner == null) {
        ctx.close();
      } else {
        owner.onUpstreamInputShutdown();
      }
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (owner != null) {
      owner.onUpstreamClosed();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
