package dev.berth.proxy;

import dev.berth.enforce.Caller;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a client connection, for as long as it lasts (it stays when a hijack swaps the
 * HTTP handlers for a tunnel): identifies the caller when the connection is ready, counts it,
 * and on close records what is still due and releases the daemon side.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);
  private final ClientConnection conn;
  private final PeerIdentity identity;

  ConnectionHandler(ClientConnection conn, PeerIdentity identity) {
    this.conn = conn;
    this.identity = identity;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    conn.metrics.connectionOpened();
    try {
      conn.caller = Caller.of(identity.resolve(ctx.channel()));
      conn.caller.principal().ifPresent(p -> conn.openFor(p.uid()));
    } catch (PeerIdentity.IdentityException e) {
      conn.caller = Caller.unidentified("", "berth: you could not be identified ("
          + e.getMessage() + ")");
      LOG.atWarn().addKeyValue("reason", e.getMessage()).log("caller not identified");
    }
    ctx.fireChannelActive();
    conn.read();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    conn.state = ClientConnection.State.CLOSED;
    conn.metrics.connectionClosed();
    Exchange ex = conn.exchange;
    conn.closed();
    if (ex != null) {
      conn.uncountStream(ex);
      conn.recordResult(ex); // a stream the client left, or a request the daemon never answered
    }
    conn.closeUpstream(); // a client that goes away releases the daemon side (events, logs -f)
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.atDebug().addKeyValue("cause", String.valueOf(cause)).log("client connection failed");
    conn.closeBoth();
  }
}
