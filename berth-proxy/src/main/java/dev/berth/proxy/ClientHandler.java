package dev.berth.proxy;

import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditLog;
import dev.berth.audit.AuditResult;
import dev.berth.audit.DecisionIds;
import dev.berth.daemon.DaemonObjects;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.BodyKind;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.RouteMatch;
import dev.berth.policy.docker.TarSanitizer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: judges each request and relays what is allowed.
 *
 * <p>Design note. The connection is a state machine driven by one message at a time: the
 * pipeline has {@code AUTO_READ} off and a {@code FlowControlHandler} after the HTTP codec, so a
 * message arrives only when this handler asks for it with {@code read()}. That gives three
 * guarantees. (1) Every request on a keep-alive or pipelined connection is judged on its own,
 * after the previous exchange finished; nothing is allowed per connection. (2) Backpressure: the
 * next piece is read from one side only when the write of the previous piece to the other side
 * has completed, so a slow reader never makes berth buffer without bound. (3) The upstream only
 * ever receives messages this class built from the canonical request: a new request head with
 * allowlisted headers, and either berth's own serialisation of a judged JSON body or the decoded
 * content of a streamed body, re-framed by Netty's encoder.
 *
 * <p>Hijack: attach and exec start may turn the connection into a raw duplex stream. berth switches
 * to byte relaying only when the daemon's response says so ({@code 101}, or {@code 200} with a
 * Docker raw or multiplexed stream type) on a route that hijacks; then it removes the HTTP codecs
 * on both sides, and propagates half-close (stdin EOF) with {@code shutdownOutput}. A connection
 * that has been hijacked never carries another HTTP request.
 *
 * <p>Audit: every decision is recorded (see {@link #record}); a state-changing request is
 * forwarded only once its record is on disk, and the result (status, created object, duration)
 * follows when the exchange ends.
 *
 * <p>Threads: everything runs on the client channel's event loop; the upstream channel is
 * registered on the same loop (see {@link UpstreamPool}). Audit completions hop back onto it.
 *
 * <p>Size: the class is long because the exchange is one state machine whose transitions
 * (request head, body, response, tunnel, half-close, refusal) share its state; splitting it
 * would spread that state over several objects that must then agree on it.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter implements Exchange {
  private static final Logger LOG = LoggerFactory.getLogger(ClientHandler.class);
  /** berth's own metrics, for administrators (see {@link #serveMetrics}). */
  static final String METRICS_PATH = "/berth/metrics";
  /** moby's limit for bodies sent to authorization plugins; berth inspects no more than this. */
  static final int MAX_JSON_BODY = 4 * 1024 * 1024;
  /** Bodies of routes that take none are read only to check they are empty. */
  private static final int MAX_EMPTY_BODY = 4096;
  private static final List<AsciiString> FORWARDED_HEADERS = List.of(
      HttpHeaderNames.USER_AGENT, HttpHeaderNames.ACCEPT,
      AsciiString.cached("X-Registry-Auth"), AsciiString.cached("X-Registry-Config"),
      AsciiString.cached("X-Docker-Expose-Session-Uuid"),
      AsciiString.cached("X-Docker-Expose-Session-Name"),
      AsciiString.cached("X-Docker-Expose-Session-Sharedkey"));

  private final ChannelFutureListener closeBothOnFailure = f -> {
    if (!f.isSuccess()) {
      closeBoth();
    }
  };

  /** Actions whose response names the object they created. */
  private static final java.util.Set<dev.berth.policy.Action> CREATES = java.util.EnumSet.of(
      dev.berth.policy.Action.CONTAINER_CREATE, dev.berth.policy.Action.EXEC_CREATE,
      dev.berth.policy.Action.VOLUME_CREATE, dev.berth.policy.Action.NETWORK_CREATE,
      dev.berth.policy.Action.CONTAINER_COMMIT);
  private static final int MAX_CREATED_BODY = 4096;
  /** The most of an answer berth holds back to rewrite or claim ({@code system df}, exec). */
  private static final int MAX_HELD_ANSWER = 16 * 1024 * 1024;
  /** How much of a refused upload berth reads and drops before it closes anyway. */
  private static final long MAX_DRAIN = 64L * 1024 * 1024;
  private static final long DRAIN_SECONDS = 10;

  /** Headers that must appear at most once (corpus AUTHZ-04). */
  private static final List<AsciiString> SINGLE_VALUED = List.of(HttpHeaderNames.HOST,
      HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.UPGRADE,
      AsciiString.cached("X-Registry-Auth"), AsciiString.cached("X-Registry-Config"));

  private enum State {
    READY, AGGREGATING, STREAMING_REQUEST, AWAITING_RESPONSE, TUNNEL, CLOSED,
    /** The engine is asking the daemon about the object the request names (off the loop). */
    DECIDING,
    /** Refused at the head; the (empty) end of that request is still to be read and dropped. */
    SKIPPING_REQUEST_END,
    /**
     * Refused while the client is still sending a body (a streamed upload such as docker cp):
     * the refusal has been written, the rest of the body is read and dropped, then the connection
     * closes. Closing at once would make the client's next write fail (EPIPE) before it reads the
     * answer, and the user would see "broken pipe" instead of the reason.
     */
    DRAINING
  }

  private final Supplier<PolicyEngine> engines;
  private final PeerIdentity identity;
  private final UpstreamPool upstreams;
  private final AuditLog audit;
  private final DaemonObjects objects;
  private final java.util.concurrent.Executor lookups;
  private final Metrics metrics;

  private ChannelHandlerContext ctx;
  private Principal principal;
  private String identityError;
  private State state = State.READY;
  private boolean clientInputClosed;
  /** The current request's last content has been read from the client. */
  private boolean requestEnded;
  private boolean wantClientMessage;

  // The current exchange.
  /** The policy in force when the request arrived; a reload never changes it mid-request. */
  private PolicyEngine engine;
  private String decisionId;
  private long arrivedNanos;
  /** The daemon's status for a forwarded request, 0 until it answers; -1 once its result is recorded. */
  private int upstreamStatus;
  /** The start of a create response's JSON body, kept to record the created object's id. */
  private java.io.ByteArrayOutputStream createdBody;
  private CanonicalRequest head;
  private RouteMatch route;
  private HttpRequest clientRequest;
  private CompositeByteBuf body;
  private int bodyLimit;
  private Channel upstream;
  private boolean requestComplete;
  private boolean responseStarted;
  private boolean keepAlive;
  private boolean upstreamInputClosed;
  /** A response is being relayed and more of it is expected from the daemon. */
  private boolean responseOpen;
  private boolean flushPending;
  private boolean readUpstreamWhenWritable;
  /** Rewrites a streamed tar body ({@code docker cp} into a container), or null. */
  private TarSanitizer tarSanitizer;
  /** What to do with the daemon's answer to the current request. */
  private Decision.FollowUp followUp = Decision.FollowUp.NONE;
  /** The head of an answer held back until it is complete (see {@link #holdsAnswer}), or null. */
  private HttpResponse heldAnswer;
  private CompositeByteBuf heldBody;
  /** How long the engine took on the current request. */
  private long decisionNanos;
  /** Bytes of a refused body dropped so far (state DRAINING). */
  private long drained;
  /** Whether the current exchange counts as an open stream in {@link Metrics}. */
  private boolean streamCounted;

  ClientHandler(Supplier<PolicyEngine> engines, PeerIdentity identity, UpstreamPool upstreams,
      AuditLog audit, DaemonObjects objects, java.util.concurrent.Executor lookups,
      Metrics metrics) {
    this.audit = audit;
    this.metrics = metrics;
    this.objects = objects;
    this.lookups = lookups;
    this.engines = engines;
    this.identity = identity;
    this.upstreams = upstreams;
  }

  // ---- client side -------------------------------------------------------------------------

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    metrics.connectionOpened();
    try {
      principal = identity.resolve(ctx.channel());
    } catch (PeerIdentity.IdentityException e) {
      identityError = e.getMessage();
      LOG.atWarn().addKeyValue("reason", identityError).log("caller not identified");
    }
    readClient();
  }

  /**
   * Asks for the next message from the client. A {@code read()} may also end in a read-complete
   * event without any message (the FlowControlHandler counts it as satisfied then), so the wish is
   * remembered and renewed in {@link #channelReadComplete} until a message arrives.
   */
  private void readClient() {
    wantClientMessage = true;
    ctx.read();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (wantClientMessage && state != State.CLOSED) {
      ctx.read();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    wantClientMessage = false;
    if (state == State.TUNNEL) {
      if (msg instanceof ByteBuf buf) {
        upstream.writeAndFlush(buf).addListener(readNextFromClientOrClose());
      } else {
        ReferenceCountUtil.release(msg);
        closeBoth();
      }
      return;
    }
    if (msg instanceof HttpRequest req) {
      onRequestHead(req);
    } else if (msg instanceof HttpContent content) {
      onRequestContent(content);
    } else {
      ReferenceCountUtil.release(msg);
      closeBoth();
    }
  }

  private void onRequestHead(HttpRequest req) {
    ReferenceCountUtil.release(req);
    if (state != State.READY) {
      closeBoth();
      return;
    }
    clientRequest = req;
    engine = engines.get();
    decisionId = DecisionIds.next();
    arrivedNanos = System.nanoTime();
    upstreamStatus = -1;
    createdBody = null;
    body = null;
    tarSanitizer = null;
    followUp = Decision.FollowUp.NONE;
    decisionNanos = 0;
    requestComplete = false;
    requestEnded = false;
    responseStarted = false;
    upstreamInputClosed = false;
    keepAlive = HttpUtil.isKeepAlive(req);
    boolean hasBody = HttpUtil.isTransferEncodingChunked(req)
        || HttpUtil.getContentLength(req, 0L) > 0;

    if (req.decoderResult().isFailure()) {
      reject(HttpResponseStatus.BAD_REQUEST, "berth: malformed HTTP request ("
          + req.decoderResult().cause().getMessage() + ")", false);
      return;
    }
    String framingProblem = framingProblem(req);
    if (framingProblem != null) {
      reject(HttpResponseStatus.BAD_REQUEST, "berth: " + framingProblem, false);
      return;
    }
    try {
      head = CanonicalRequest.parse(req.method().name(), req.uri());
    } catch (RequestException e) {
      reject(HttpResponseStatus.BAD_REQUEST, "berth: " + e.getMessage(), false);
      return;
    }
    if (principal == null) {
      reject(HttpResponseStatus.FORBIDDEN, "berth: you could not be identified ("
          + identityError + ")", false);
      return;
    }
    if (head.path().equals(METRICS_PATH) && head.method().equals("GET")) {
      route = null;
      serveMetrics(!hasBody);
      return;
    }
    route = engine.route(head).orElse(null);
    if (route == null) {
      refuse(engine.evaluate(principal, head, null), !hasBody);
      return;
    }
    if (route.route().body() == BodyKind.STREAM) {
      decide(null, d -> {
        if (d instanceof Decision.Allow allow) {
          state = State.STREAMING_REQUEST;
          followUp = allow.followUp();
          tarSanitizer = allow.forward().body() instanceof CanonicalRequest.Body.Stream st
              ? st.tarOwner().map(o -> new TarSanitizer(o.uid(), o.gid())).orElse(null) : null;
          whenRecorded(allow, () -> forward(allow.forward(), null, hasBody), !hasBody);
        } else {
          refuse(d, !hasBody);
        }
      });
      return;
    }
    state = State.AGGREGATING;
    bodyLimit = route.route().body() == BodyKind.NONE ? MAX_EMPTY_BODY : MAX_JSON_BODY;
    body = ctx.alloc().compositeBuffer(1024);
    readClient();
  }

  private void onRequestContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    if (last) {
      requestEnded = true;
    }
    if (state == State.DRAINING) {
      drained += content.content().readableBytes();
      content.release();
      if (last || drained > MAX_DRAIN) {
        closeClientAfterFlush();
      } else {
        readClient();
      }
      return;
    }
    if (state == State.SKIPPING_REQUEST_END) {
      content.release();
      if (last) {
        state = State.READY;
        readClient();
      } else if (content.content().isReadable()) {
        closeBoth(); // a body nobody announced
      } else {
        readClient();
      }
      return;
    }
    if (content.decoderResult().isFailure()) {
      content.release();
      reject(HttpResponseStatus.BAD_REQUEST, "berth: malformed request body ("
          + content.decoderResult().cause().getMessage() + ")", false);
      return;
    }
    switch (state) {
      case AGGREGATING -> {
        ByteBuf data = content.content();
        if (body.readableBytes() + data.readableBytes() > bodyLimit) {
          content.release();
          releaseBody();
          reject(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "berth: request body larger than "
              + bodyLimit + " bytes, the most berth inspects for this endpoint", false);
          return;
        }
        body.addComponent(true, data.retain());
        content.release();
        if (!last) {
          readClient();
          return;
        }
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        releaseBody();
        decide(bytes, d -> {
          if (d instanceof Decision.Allow allow) {
            byte[] out = allow.forward().body() instanceof CanonicalRequest.Body.Json json
                ? DockerJson.write(json.value()) : null;
            state = State.AWAITING_RESPONSE;
            followUp = allow.followUp();
            whenRecorded(allow, () -> forward(allow.forward(), out, false), true);
          } else {
            refuse(d, true);
          }
        });
      }
      case STREAMING_REQUEST -> {
            if (upstream == null) {
          content.release();
          closeBoth();
          return;
        }
        ByteBuf data = content.content();
        if (tarSanitizer != null) {
          try {
            data = sanitize(content, last);
          } catch (RequestException e) {
            reject(HttpResponseStatus.BAD_REQUEST, "berth: " + e.getMessage(), false);
            return;
          }
        }
        // Trailers are never forwarded: nothing judged them.
        HttpContent copy = last ? new DefaultLastHttpContent(data) : new DefaultHttpContent(data);
        upstream.writeAndFlush(copy).addListener((ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            closeBoth();
          } else if (last) {
            requestComplete = true;
            if (state == State.STREAMING_REQUEST) {
              state = State.AWAITING_RESPONSE;
            }
          } else {
            readClient();
          }
        });
      }
      default -> {
        content.release();
        closeBoth();
      }
    }
  }

  /** Runs a piece of a streamed tar body through the sanitizer; releases {@code content}. */
  private ByteBuf sanitize(HttpContent content, boolean last) throws RequestException {
    byte[] in = new byte[content.content().readableBytes()];
    content.content().readBytes(in);
    content.release();
    byte[] out = tarSanitizer.next(in);
    if (last) {
      tarSanitizer.finish();
    }
    return Unpooled.wrappedBuffer(out);
  }

  /** What berth refuses in the framing itself, before any policy runs. */
  private static String framingProblem(HttpRequest req) {
    if (req.protocolVersion() != HttpVersion.HTTP_1_1) {
      return "only HTTP/1.1 is supported";
    }
    HttpHeaders h = req.headers();
    List<String> te = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (te.size() > 1 || (te.size() == 1 && !te.get(0).strip().equalsIgnoreCase("chunked"))) {
      return "Transfer-Encoding must be exactly 'chunked'";
    }
    if (!te.isEmpty() && h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      return "Content-Length and Transfer-Encoding must not both be present";
    }
    for (AsciiString name : SINGLE_VALUED) {
      if (h.getAll(name).size() > 1) {
        // Go's Header.Get takes the first value; a filter taking the last judges another request
        return name + " must not be given more than once";
      }
    }
    List<String> upgrade = h.getAll(HttpHeaderNames.UPGRADE);
    if (upgrade.size() > 1
        || (upgrade.size() == 1 && !upgrade.get(0).strip().equalsIgnoreCase("tcp"))) {
      return "only 'Upgrade: tcp' (attach, exec) is supported; HTTP/2 and other protocols are not";
    }
    String type = h.get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
    if (type.startsWith("application/x-www-form-urlencoded")
        || type.startsWith("multipart/")) {
      return "form-encoded and multipart bodies are not accepted (dockerd would read them as "
          + "query parameters)";
    }
    return null;
  }

  // ---- relaying ----------------------------------------------------------------------------

  /**
   * Evaluates the current request and continues with the decision on this connection's loop.
   * A request that names an existing object is evaluated on a virtual thread, because the engine
   * then asks the daemon who owns the object; nothing is read from the client meanwhile.
   */
  private void decide(byte[] bytes, java.util.function.Consumer<Decision> then) {
    PolicyEngine e = engine;
    Principal who = principal;
    CanonicalRequest request = head;
    long t0 = System.nanoTime();
    if (!e.consultsDirectory(who, route)) {
      Decision d = e.evaluate(who, request, bytes, objects);
      decisionNanos = System.nanoTime() - t0;
      then.accept(d);
      return;
    }
    State resume = state;
    state = State.DECIDING;
    lookups.execute(() -> {
      Decision d = e.evaluate(who, request, bytes, objects);
      long took = System.nanoTime() - t0;
      ctx.executor().execute(() -> {
        decisionNanos = took;
        if (state != State.DECIDING) {
          return; // the connection closed meanwhile
        }
        state = resume;
        then.accept(d);
      });
    });
  }

  /**
   * Sends the judged request upstream.
   *
   * @param json berth's serialisation of the judged JSON body, or null
   * @param streamed whether body content follows as a stream
   */
  private void forward(CanonicalRequest request, byte[] json, boolean streamed) {
    Channel ch = upstreams.pollIdle(ctx.channel().eventLoop());
    if (ch != null) {
      sendUpstream(ch, request, json, streamed);
      return;
    }
    upstreams.connect(ctx.channel().eventLoop()).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        LOG.atError().addKeyValue("upstream", upstreams.describe())
            .addKeyValue("cause", String.valueOf(f.cause())).log("daemon unreachable");
        reject(HttpResponseStatus.BAD_GATEWAY, "berth: the Docker daemon is not reachable at "
            + upstreams.describe(), !streamed && keepAlive);
        return;
      }
      if (state == State.CLOSED) {
        f.channel().close();
        return;
      }
      sendUpstream(f.channel(), request, json, streamed);
    });
  }

  private void sendUpstream(Channel ch, CanonicalRequest request, byte[] json, boolean streamed) {
    upstreamStatus = 0; // a result record is now due
    upstream = ch;
    responseOpen = true;
    flushPending = false;
    readUpstreamWhenWritable = false;
    ((UpstreamHandler) ch.pipeline().get(UpstreamPool.HANDLER)).attach(this);
    HttpMethod method = HttpMethod.valueOf(request.method());
    HttpRequest out;
    if (streamed) {
      out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, request.target());
      if (HttpUtil.isTransferEncodingChunked(clientRequest)) {
        HttpUtil.setTransferEncodingChunked(out, true);
      } else {
        out.headers().set(HttpHeaderNames.CONTENT_LENGTH,
            HttpUtil.getContentLength(clientRequest, 0L));
      }
      copyType(out);
    } else {
      ByteBuf content = json == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(json);
      out = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, request.target(), content);
      out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
      if (json != null) {
        out.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
      }
      requestComplete = true;
    }
    HttpHeaders in = clientRequest.headers();
    out.headers().set(HttpHeaderNames.HOST, in.get(HttpHeaderNames.HOST, "docker"));
    for (AsciiString name : FORWARDED_HEADERS) {
      String v = in.get(name);
      if (v != null) {
        out.headers().set(name, v);
      }
    }
    if (route.route().hijacks() && in.contains(HttpHeaderNames.UPGRADE)) {
      out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      out.headers().set(HttpHeaderNames.UPGRADE, "tcp");
    }
    ch.writeAndFlush(out).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        if (!responseStarted) {
          reject(HttpResponseStatus.BAD_GATEWAY, "berth: lost the connection to the Docker "
              + "daemon", false);
        } else {
          closeBoth();
        }
        return;
      }
      ch.read();
      if (streamed) {
        readClient();
      }
    });
  }

  private void copyType(HttpRequest out) {
    String type = clientRequest.headers().get(HttpHeaderNames.CONTENT_TYPE);
    if (type != null) {
      out.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    }
  }

  // ---- upstream side -----------------------------------------------------------------------

  @Override
  public void onUpstreamRead(Object msg) {
    if (state == State.TUNNEL) {
      if (msg instanceof ByteBuf buf) {
        ctx.writeAndFlush(buf).addListener(readNextFromUpstreamOrClose());
      } else {
        ReferenceCountUtil.release(msg); // the codec's end marker after a 101
        upstream.read();
      }
      return;
    }
    if (state == State.CLOSED || !(msg instanceof HttpObject)) {
      ReferenceCountUtil.release(msg);
      closeBoth();
      return;
    }
    if (msg instanceof HttpResponse resp) {
      if (resp.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        closeBoth();
        return;
      }
      responseStarted = true;
      upstreamStatus = resp.status().code();
      if (CREATES.contains(route.route().action()) && resp.status().code() / 100 == 2) {
        createdBody = new java.io.ByteArrayOutputStream();
      }
      if (holdsAnswer(resp)) {
        heldAnswer = resp;
        heldBody = ctx.alloc().compositeBuffer(1024);
      }
      if (route.route().hijacks() && isHijack(resp)) {
        startTunnel(resp);
        return;
      }
      boolean framed = HttpUtil.isContentLengthSet(resp) || HttpUtil.isTransferEncodingChunked(resp)
          || head.method().equals("HEAD") || resp.status().code() == 204
          || resp.status().code() == 304;
      keepAlive = keepAlive && !clientInputClosed && HttpUtil.isKeepAlive(resp) && framed;
      if (!HttpUtil.isContentLengthSet(resp) && !head.method().equals("HEAD")) {
        countStream(); // logs -f, events, stats, pulls: open until the daemon ends them
      }
      stripHopByHop(resp.headers());
      if (!keepAlive) {
        resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
    }
    if (createdBody != null && msg instanceof HttpContent c
        && createdBody.size() < MAX_CREATED_BODY) {
      ByteBuf data = c.content();
      int n = Math.min(data.readableBytes(), MAX_CREATED_BODY - createdBody.size());
      byte[] part = new byte[n];
      data.getBytes(data.readerIndex(), part);
      createdBody.writeBytes(part);
    }
    if (heldAnswer != null) {
      holdAnswerPart(msg);
      return;
    }
    if (msg instanceof LastHttpContent) {
      responseOpen = false;
      int status = upstreamStatus;
      String created = createdId();
      recordResult();
      flushPending = false;
      afterClaims(status, created, () -> ctx.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
        if (f.isSuccess()) {
          responseComplete();
        } else {
          closeBoth();
        }
      }));
    } else {
      // Flushed once per upstream read cycle (onUpstreamReadComplete): a small response goes out
      // in one write instead of one per part.
      ctx.write(msg).addListener(closeBothOnFailure);
      flushPending = true;
    }
  }

  /**
   * Whether the answer is held back until complete: a successful {@code system df} (rewritten
   * for the caller) and a created exec (claimed for the caller before the caller learns its id).
   */
  private boolean holdsAnswer(HttpResponse resp) {
    return resp.status().code() / 100 == 2
        && (followUp instanceof Decision.FollowUp.FilterResponse
        || followUp instanceof Decision.FollowUp.MapNames
        || followUp instanceof Decision.FollowUp.ClaimExec);
  }

  private void holdAnswerPart(Object msg) {
    if (msg instanceof HttpContent c) {
      if (heldBody.readableBytes() + c.content().readableBytes() > MAX_HELD_ANSWER) {
        c.release();
        closeBoth();
        return;
      }
      heldBody.addComponent(true, c.content().retain());
      c.release();
    }
    if (!(msg instanceof LastHttpContent)) {
      return; // onUpstreamReadComplete reads on while responseOpen
    }
    responseOpen = false;
    byte[] bytes = new byte[heldBody.readableBytes()];
    heldBody.readBytes(bytes);
    heldBody.release();
    heldBody = null;
    HttpResponse head = heldAnswer;
    heldAnswer = null;
    recordResult();
    io.netty.handler.codec.http.FullHttpResponse out;
    try {
      out = completeHeldAnswer(head, bytes);
    } catch (RequestException e) {
      LOG.atWarn().addKeyValue("cause", e.getMessage()).log("daemon answer not understood");
      reject(HttpResponseStatus.BAD_GATEWAY, "berth: the daemon's answer could not be checked ("
          + e.getMessage() + ")", false);
      return;
    }
    ctx.writeAndFlush(out).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        responseComplete();
      } else {
        closeBoth();
      }
    });
  }

  private io.netty.handler.codec.http.FullHttpResponse completeHeldAnswer(HttpResponse head,
      byte[] bytes) throws RequestException {
    byte[] body = bytes;
    switch (followUp) {
      case Decision.FollowUp.FilterResponse f ->
          body = DockerJson.write(f.filter().apply(DockerJson.parse(bytes)));
      case Decision.FollowUp.MapNames m ->
          body = DockerJson.write(m.mapping().apply(DockerJson.parse(bytes)));
      case Decision.FollowUp.ClaimExec c -> {
        String id = DockerJson.parse(bytes).path("Id").asText("");
        if (id.isEmpty()) {
          throw RequestException.bad("an exec create answer without an Id");
        }
        objects.store().claimExec(id, c.owner());
      }
      default -> { }
    }
    var out = new io.netty.handler.codec.http.DefaultFullHttpResponse(head.protocolVersion(),
        head.status(), Unpooled.wrappedBuffer(body));
    out.headers().set(head.headers());
    out.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
    out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return out;
  }

  /**
   * Runs {@code next} (the end of a successful answer) after the image it named is claimed for
   * the caller, so that the caller's next command already finds the tag theirs.
   */
  private void afterClaims(int status, String createdId, Runnable next) {
    if (!(followUp instanceof Decision.FollowUp.ClaimImage claim) || status / 100 != 2) {
      next.run();
      return;
    }
    lookups.execute(() -> {
      try {
        if (claim.ref().isEmpty()) {
          if (!createdId.isEmpty()) {
            objects.store().claimImage(createdId, claim.owner());
          }
        } else {
          objects.image(claim.ref()).filter(i -> i.tags().containsKey(claim.ref()))
              .ifPresent(i -> objects.store().claimTag(claim.ref(), i.id(), claim.owner()));
        }
      } catch (dev.berth.policy.ObjectDirectory.LookupException e) {
        LOG.atWarn().addKeyValue("image", claim.ref()).addKeyValue("cause", e.getMessage())
            .log("image not claimed; it stays nobody's");
      }
      ctx.executor().execute(next);
    });
  }

  /**
   * The end of one read from the daemon: flush what was relayed, and read on while the client
   * keeps up. When the client's buffer is full, reading resumes in
   * {@link #channelWritabilityChanged} (backpressure for logs -f, events, exports).
   */
  @Override
  public void onUpstreamReadComplete() {
    if (state == State.TUNNEL || state == State.CLOSED || upstream == null) {
      return;
    }
    if (flushPending) {
      flushPending = false;
      ctx.flush();
    }
    if (responseOpen) {
      if (ctx.channel().isWritable()) {
        upstream.read();
      } else {
        readUpstreamWhenWritable = true;
      }
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && readUpstreamWhenWritable && upstream != null) {
      readUpstreamWhenWritable = false;
      upstream.read();
    }
  }

  private void responseComplete() {
    if (!requestComplete) {
      // The daemon answered before the request body ended: the upstream connection holds a
      // partial request and must not be reused, and the client may still be sending.
      keepAlive = false;
    }
    finishExchange();
  }

  private void countStream() {
    if (!streamCounted) {
      streamCounted = true;
      metrics.streamOpened();
    }
  }

  private void uncountStream() {
    if (streamCounted) {
      streamCounted = false;
      metrics.streamClosed();
    }
  }

  /**
   * {@code GET /berth/metrics}: berth's own counters for administrators (a passthrough role or
   * scope all); everyone else is refused. Not a Docker endpoint, so it never reaches the daemon.
   */
  private void serveMetrics(boolean bodyConsumed) {
    var grant = engine.policy().grantOf(principal);
    boolean admin = grant.isPresent() && (grant.get().role().passthrough()
        || grant.get().role().scope() == dev.berth.policy.Scope.ALL);
    if (!admin) {
      refuse(Decision.forbidden("metrics", "berth: metrics are for administrators"),
          bodyConsumed);
      return;
    }
    record(new Decision.Allow("metrics", head, List.of()));
    byte[] text = metrics.render().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    var r = new io.netty.handler.codec.http.DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.OK, Unpooled.wrappedBuffer(text));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
    boolean keep = keepAlive && bodyConsumed && !clientInputClosed;
    if (!keep) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    writeOwnAnswer(r, keep);
  }

  private void finishExchange() {
    uncountStream();
    Channel up = upstream;
    upstream = null;
    if (up != null) {
      if (keepAlive && requestComplete && !upstreamInputClosed) {
        upstreams.release(up);
      } else {
        up.close();
      }
    }
    if (!keepAlive || clientInputClosed) {
      closeClientAfterFlush();
      return;
    }
    state = State.READY;
    readClient();
  }

  private static boolean isHijack(HttpResponse resp) {
    if (resp.status().code() == 101) {
      return true;
    }
    String type = resp.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
    return resp.status().code() == 200
        && (type.startsWith("application/vnd.docker.raw-stream")
        || type.startsWith("application/vnd.docker.multiplexed-stream"));
  }

  private void startTunnel(HttpResponse resp) {
    state = State.TUNNEL;
    recordResult();
    countStream();
    HttpHeaders h = resp.headers();
    boolean upgraded = resp.status().code() == 101;
    stripHopByHop(h);
    if (upgraded) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      h.set(HttpHeaderNames.UPGRADE, "tcp");
      ctx.write(resp);
      ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
    } else {
      ctx.write(resp);
    }
    ctx.flush();
    // From here on both connections carry raw bytes. Removing the codecs hands any bytes they
    // already buffered to the next handler, in order.
    ProxyChannelInitializer.removeHttpHandlers(ctx.pipeline());
    upstream.pipeline().remove(UpstreamPool.CODEC);
    LOG.atDebug().addKeyValue("user", principal.name()).log("connection hijacked");
    readClient();
    upstream.read();
  }

  @Override
  public void onUpstreamInputShutdown() {
    upstreamInputClosed = true;
    if (state == State.TUNNEL) {
      if (clientInputClosed) {
        closeClientAfterFlush();
      } else {
        shutdownOutputAfterWrites(ctx.channel());
      }
    }
  }

  @Override
  public void onUpstreamClosed() {
    if (state == State.CLOSED) {
      return;
    }
    if (state != State.TUNNEL && !responseStarted) {
      upstream = null;
      reject(HttpResponseStatus.BAD_GATEWAY, "berth: the Docker daemon closed the connection "
          + "without answering", false);
      return;
    }
    closeClientAfterFlush();
  }

  // ---- client events -----------------------------------------------------------------------

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      clientInputClosed = true;
      if (state == State.TUNNEL) {
        if (upstream != null) {
          shutdownOutputAfterWrites(upstream); // stdin EOF reaches the container
        }
        if (upstreamInputClosed) {
          closeBoth();
        }
      } else if (state == State.READY || state == State.SKIPPING_REQUEST_END
          || state == State.DRAINING || responseStarted) {
        // A client that hangs up while a response streams (events, logs -f, wait) is gone:
        // closing the daemon side cancels the request there, as dockerd itself does when its
        // client goes. A response that has not started yet is still delivered, then the
        // connection closes.
        closeBoth();
      }
    }
    ReferenceCountUtil.release(evt);
  }

  /**
   * Half-closes {@code ch} once everything written to it so far has gone out: Netty's
   * {@code shutdownOutput} fails writes still queued, which would cut the end of a stream.
   */
  private static void shutdownOutputAfterWrites(Channel ch) {
    ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
      if (ch.isActive()) {
        var tls = ch.pipeline().get(io.netty.handler.ssl.SslHandler.class);
        if (tls != null) {
          tls.closeOutbound(); // TLS half-close: close_notify, what Go's CloseWrite reads as EOF
        } else {
          ((DuplexChannel) ch).shutdownOutput();
        }
      }
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = State.CLOSED;
    metrics.connectionClosed();
    uncountStream();
    recordResult(); // a stream the client left, or a request the daemon never answered
    releaseBody();
    if (upstream != null) {
      upstream.close(); // a client that goes away releases the daemon side (events, logs -f)
      upstream = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.atDebug().addKeyValue("cause", String.valueOf(cause)).log("client connection failed");
    closeBoth();
  }

  // ---- refusals and closing ----------------------------------------------------------------

  /** Sends a policy refusal; keeps the connection only if no unread body is pending. */
  private void refuse(Decision d, boolean bodyConsumed) {
    record(d);
    boolean keep = keepAlive && bodyConsumed && !clientInputClosed;
    if (!bodyConsumed && !requestEnded && !clientInputClosed && state != State.CLOSED) {
      drainThenClose(DockerErrors.of(d, false));
      return;
    }
    writeOwnAnswer(DockerErrors.of(d, keep), keep);
  }

  /** Answers, then reads and drops the rest of the request body, then closes (see DRAINING). */
  private void drainThenClose(Object response) {
    releaseBody();
    if (upstream != null) {
      upstream.close();
      upstream = null;
    }
    state = State.DRAINING;
    drained = 0;
    ctx.executor().schedule(() -> {
      if (state == State.DRAINING) {
        closeClientAfterFlush();
      }
    }, DRAIN_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
    ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        readClient();
      } else {
        closeBoth();
      }
    });
  }

  private void reject(HttpResponseStatus status, String message, boolean keep) {
    record(Decision.badRequest("http_" + status.code(), message));
    keep = keep && keepAlive && !clientInputClosed;
    writeOwnAnswer(DockerErrors.of(status, message, keep), keep);
  }

  /** Writes an answer berth makes itself (a refusal, the metrics); nothing goes upstream. */
  private void writeOwnAnswer(Object response, boolean keep) {
    releaseBody();
    if (upstream != null) {
      upstream.close();
      upstream = null;
    }
    if (state == State.CLOSED) {
      ReferenceCountUtil.release(response);
      return;
    }
    if (keep) {
      state = requestEnded ? State.READY : State.SKIPPING_REQUEST_END;
      ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
        if (f.isSuccess()) {
          readClient();
        } else {
          closeBoth();
        }
      });
    } else {
      state = State.CLOSED;
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /**
   * Runs {@code next} once the decision is recorded: for state-changing requests only after the
   * record is on disk, so that nothing the daemon does goes unrecorded; if it cannot be written,
   * the request is refused instead (fail closed). Reads are forwarded at once, their records
   * follow in the same group commit.
   */
  private void whenRecorded(Decision.Allow allow, Runnable next, boolean bodyConsumed) {
    CompletableFuture<Long> written = record(allow);
    String method = allow.forward().method();
    if (method.equals("GET") || method.equals("HEAD")) {
      next.run();
      return;
    }
    written.whenComplete((seq, error) -> ctx.executor().execute(() -> {
      if (state == State.CLOSED) {
        return;
      }
      if (error != null) {
        LOG.atError().addKeyValue("audit", audit.file()).addKeyValue("cause", error.toString())
            .log("audit record not written; request refused");
        reject(HttpResponseStatus.SERVICE_UNAVAILABLE, "berth: the audit trail cannot be "
            + "written, so berth refuses changes; tell your administrator", bodyConsumed);
        return;
      }
      next.run();
    }));
  }

  /**
   * Appends the result of a forwarded request once: the daemon's status, the id of a created
   * object (from the {@code Id} or {@code Name} of the response), and the time taken.
   */
  private void recordResult() {
    if (upstreamStatus < 0) {
      return;
    }
    if (!streamCounted && state != State.TUNNEL) {
      metrics.relayed(System.nanoTime() - arrivedNanos);
    }
    audit.append(new AuditResult(decisionId, upstreamStatus, createdId(),
        (System.nanoTime() - arrivedNanos) / 1_000_000));
    upstreamStatus = -1;
    createdBody = null;
  }

  /** The id of the object a create answer names ({@code Id}, or a volume's {@code Name}). */
  private String createdId() {
    if (createdBody == null || createdBody.size() == 0) {
      return "";
    }
    try {
      var json = DockerJson.parse(createdBody.toByteArray());
      return json.path("Id").asText(json.path("Name").asText(""));
    } catch (RequestException e) {
      return ""; // not the JSON a create answers with (or longer than berth keeps)
    }
  }

  /** Logs a decision and appends it to the audit trail. */
  private CompletableFuture<Long> record(Decision d) {
    log(d);
    metrics.decided(route == null ? "" : route.route().action().id(), switch (d) {
      case Decision.Allow a -> "allow";
      case Decision.Deny x -> "deny";
      case Decision.Indeterminate i -> "error";
    }, d.rule(), decisionNanos);
    String decision = switch (d) {
      case Decision.Allow a -> "allow";
      case Decision.Deny x -> "deny";
      case Decision.Indeterminate i -> "error";
    };
    String reason = switch (d) {
      case Decision.Allow a -> "";
      case Decision.Deny x -> x.reason();
      case Decision.Indeterminate i -> i.detail();
    };
    List<String> rewrites = d instanceof Decision.Allow a ? a.rewrites() : List.of();
    Principal p = principal;
    AuditEvent event = new AuditEvent(decisionId == null ? "" : decisionId, decision, d.rule(),
        reason, p == null ? -1 : p.uid(),
        p == null ? "" : p.name(), p == null ? -1 : p.gid(), p == null ? -1 : p.pid(),
        p == null || p.loginUid() == p.uid() ? -1 : p.loginUid(),
        route == null ? "" : route.route().action().id(),
        head == null ? clientRequest.method().name() : head.method(),
        head == null ? "(unparsed)" : head.path(), rewrites,
        engine == null ? "" : engine.policy().digest(), p == null ? "" : p.tlsSubject());
    return audit.append(event);
  }

  private void log(Decision d) {
    var event = d instanceof Decision.Allow ? LOG.atDebug() : LOG.atInfo();
    event.addKeyValue("user", principal == null ? "?" : principal.name())
        .addKeyValue("uid", principal == null ? -1 : principal.uid())
        .addKeyValue("method", head == null ? "?" : head.method())
        .addKeyValue("path", head == null ? "?" : head.path())
        .addKeyValue("decision", d.getClass().getSimpleName().toLowerCase(Locale.ROOT))
        .addKeyValue("rule", d.rule())
        .log("decision");
  }

  private ChannelFutureListener readNextFromClientOrClose() {
    return f -> {
      if (f.isSuccess()) {
        readClient();
      } else {
        closeBoth();
      }
    };
  }

  private ChannelFutureListener readNextFromUpstreamOrClose() {
    return f -> {
      if (f.isSuccess() && upstream != null) {
        upstream.read();
      } else {
        closeBoth();
      }
    };
  }

  private void closeClientAfterFlush() {
    state = State.CLOSED;
    if (upstream != null) {
      upstream.close();
      upstream = null;
    }
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  private void closeBoth() {
    state = State.CLOSED;
    releaseBody();
    if (upstream != null) {
      upstream.close();
      upstream = null;
    }
    ctx.close();
  }

  private void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
  }

  private static void stripHopByHop(HttpHeaders h) {
    h.remove(HttpHeaderNames.CONNECTION);
    h.remove(HttpHeaderNames.KEEP_ALIVE);
    h.remove(HttpHeaderNames.PROXY_AUTHENTICATE);
    h.remove(HttpHeaderNames.TE);
    h.remove(HttpHeaderNames.TRAILER);
    h.remove(HttpHeaderNames.UPGRADE);
    h.remove("Proxy-Connection");
  }
}
