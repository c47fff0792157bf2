package dev.berth.buildkit;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * The seam between the proxy and BuildKit mediation: the proxy judges the {@code POST /grpc} or
 * {@code POST /session} upgrade like any request, and once the daemon has answered {@code 101} it
 * hands both connections here ({@link #handOff}); from then on this module owns them.
 *
 * <p>One instance per berth process: sessions and build refs are bound to their callers across all
 * connections ({@link BuildOwners}).
 */
public final class BuildMediator {
  private final BuildOwners owners = new BuildOwners();
  private final CallJudge judge = new CallJudge(owners);

  /** The client connection of each handed-off session, by id. */
  private final Map<String, Channel> sessions = new ConcurrentHashMap<>();

  private final EndedSessions ended = new EndedSessions();

  /**
   * Claims the session id of a {@code /session} request for its caller before the request goes
   * upstream; a refusal reason when the id is live (for anyone: dockerd would silently replace the
   * first connection with the second).
   */
  public Optional<String> openSession(String id, int uid) {
    if (id == null || id.isBlank()) {
      return Optional.of("a BuildKit session needs an id (X-Docker-Expose-Session-Uuid)");
    }
    return owners.openSession(id, uid)
        ? Optional.empty()
        : Optional.of("the BuildKit session id " + id + " is in use; start a new build");
  }

  /**
   * The shared key to send upstream for a session's client key: the daemon keeps each session
   * directory it copied under a key made of the directory's name, a hint from the build definition
   * and this key, all chosen by clients (buildkit {@code source/local/source.go}), and on the next
   * build asks only for files whose metadata changed. Prefixed with the caller's uid (and without
   * the client's {@code :}, the separator of those parts), no two users' keys are equal, so one
   * user's kept directory is never the base of another user's copy.
   */
  public static String sharedKey(int uid, String clientKey) {
    return "berth-" + uid + "-" + clientKey.replace(':', '_');
  }

  /**
   * The caller's build that names session {@code id} ({@code POST /build?session=}, the 20.10 CLI's
   * BuildKit builds) was refused: the session ends, now when it is live, else as soon as it is
   * handed off (not refused: the CLI would show that refusal, "unable to upgrade", instead of the
   * build's). That CLI shows the build's refusal only once its session has ended, which the daemon
   * would never do (it keeps a session until its client leaves). Only the session's owner ends it.
   */
  public void endSession(String id, int uid) {
    if (id.isBlank()) {
      return;
    }
    Optional<Integer> owner = owners.sessionOwner(id);
    if (owner.isPresent() && owner.get() != uid) {
      return;
    }
    Channel live = sessions.get(id);
    if (live != null) {
      live.close();
      return;
    }
    ended.mark(id, uid);
    Channel arrived = sessions.get(id); // handed off meanwhile, before it could see the mark
    if (arrived != null && ended.take(id, uid)) {
      arrived.close();
    }
  }

  /** Releases a session id whose request never reached the hand-off (refused, failed). */
  public void closeSession(String id, int uid) {
    owners.closeSession(id, uid);
  }

  /**
   * Takes over a hijacked connection pair right after the daemon's {@code 101} (already relayed to
   * the client). The bytes that the HTTP/1.1 codecs named {@code clientCodec} and {@code
   * upstreamCodec} buffered are held, {@code removeProxyHandlers} takes the proxy's own handlers
   * out (those codecs included), the HTTP/2 codecs go in, and the held bytes reach them in order.
   *
   * @param sessionId for {@link H2Bridge.Endpoint#SESSION}, the id {@link #openSession} claimed,
   *     released when the connection closes; null for {@link H2Bridge.Endpoint#GRPC}
   * @param judging where calls are judged (the judge may ask the daemon about image names)
   */
  public void handOff(
      H2Bridge.Endpoint endpoint,
      BuildCaller caller,
      @Nullable String sessionId,
      Channel client,
      String clientCodec,
      Channel upstream,
      String upstreamCodec,
      Executor judging,
      Runnable removeProxyHandlers) {
    client.pipeline().addAfter(clientCodec, HOLD, new Hold());
    upstream.pipeline().addAfter(upstreamCodec, HOLD, new Hold());
    removeProxyHandlers.run();
    H2Bridge bridge = new H2Bridge(endpoint, caller, judge, judging, client, upstream);
    bridge.install(HOLD, HOLD);
    String id = null;
    if (endpoint == H2Bridge.Endpoint.SESSION) {
      String session = requireNonNull(sessionId, "a /session connection is handed off with its id");
      id = session;
      sessions.put(session, client);
      client
          .closeFuture()
          .addListener(
              f -> {
                sessions.remove(session, client);
                owners.closeSession(session, caller.uid());
              });
    }
    client.pipeline().remove(HOLD);
    upstream.pipeline().remove(HOLD);
    bridge.start();
    if (id != null && ended.take(id, caller.uid())) {
      client.close(); // its build was refused while the session was on its way
    }
  }

  private static final String HOLD = "berth-h2-hold";

  /**
   * Keeps the bytes that arrive while the pipeline changes; on removal (a {@link
   * ByteToMessageDecoder}) it passes them on to the HTTP/2 codec. What the HTTP/1.1 codec emits
   * besides bytes (its end marker after a {@code 101}) is dropped.
   */
  private static final class Hold extends ByteToMessageDecoder {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (msg instanceof ByteBuf) {
        super.channelRead(ctx, msg);
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      // held until removal
    }
  }
}
