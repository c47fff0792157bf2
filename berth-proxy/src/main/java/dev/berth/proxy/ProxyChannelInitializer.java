package dev.berth.proxy;

import dev.berth.enforce.Enforcer;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Builds the pipeline of a client connection.
 *
 * <p>Design note. The pipeline, in order:
 *
 * <pre>
 *   [SslHandler -&gt; TlsHandshakeHandler]    mutual TLS listener only
 *   ConnectionHandler        identity, counting, cleanup on close (stays for the whole connection)
 *   DeadlineHandler          idle and slow clients (request time, idle time); stays too
 *   HttpServerCodec (strict) CR LF only, no duplicate Content-Length, RFC 9112 Transfer-Encoding
 *   FlowControlHandler       one message per read()
 *   FramingHandler           head -&gt; Exchange; framing refusals; 100-continue; drops what
 *                            the client still sends of an answered request
 *   MetricsHandler           GET /berth/metrics, for administrators
 *   BodyHandler              judged bodies read whole (bounded); streams pass
 *   EnforcementHandler       the enforcement core: decide, record (durably), effects, or refuse
 *   RelayHandler             the canonical request to the daemon; its answer comes back
 *                            through AnswerRelay (the daemon connection's listener)
 * </pre>
 *
 * <p>After a hijack (attach, exec start: the daemon's 101 or raw-stream answer) everything from the
 * codec on is replaced by one {@link TunnelHandler}, and its peer replaces the daemon connection's
 * HTTP handlers.
 *
 * <p>Threads: everything of a connection runs on its event loop; its daemon connection is
 * registered on the same loop ({@link UpstreamPool}), so no handler state needs a lock. Decisions
 * that ask the daemon about an object, image claims and effects run on virtual threads and hop back
 * onto the loop; audit durability completes on the audit writer's thread and hops back too.
 *
 * <p>Invariants. (1) {@code AUTO_READ} is off and the flow-control handler hands over one message
 * per {@code read()}: every request on a keep-alive or pipelined connection is judged on its own,
 * after the previous exchange finished; nothing is allowed per connection. (2) Backpressure both
 * ways: the next piece is read from one side only once the previous piece is written to the other.
 * (3) The daemon only receives what berth built from the canonical request: a new head with
 * allowlisted headers and either berth's serialisation of the judged body or the decoded content of
 * a streamed body. (4) No action without a record: a state-changing request is forwarded only once
 * its decision is on disk; the result follows when the exchange ends. (5) Every request gets an
 * answer in Docker's format, and a refusal never leaves unread request bytes behind a close (the
 * answer, then the rest is drained; see {@link ClientConnection}). (6) Per-request state lives in
 * one {@link Exchange}; a new request gets a new one. (7) A hijacked connection carries raw bytes
 * until both sides end; half-closes are passed on after the last byte written.
 */
final class ProxyChannelInitializer extends ChannelInitializer<Channel> {
  static final String TLS = "tls";
  static final String TLS_HANDSHAKE = "tls-handshake";
  static final String CONNECTION = "connection";
  static final String CODEC = "http-codec";
  static final String FLOW = "flow-control";
  static final String FRAMING = "framing";
  static final String METRICS = "metrics";
  static final String BODY = "body";
  static final String ENFORCE = "enforce";
  static final String RELAY = "relay";
  private static final List<String> AFTER_FLOW = List.of(FRAMING, METRICS, BODY, ENFORCE, RELAY);

  private final Enforcer enforcer;
  private final PeerIdentity identity;
  private final CallerIdentification callers;
  private final UpstreamPool upstreams;
  private final Executor lookups;
  private final Metrics metrics;

  /** The TLS listener's context (mutual TLS), or null on the unix socket. */
  private final @Nullable SslContext tls;

  private final UserBounds userBounds;
  private final ClientBounds bounds;

  ProxyChannelInitializer(
      Enforcer enforcer,
      PeerIdentity identity,
      CallerIdentification callers,
      UpstreamPool upstreams,
      Executor lookups,
      Metrics metrics,
      @Nullable SslContext tls,
      UserBounds userBounds,
      ClientBounds bounds) {
    this.userBounds = userBounds;
    this.bounds = bounds;
    this.enforcer = enforcer;
    this.identity = identity;
    this.callers = callers;
    this.upstreams = upstreams;
    this.lookups = lookups;
    this.metrics = metrics;
    this.tls = tls;
  }

  @Override
  protected void initChannel(Channel ch) {
    if (tls != null) {
      ch.pipeline()
          .addLast(TLS, tls.newHandler(ch.alloc()))
          .addLast(TLS_HANDSHAKE, new TlsHandshakeHandler());
    }
    ClientConnection conn =
        new ClientConnection(ch, enforcer, upstreams, lookups, metrics, userBounds, bounds);
    ch.pipeline()
        .addLast(CONNECTION, new ConnectionHandler(conn, identity, callers))
        .addLast(DeadlineHandler.NAME, new DeadlineHandler(conn, bounds));
    addHttpHandlers(ch.pipeline(), conn);
  }

  /**
   * The most one read of a client takes, and so the largest piece of a streamed body (an upload,
   * {@code docker cp} into a container) relayed at once. Netty's default of 64 KiB made a 300 MiB
   * upload about 4800 rounds of read, rewrite, write and wait on the event loop (the relay keeps
   * one piece in flight); larger reads mean fewer rounds. A connection's buffer grows to this size
   * only while its reads fill it, and is released after each read: idle connections hold none.
   */
  static final int MAX_READ = 256 * 1024;

  /**
   * The client channels' read sizes: from 2 KiB, grown while reads fill them, to {@link #MAX_READ}.
   */
  static RecvByteBufAllocator reads() {
    return new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ);
  }

  /** The HTTP handlers after the connection handler (also used by the handlers' tests). */
  static void addHttpHandlers(ChannelPipeline p, ClientConnection conn) {
    HttpDecoderConfig config =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(16 * 1024)
            .setMaxHeaderSize(64 * 1024)
            .setMaxChunkSize(MAX_READ)
            .setStrictLineParsing(true)
            .setAllowDuplicateContentLengths(false)
            .setUseRfc9112TransferEncoding(true)
            .setValidateHeaders(true);
    p.addLast(CODEC, new HttpServerCodec(config))
        .addLast(FLOW, new FlowControlHandler())
        .addLast(FRAMING, new FramingHandler(conn))
        .addLast(METRICS, new MetricsHandler(conn))
        .addLast(BODY, new BodyHandler(conn))
        .addLast(ENFORCE, new EnforcementHandler(conn))
        .addLast(RELAY, new RelayHandler(conn));
  }

  /**
   * Turns a client pipeline into a raw byte relay after a hijack: the tunnel handler goes right
   * after the flow-control handler, then the HTTP handlers leave; bytes the codec or the
   * flow-control handler already held are handed to the tunnel in order.
   */
  static void toTunnel(ChannelPipeline p, TunnelHandler tunnel) {
    p.addAfter(FLOW, TunnelHandler.NAME, tunnel);
    for (String name : AFTER_FLOW) {
      if (p.get(name) != null) {
        p.remove(name);
      }
    }
    p.remove(CODEC);
    p.remove(FLOW);
  }

  /**
   * Takes the HTTP handlers out of a client pipeline whose connection berth-buildkit takes over
   * ({@link BuildKitHandOff}); the bytes the codec held go to the handler placed after it.
   */
  static void toBuildKit(ChannelPipeline p) {
    for (String name : AFTER_FLOW) {
      if (p.get(name) != null) {
        p.remove(name);
      }
    }
    p.remove(FLOW);
    p.remove(CODEC);
  }
}
