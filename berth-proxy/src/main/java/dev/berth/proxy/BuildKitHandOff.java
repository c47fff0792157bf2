package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import dev.berth.buildkit.BuildCaller;
import dev.berth.buildkit.BuildMediator;
import dev.berth.buildkit.FrontendPins;
import dev.berth.buildkit.H2Bridge;
import dev.berth.buildkit.RemoteSources;
import dev.berth.buildkit.SessionMethods;
import dev.berth.buildkit.Verdict;
import dev.berth.enforce.Enforcement;
import dev.berth.policy.Action;
import dev.berth.policy.Decision;
import dev.berth.policy.Grant;
import dev.berth.policy.ImagePolicy;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.Scope;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The proxy's side of BuildKit mediation (issue 14): {@code POST /grpc} and {@code POST /session}
 * are judged as requests like any other, go upstream as an h2c upgrade, and once the daemon answers
 * {@code 101} both connections are handed to {@link BuildMediator} (berth-buildkit), which judges
 * and records every gRPC call inside them through this request's enforcement.
 */
final class BuildKitHandOff {
  /** The BuildKit endpoints, the only ones that may ask for {@code Upgrade: h2c}. */
  static final Pattern PATH = Pattern.compile("^(/v[0-9]+\\.[0-9]+)?/(grpc|session)$");

  private static final AsciiString SESSION_ID = AsciiString.cached("X-Docker-Expose-Session-Uuid");
  private static final AsciiString SESSION_METHOD =
      AsciiString.cached("X-Docker-Expose-Session-Grpc-Method");
  private static final AsciiString SHARED_KEY =
      AsciiString.cached("X-Docker-Expose-Session-Sharedkey");

  /** Sessions and build refs of every connection (one berth process, one daemon). */
  private static final BuildMediator BUILDS = new BuildMediator();

  private BuildKitHandOff() {}

  static boolean applies(Exchange ex) {
    return ex.enforcement
        .route()
        .map(r -> r.route().action())
        .map(a -> a == Action.GRPC || a == Action.SESSION)
        .orElse(false);
  }

  private static boolean isSession(Exchange ex) {
    return ex.enforcement.route().map(r -> r.route().action() == Action.SESSION).orElse(false);
  }

  /**
   * Before a {@code /session} request goes upstream: claims its session id for the caller, or the
   * refusal (the id is live: dockerd would silently replace the first connection with it).
   */
  static Optional<Decision> claimSession(ClientConnection conn, Exchange ex) {
    if (!isSession(ex)) {
      return Optional.empty();
    }
    int uid = conn.caller.principal().map(Principal::uid).orElse(-1);
    String id = ex.request.headers().get(SESSION_ID, "");
    Optional<String> refused = BUILDS.openSession(id, uid);
    if (refused.isPresent()) {
      return Optional.of(Decision.forbidden("buildkit_session", "berth: " + refused.get()));
    }
    ex.buildSession = id;
    conn.channel
        .closeFuture()
        .addListener(
            f -> {
              if (ex.buildSession != null) {
                BUILDS.closeSession(id, uid); // never handed off
              }
            });
    return Optional.empty();
  }

  /**
   * After berth answered a {@code POST /build} itself (a refusal): a session the build names
   * ({@code session=}, the 20.10 CLI's BuildKit builds, {@code DOCKER_BUILDKIT=1} without buildx)
   * ends ({@link BuildMediator#endSession}), so that the CLI shows the refusal at once instead of
   * waiting for its session to end.
   */
  static void buildAnswered(ClientConnection conn, Exchange ex) {
    if (!ex.enforcement.route().map(r -> r.route().action() == Action.IMAGE_BUILD).orElse(false)) {
      return;
    }
    String session = ex.enforcement.request().query().get("session").orElse("");
    conn.caller.principal().ifPresent(p -> BUILDS.endSession(session, p.uid()));
  }

