package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One side of a hijacked connection (attach, exec start): relays raw bytes to the other side,
 * reading on while the other side is writable. A pair replaces the HTTP handlers of both
 * connections when the daemon's answer says the stream is raw ({@link #start}); such a connection
 * never carries another HTTP request.
 *
 * <p>Backpressure: after each piece is handed to the other side, this side is read again only while
 * the other side's buffer is under its high water mark ({@link
 * ProxyChannelInitializer#WATER_MARK}); once it is over, reading waits until that side's
 * writability comes back ({@link #channelWritabilityChanged}, on the other side's handler). So a
 * stalled reader holds at most the high water mark plus one read of the relay's memory per
 * direction, and the writer behind it is held back by its own socket.
 *
 * <p>Half-close: one side's end of input (stdin EOF, the container's output ending) becomes a
 * half-close of the other side once everything before it was written; when both inputs have ended,
 * the connection closes after the last write.
 */
final class TunnelHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(TunnelHandler.class);
  static final String NAME = "tunnel";

  private final ClientConnection conn;
  private final Exchange ex;

  /** Whether this handler reads the client (else the daemon). */
  private final boolean clientSide;

  private TunnelHandler(ClientConnection conn, Exchange ex, boolean clientSide) {
    this.conn = conn;
    this.ex = ex;
    this.clientSide = clientSide;
  }

  /** Whether the daemon's answer to a hijacking request turns the connection into raw bytes. */
  static boolean isHijack(HttpResponse resp) {
    if (resp.status().code() == 101) {
      return true;
    }
    String type = resp.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
    return resp.status().code() == 200
        && (type.startsWith("application/vnd.docker.raw-stream")
            || type.startsWith("application/vnd.docker.multiplexed-stream"));
  }

  /** Relays the daemon's answer head, then swaps both connections' HTTP handlers for a pair. */
  static void start(ClientConnection conn, Exchange ex, HttpResponse resp) {
    conn.state = ClientConnection.State.TUNNEL;
    conn.recordResult(ex);
    conn.countStream(ex);
    if (BuildKitHandOff.applies(ex)) {
      BuildKitHandOff.start(conn, ex, resp);
      return;
    }
    boolean upgraded = resp.status().code() == 101;
    UpstreamRequests.stripHopByHop(resp.headers());
    Channel client = conn.channel;
    if (upgraded) {
      resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      resp.headers().set(HttpHeaderNames.UPGRADE, "tcp");
      client.write(resp);
      client.write(LastHttpContent.EMPTY_LAST_CONTENT);
    } else {
      client.write(resp);
    }
    client.flush();
    // From here on both connections carry raw bytes. Removing a codec hands the bytes it
    // already buffered to the handler after it, in order: the tunnel handler.
    ChannelPipeline up = requireNonNull(conn.upstream).pipeline();
    up.addAfter(UpstreamPool.CODEC, NAME, new TunnelHandler(conn, ex, false));
    up.remove(UpstreamPool.HANDLER);
    up.remove(UpstreamPool.CODEC);
    ProxyChannelInitializer.toTunnel(client.pipeline(), new TunnelHandler(conn, ex, true));
    LOG.atDebug().addKeyValue("user", conn.caller.claimedName()).log("connection hijacked");
    conn.read();
    conn.upstream.read();
  }

  /** The other side: the daemon connection for the client's handler (null once it is gone). */
  private @Nullable Channel peer() {
    return clientSide ? conn.upstream : conn.channel;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Channel peer = peer();
    if (msg instanceof ByteBuf buf && peer != null) {
      peer.writeAndFlush(buf)
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (!f.isSuccess() && conn.state != ClientConnection.State.CLOSED) {
                      conn.closeBoth();
                    }
                  });
      if (peer.isWritable()) {
        ctx.read();
      } // else the peer's handler reads this side again once the peer drained
    } else if (!clientSide && !(msg instanceof ByteBuf)) {
      ReferenceCountUtil.release(msg); // the codec's end marker after a 101
      ctx.read();
    } else {
      ReferenceCountUtil.release(msg);
      conn.closeBoth();
    }
  }

  /**
   * This side's buffer went over its high water mark or back under the low one: the other side,
   * which writes here, is read again once this side is writable.
   */
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Channel other = peer();
    if (ctx.channel().isWritable() && other != null && other.isActive()) {
      other.read();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (!(evt instanceof ChannelInputShutdownEvent)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    ReferenceCountUtil.release(evt);
    if (clientSide) {
      conn.inputClosed = true;
    } else {
      ex.upstreamInputClosed = true;
    }
    if (conn.inputClosed && ex.upstreamInputClosed) {
      conn.closeAfterFlush();
    } else {
      Channel peer = peer();
      if (peer != null) {
        ClientConnection.shutdownOutputAfterWrites(peer); // stdin EOF reaches the container
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!clientSide && conn.state != ClientConnection.State.CLOSED) {
      conn.upstream = null;
      conn.closeAfterFlush(); // the daemon ended the stream: the client gets every byte, then EOF
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.atDebug().addKeyValue("cause", String.valueOf(cause)).log("tunnel failed");
    conn.closeBoth();
  }
}
