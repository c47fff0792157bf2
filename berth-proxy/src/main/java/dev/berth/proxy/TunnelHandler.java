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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One side of a hijacked connection (attach, exec start): relays raw bytes to the other side,
 * reading the next piece only once the previous one is written. A pair replaces the HTTP handlers
 * of both connections when the daemon's answer says the stream is raw ({@link #start}); such a
 * connection never carries another HTTP request.
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

  private Channel peer() {
    return clientSide ? requireNonNull(conn.upstream) : conn.channel;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Channel peer = peer();
    if (msg instanceof ByteBuf buf && peer != null) {
      peer.writeAndFlush(buf)
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (f.isSuccess()) {
                      ctx.read();
                    } else {
                      conn.closeBoth();
                    }
                  });
    } else if (!clientSide && !(msg instanceof ByteBuf)) {
      ReferenceCountUtil.release(msg); // the codec's end marker after a 101
      ctx.read();
    } else {
      ReferenceCountUtil.release(msg);
      conn.closeBoth();
    }
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
    } else if (peer() != null) {
      ClientConnection.shutdownOutputAfterWrites(peer()); // stdin EOF reaches the container
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
