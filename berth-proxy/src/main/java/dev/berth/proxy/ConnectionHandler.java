package dev.berth.proxy;

import dev.berth.enforce.Caller;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a client connection, for as long as it lasts (it stays when a hijack swaps the HTTP
 * handlers for a tunnel): identifies the caller when the connection is ready (off the event loop,
 * see {@link CallerIdentification}), counts it, and on close records what is still due and releases
 * the daemon side.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);
  private final ClientConnection conn;
  private final PeerIdentity identity;
  private final CallerIdentification callers;

  /** The caller is being looked up (off the loop); nothing is read until then. */
  private boolean identifying;

  /** The client half-closed while it was being identified: passed on once it is. */
  private boolean inputClosedMeanwhile;

  ConnectionHandler(ClientConnection conn, PeerIdentity identity, CallerIdentification callers) {
    this.conn = conn;
    this.identity = identity;
    this.callers = callers;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    conn.metrics.connectionOpened();
    identifying = true;
    callers
        .identify(identity, ctx.channel())
        .whenCompleteAsync(
            (who, failure) -> {
              identifying = false;
              if (conn.state == ClientConnection.State.CLOSED) {
                return;
              }
              if (failure == null) {
                conn.caller = Caller.of(who);
                conn.openFor(who);
              } else {
                conn.caller =
                    Caller.unidentified(
                        "", "berth: you could not be identified (" + failure.getMessage() + ")");
                LOG.atWarn()
                    .addKeyValue("reason", failure.getMessage())
                    .log("caller not identified");
              }
              ctx.fireChannelActive();
              conn.read();
              if (inputClosedMeanwhile) {
                ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
              }
            },
            ctx.executor());
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (identifying && evt instanceof ChannelInputShutdownEvent) {
      inputClosedMeanwhile = true; // after the request the client sent before it, if any
      return;
    }
    ctx.fireUserEventTriggered(evt);
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
