package dev.berth.proxy;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.ImageArchiveNames;
import dev.berth.policy.docker.BodyKind;
import dev.berth.policy.docker.TarSanitizer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Hands each exchange to the enforcement core ({@link dev.berth.enforce.Enforcement}): decides it
 * with the policy snapshot of its arrival, waits until the decision is recorded (durably, for
 * anything that changes state) and its effects performed, then passes an allowed exchange on to the
 * relay, or answers the refusal. A request that names an existing object is decided on a virtual
 * thread, because the engine then asks the daemon who owns it; nothing is read from the client
 * meanwhile. Content of a streamed body passes through.
 */
final class EnforcementHandler extends ChannelInboundHandlerAdapter {
  private final ClientConnection conn;

  EnforcementHandler(ClientConnection conn) {
    this.conn = conn;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Exchange ex)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (!ex.enforcement.needsLookups()) {
      enforce(ctx, ex, ex.enforcement.decide(ex.body));
      return;
    }
    conn.lookups.execute(
        () -> {
          Decision d = ex.enforcement.decide(ex.body);
          ctx.executor().execute(() -> enforce(ctx, ex, d));
        });
  }

  private void enforce(ChannelHandlerContext ctx, Exchange ex, Decision decided) {
    if (conn.exchange != ex || conn.state == ClientConnection.State.CLOSED) {
      return; // the connection closed meanwhile
    }
    Decision d = decided;
    if (d instanceof Decision.Allow
        && ex.body != null
        && ex.body.length > 0
        && ex.enforcement.route().map(r -> r.route().body() == BodyKind.JSON).orElse(false)) {
      // Judged first (a refusal says why), then the daemon's own answer to a non-JSON type.
      Optional<Decision.Deny> type = FramingRules.checkJson(ex.request);
      if (type.isPresent()) {
        d = type.get();
      }
    }
    CompletableFuture<Decision> committed = ex.enforcement.commit(d);
    if (committed.isDone() && ctx.executor().inEventLoop()) {
      // A refusal or a read: decided on this loop and not waiting for the disk, so it goes on
      // at once, in this read cycle (its record follows in the writer's next group commit).
      committed.whenComplete((outcome, error) -> proceed(ctx, ex, outcome, error));
    } else {
      committed.whenComplete(
          (outcome, error) -> ctx.executor().execute(() -> proceed(ctx, ex, outcome, error)));
    }
  }

  private void proceed(ChannelHandlerContext ctx, Exchange ex, Decision outcome, Throwable error) {
    if (conn.exchange != ex || conn.state == ClientConnection.State.CLOSED) {
      if (ex.enforcement.releaseDue()) {
        conn.lookups.execute(ex.enforcement::release); // a push whose client left meanwhile
      }
      return;
    }
    if (error != null) {
      conn.closeBoth();
    } else if (outcome instanceof Decision.Allow allow) {
      ex.allow = allow;
      ex.archive =
          allow.forward().body() instanceof CanonicalRequest.Body.Stream st
              ? st.buildContext().isPresent()
                  ? new ArchiveUpload(
                      TarSanitizer.forBuildContext(st.buildContext().get().dockerfile()),
                      ctx.alloc())
                  : st.tarOwner()
                      .map(
                          o ->
                              new ArchiveUpload(
                                  new TarSanitizer(
                                      o.uid(),
                                      o.gid(),
                                      st.imageNames()
                                          .map(n -> new ImageArchiveNames(n.uid()))
                                          .orElse(null)),
                                  ctx.alloc()))
                      .orElse(null)
              : null;
      ctx.fireChannelRead(ex);
    } else {
      conn.answer(ex, DockerErrors.of(outcome, true));
    }
  }
}