  /**
   * The upstream request of a BuildKit endpoint: an h2c upgrade; on {@code /session} the advertised
   * methods narrowed to those berth allows, and the shared key made the caller's ({@link
   * BuildMediator#sharedKey}: another user who sent the same key and the metadata of a file of
   * yours would otherwise build with your file's contents).
   */
  static void upgradeHeaders(ClientConnection conn, Exchange ex, HttpRequest out) {
    out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    out.headers().set(HttpHeaderNames.UPGRADE, "h2c");
    if (isSession(ex)) {
      out.headers().remove(SESSION_METHOD);
      ex.request.headers().getAll(SESSION_METHOD).stream()
          .filter(SessionMethods::allowed)
          .forEach(m -> out.headers().add(SESSION_METHOD, m));
      int uid = conn.caller.principal().map(Principal::uid).orElse(-1);
      out.headers()
          .set(SHARED_KEY, BuildMediator.sharedKey(uid, ex.request.headers().get(SHARED_KEY, "")));
    }
  }

  /** The daemon answered the upgrade: relay its 101 as h2c and hand both connections over. */
  static void start(ClientConnection conn, Exchange ex, HttpResponse resp) {
    Channel client = conn.channel;
    Channel up = requireNonNull(conn.upstream, "the daemon answered on its connection");
    if (resp.status().code() != 101) {
      conn.closeBoth();
      return;
    }
    resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    resp.headers().set(HttpHeaderNames.UPGRADE, "h2c");
    client.write(resp);
    client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    Enforcement e = ex.enforcement;
    Principal who = conn.caller.principal().orElseThrow();
    Optional<Grant> grant = e.engine().policy().grantOf(who);
    Owner owner = grant.map(g -> g.ownerFor(who)).orElse(new Owner(who.uid(), -1));
    FrontendPins pins =
        e.engine()
            .policy()
            .roleOf(who)
            .map(r -> FrontendPins.of(r.allow().buildFrontends()))
            .orElse(FrontendPins.NONE);
    ImagePolicy images = grant.map(g -> g.role().images()).orElse(new ImagePolicy(true, List.of()));
    boolean passthrough = grant.map(g -> g.role().passthrough()).orElse(false);
    RemoteSources remote =
        passthrough
            ? RemoteSources.ANY
            : RemoteSources.allowing(
                grant.map(g -> g.role().allow().buildRemote()).orElse(Set.of()));
    // asked once per connection, off the event loop, and awaited by the judge of a Solve (which
    // runs off the event loop too)
    CompletableFuture<Optional<String>> engine =
        passthrough
            ? CompletableFuture.completedFuture(Optional.empty())
            : CompletableFuture.supplyAsync(e::buildKitRefusal, conn.lookups);
    BuildCaller caller =
        new BuildCaller(
            who.uid(),
            owner,
            e::buildTag,
            pins,
            images,
            (path, v) ->
                e.recordCall(
                    path,
                    v instanceof Verdict.Forward,
                    v instanceof Verdict.Refuse r ? r.rule() : "buildkit_call",
                    v instanceof Verdict.Refuse r ? r.message() : "",
                    v instanceof Verdict.Forward f && !f.note().isEmpty()
                        ? List.of(f.note())
                        : List.of()),
            (imageId, names) -> e.claimBuilt(imageId, names, owner),
            !grant.map(g -> g.role().passthrough() || g.role().scope() == Scope.ALL).orElse(false),
            remote,
            engine::join);
    String session = ex.buildSession;
    ex.buildSession = null;
    BUILDS.handOff(
        isSession(ex) ? H2Bridge.Endpoint.SESSION : H2Bridge.Endpoint.GRPC,
        caller,
        session,
        client,
        ProxyChannelInitializer.CODEC,
        up,
        UpstreamPool.CODEC,
        conn.lookups,
        () -> {
          ProxyChannelInitializer.toBuildKit(client.pipeline());
          up.pipeline().remove(UpstreamPool.HANDLER);
          up.pipeline().remove(UpstreamPool.CODEC);
        });
  }
}
