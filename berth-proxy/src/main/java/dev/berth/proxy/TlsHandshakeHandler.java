package dev.berth.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.security.cert.CertificateException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits right after the {@code SslHandler} of a TLS connection and makes it look, to the handlers
 * after it, like a unix-socket connection:
 *
 * <ul>
 *   <li>{@code channelActive} is passed on only once the handshake succeeded, so {@link
 *       ConnectionHandler} identifies the caller from a verified certificate; a failed handshake is
 *       logged with its reason and the connection closes without ever reaching it.
 *   <li>The client's {@code close_notify} (Go's {@code CloseWrite}, how the docker CLI says "no
 *       more stdin" on a hijacked stream) becomes a {@link ChannelInputShutdownEvent}, as a TCP
 *       half-close does on the unix socket.
 * </ul>
 *
 * <p>Until the handshake succeeded, nothing else reaches the handlers after this one: they know of
 * no connection yet (errors and the close are handled here). The pipeline has {@code AUTO_READ}
 * off: the first read is asked for here; the SslHandler asks for more until the handshake is done.
 */
final class TlsHandshakeHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(TlsHandshakeHandler.class);

  private boolean active;
  private boolean inputShutdownSent;

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read(); // held back: see userEventTriggered
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent done) {
      if (done.isSuccess()) {
        active = true;
        ctx.fireChannelActive();
      } else {
        LOG.atInfo()
            .addKeyValue("remote", ctx.channel().remoteAddress())
            .addKeyValue("reason", reason(done.cause()))
            .log("TLS handshake refused");
        ctx.close();
      }
      return;
    }
    if (!active) {
      return; // nobody after this handler knows the connection yet
    }
    if (evt instanceof SslCloseCompletionEvent || evt instanceof ChannelInputShutdownEvent) {
      if (!inputShutdownSent) {
        inputShutdownSent = true;
        ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** The innermost message: the verifier's reason, not the TLS stack's wrapper. */
  private static @Nullable String reason(Throwable t) {
    String msg = String.valueOf(t);
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getMessage() != null) {
        msg = c.getMessage();
      }
      if (c instanceof CertificateException) {
        return c.getMessage();
      }
    }
    return msg;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (active) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    // During the handshake: the handshake event reports the failure; nothing to relay.
    LOG.atDebug().addKeyValue("cause", String.valueOf(cause)).log("TLS connection failed");
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (active) {
      ctx.fireChannelInactive();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (active) {
      ctx.fireChannelReadComplete();
    }
  }
}
