package dev.berth.proxy;

import dev.berth.policy.Decision;
import dev.berth.policy.Grant;
import dev.berth.policy.Principal;
import dev.berth.policy.Scope;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /berth/metrics}: berth's own counters for administrators (a passthrough role or scope
 * all); everyone else is refused. Not a Docker endpoint, so it never reaches the daemon. Every
 * other exchange passes on.
 */
final class MetricsHandler extends ChannelInboundHandlerAdapter {
  /** berth's own metrics, for administrators. */
  static final String METRICS_PATH = "/berth/metrics";

  private final ClientConnection conn;

  MetricsHandler(ClientConnection conn) {
    this.conn = conn;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Exchange ex)
        || !ex.enforcement.request().path().equals(METRICS_PATH)
        || !ex.enforcement.request().method().equals("GET")) {
      ctx.fireChannelRead(msg);
      return;
    }
    Principal who = ex.enforcement.caller().principal().orElseThrow();
    Optional<Grant> grant = ex.enforcement.engine().policy().grantOf(who);
    boolean admin =
        grant.isPresent()
            && (grant.get().role().passthrough() || grant.get().role().scope() == Scope.ALL);
    if (!admin) {
      conn.refuse(ex, Decision.forbidden("metrics", "berth: metrics are for administrators"));
      return;
    }
    ex.enforcement.commit(new Decision.Allow("metrics", ex.enforcement.request(), List.of()));
    byte[] text = conn.metrics.render().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(text));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
    conn.answer(ex, r);
  }
}
