package dev.berth.buildkit;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import moby.buildkit.v1.ControlOuterClass;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Terminates HTTP/2 on both legs of a hijacked {@code /grpc} or {@code /session} connection and
 * relays it stream by stream, judging each call (issue 14, item 2).
 *
 * <p>Design note. After the daemon's {@code 101} both connections speak HTTP/2 (h2c, prior
 * knowledge). berth runs Netty's HTTP/2 codec on each: as the server where the peer is the gRPC
 * client (the CLI on {@code /grpc}, the daemon on {@code /session}) and as the client on the other
 * leg. Every stream the gRPC client opens is judged before anything of it goes on: the {@code
 * :path} against the allowed methods, and on {@code /grpc} the request message (exactly one per
 * call, uncompressed, at most {@link #MAX_MESSAGE} bytes) by {@link CallJudge}; the judged
 * (possibly re-encoded) message is sent on a new stream of the other leg once the record of the
 * call is durable. Responses are relayed as they come, except the progress of a build ({@code
 * Control/Status}), whose messages are given back the caller's image names ({@link StatusNames}).
 * On {@code /session} the calls stream both ways, so each message in either direction is cut out of
 * the DATA frames ({@link GrpcMessages}) and judged by {@link SessionCall} before it is relayed
 * (the Dockerfile's directory is held and read there). A refusal ends only that stream, with a gRPC
 * status in trailers; too many refusals, an idle connection or any protocol error close both
 * connections. Nothing is byte-spliced.
 *
 * <p>Limits (after sockguard's and the HTTP/2 Rapid Reset advisories, CVE-2023-44487): 100
 * concurrent streams per connection, 16 MiB per request message, 256 refused streams per
 * connection, 10 minutes without traffic.
 */
public final class H2Bridge {
  private static final Logger LOG = LoggerFactory.getLogger(H2Bridge.class);
  static final int MAX_MESSAGE = 16 * 1024 * 1024;
  private static final int MAX_STREAMS = 100;
  private static final int MAX_REFUSED = 256;

  /** The gRPC metadata that names the directory a FileSync call transfers. */
  private static final String DIR_NAME = "dir-name";

  /** The gRPC metadata that names the build an LLBBridge call belongs to. */
  private static final String BUILD_ID = "buildkit-controlapi-buildid";

  private static final int IDLE_SECONDS = 600;
  private static final int NOT_YET_TRIES = 80;
  private static final long NOT_YET_DELAY_MS = 100;

  /** Which hijacked endpoint this is. */
  public enum Endpoint {
    /** The client calls the daemon's control and gateway APIs. */
    GRPC,
    /** The daemon calls the client's session services. */
    SESSION
  }

  private final Endpoint endpoint;
  private final BuildCaller caller;
  private final CallJudge judge;
  private final Executor judging;
  private final AtomicInteger refused = new AtomicInteger();
  private final Channel client;
  private final Channel upstream;

  /**
   * A bridge between the hijacked {@code client} connection and its {@code upstream} to the daemon.
   */
  public H2Bridge(
      Endpoint endpoint,
      BuildCaller caller,
      CallJudge judge,
      Executor judging,
      Channel client,
      Channel upstream) {
    this.endpoint = endpoint;
    this.caller = caller;
    this.judge = judge;
    this.judging = judging;
    this.client = client;
    this.upstream = upstream;
  }

  /** Installs the HTTP/2 codecs, in each pipeline after the named handler. */
  public void install(String clientAfter, String upstreamAfter) {
    boolean clientCallsIn = endpoint == Endpoint.GRPC;
    addCodec(client.pipeline(), clientAfter, clientCallsIn);
    addCodec(upstream.pipeline(), upstreamAfter, !clientCallsIn);
    client.closeFuture().addListener(f -> upstream.close());
    upstream.closeFuture().addListener(f -> client.close());
  }

  /** Starts reading both connections. */
  public void start() {
    client.config().setAutoRead(true);
    upstream.config().setAutoRead(true);
    client.read();
    upstream.read();
  }

  @SuppressWarnings("deprecation") // Http2MultiplexCodec, see below
  private void addCodec(ChannelPipeline p, String after, boolean server) {
    Http2Settings settings =
        Http2Settings.defaultSettings()
            .maxConcurrentStreams(MAX_STREAMS)
            .maxHeaderListSize(64 * 1024);
    ChannelInitializer<Http2StreamChannel> inbound =
        new ChannelInitializer<>() {
          @Override
          protected void initChannel(Http2StreamChannel ch) {
            if (server) {
              ch.pipeline().addLast(new CallerStream());
            } else {
              ch.pipeline().addLast(new RefuseStream());
            }
          }
        };
    p.addAfter(
        after,
        "berth-h2-idle",
        new IdleStateHandler(0, 0, IDLE_SECONDS) {
          @Override
          protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
            ctx.close();
          }
        });
    if (server) {
      // Http2MultiplexHandler takes a connection for a server only when its channel has a
      // server parent; the daemon's leg of /session is a client socket on which berth serves,
      // and the daemon's stream 1 would be taken for an h2c upgrade. The multiplexing codec
      // asks the connection itself.
      p.addAfter(
          "berth-h2-idle",
          "berth-h2",
          Http2MultiplexCodecBuilder.forServer(inbound).initialSettings(settings).build());
      p.addAfter("berth-h2", "berth-h2-mux", new ChannelInboundHandlerAdapter());
    } else {
      Http2FrameCodec codec = Http2FrameCodecBuilder.forClient().initialSettings(settings).build();
      p.addAfter("berth-h2-idle", "berth-h2", codec);
      p.addAfter("berth-h2", "berth-h2-mux", new Http2MultiplexHandler(inbound));
    }
    p.addAfter(
        "berth-h2-mux",
        "berth-h2-errors",
        new ChannelInboundHandlerAdapter() {
          @Override
          public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.atWarn()
                .addKeyValue("leg", ctx.channel() == client ? "client" : "daemon")
                .addKeyValue("endpoint", endpoint)
                .addKeyValue("cause", cause.toString())
                .log("build connection failed");
            client.close();
            upstream.close();
          }
        });
  }

  /** The leg where the peer is the gRPC client. */
  private Channel callerParent() {
    return endpoint == Endpoint.GRPC ? client : upstream;
  }

  /** The leg where the peer serves. */
  private Channel calleeParent() {
    return endpoint == Endpoint.GRPC ? upstream : client;
  }

  /** Streams the serving side opens towards berth: none are expected (gRPC servers never do). */
  private static final class RefuseStream extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
      ctx.close();
    }
  }

  /** One call of the gRPC client: judged, then relayed to a stream of the other leg. */
  private final class CallerStream extends ChannelInboundHandlerAdapter {
    /** The other leg's stream, once it is open. */
    private @Nullable Http2StreamChannel callee;

    /** The call's headers, once they have arrived (the first frame of every stream). */
    private @Nullable Http2Headers headers;

    private String path = "";

    /** The request message being collected ({@code /grpc}); released when the stream closes. */
    private @Nullable ByteBuf request;

    private boolean judged;
    private boolean done;

    /** What waits for the other leg's stream to open; null once it is open. */
    private @Nullable List<Consumer<Http2StreamChannel>> pending;

    /** On /session: the call's judge, once its headers named an allowed method. */
    private @Nullable SessionCall session;

    /** On /session: the daemon's messages as they arrive; released when the stream closes. */
    private @Nullable GrpcMessages daemonMessages;

    /** Whether the answer's headers went to the gRPC client (a refusal is then trailers). */
    private boolean answered;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        read(ctx, msg);
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void read(ChannelHandlerContext ctx, Object msg) {
      if (done) {
        return;
      }
      if (msg instanceof Http2ResetFrame) {
        finish(ctx);
        return;
      }
      if (msg instanceof Http2HeadersFrame h && headers == null) {
        Http2Headers in = h.headers();
        headers = in;
        path = in.path() == null ? "" : String.valueOf(in.path());
        CharSequence encoding = in.get("grpc-encoding");
        if (endpoint == Endpoint.SESSION) {
          CharSequence dir = in.get(DIR_NAME);
          session =
              SessionCall.open(path, dir == null ? "" : dir.toString(), caller.pins()).orElse(null);
        }
        boolean allowed = endpoint == Endpoint.GRPC ? CallJudge.known(path) : session != null;
        if (!allowed) {
          refuse(
              ctx,
              new Verdict.Refuse(
                  Verdict.UNIMPLEMENTED,
                  "buildkit_method",
                  "berth: " + path + " is not allowed through berth"));
          return;
        }
        if (encoding != null && !encoding.toString().equals("identity")) {
          refuse(
              ctx,
              new Verdict.Refuse(
                  Verdict.UNIMPLEMENTED,
                  "buildkit_compression",
                  "berth: compressed gRPC messages are not accepted"));
          return;
        }
        if (endpoint == Endpoint.SESSION) {
          pending = new ArrayList<>();
          daemonMessages = new GrpcMessages(MAX_MESSAGE);
          record(
              ctx,
              new Verdict.Forward(new byte[0], ""),
              () -> relayHeaders(ctx, h.isEndStream(), null, c -> {}));
        } else {
          request = ctx.alloc().buffer();
          if (h.isEndStream()) {
            judgeRequest(ctx, 0);
          }
        }
        return;
      }
      if (msg instanceof Http2DataFrame d) {
        if (endpoint == Endpoint.SESSION) {
          relayDaemonData(ctx, d);
          return;
        }
        ByteBuf collected = request;
        if (collected == null) {
          // data before the call's headers: HTTP/2 opens every stream with headers
          refuse(
              ctx,
              new Verdict.Refuse(
                  Verdict.INVALID_ARGUMENT,
                  "buildkit_message",
                  "berth: a call's message came before its headers"));
          return;
        }
        if (judged || collected.readableBytes() + d.content().readableBytes() > MAX_MESSAGE + 5) {
          refuse(
              ctx,
              new Verdict.Refuse(
                  Verdict.RESOURCE_EXHAUSTED,
                  "buildkit_message",
                  "berth: one request message of at most " + MAX_MESSAGE + " bytes per call"));
          return;
        }
        collected.writeBytes(d.content());
        if (d.isEndStream()) {
          judgeRequest(ctx, 0);
        }
        return;
      }
      if (msg instanceof Http2HeadersFrame trailers
          && trailers.isEndStream()
          && endpoint == Endpoint.SESSION) {
        whenOpen(c -> c.writeAndFlush(new DefaultHttp2HeadersFrame(trailers.headers(), true)));
      }
    }

    /**
     * On /session: each message of the daemon's request is judged ({@link SessionCall}) and the
     * judged message relayed; a refusal ends the call.
     */
    private void relayDaemonData(ChannelHandlerContext ctx, Http2DataFrame d) {
      GrpcMessages collected = daemonMessages;
      SessionCall call = session;
      if (collected == null || call == null) {
        refuse(
            ctx,
            new Verdict.Refuse(
                Verdict.INVALID_ARGUMENT,
                "buildkit_message",
                "berth: a call's message came before its headers"));
        return;
      }
      List<byte[]> messages;
      try {
        messages = collected.add(d.content());
      } catch (GrpcMessages.BadFrame e) {
        refuse(
            ctx,
            new Verdict.Refuse(
                Verdict.RESOURCE_EXHAUSTED, "buildkit_message", "berth: " + e.getMessage()));
        return;
      }
      for (byte[] m : messages) {
        switch (call.fromDaemon(m)) {
          case Verdict.Forward f -> {
            ByteBuf frame = GrpcMessages.frame(ctx.alloc(), f.message());
            whenOpen(c -> c.writeAndFlush(new DefaultHttp2DataFrame(frame, false)));
          }
          case Verdict.Refuse r -> {
            refuse(ctx, r);
            return;
          }
          case Verdict.NotYet n -> throw new IllegalStateException("session calls never wait");
        }
      }
      if (d.isEndStream()) {
        if (collected.partial()) {
          refuse(
              ctx,
              new Verdict.Refuse(
                  Verdict.INVALID_ARGUMENT,
                  "buildkit_message",
                  "berth: the request ended inside a message"));
          return;
        }
        whenOpen(c -> c.writeAndFlush(new DefaultHttp2DataFrame(true)));
      }
    }

    /**
     * On /session: a message of the caller's answer, judged ({@link SessionCall}); the judged
     * message to relay to the daemon, or null when the call was refused.
     */
    private byte @Nullable [] judgeAnswer(ChannelHandlerContext ctx, byte[] message) {
      SessionCall call = requireNonNull(session, "answers are judged on /session only");
      switch (call.fromCaller(message)) {
        case Verdict.Forward f -> {
          return f.message();
        }
        case Verdict.Refuse r -> {
          refuse(ctx, r);
          return null;
        }
        case Verdict.NotYet n -> throw new IllegalStateException("session calls never wait");
      }
    }

    /** Judges the one request message (off the event loop), then acts on the verdict. */
    private void judgeRequest(ChannelHandlerContext ctx, int attempt) {
      judged = true;
      ByteBuf collected = request;
      if (collected == null || done) {
        return; // the stream closed while an earlier try waited (released in channelInactive)
      }
      byte[] message;
      if (collected.readableBytes() < 5
          || collected.getByte(0) != 0
          || collected.getUnsignedInt(1) != collected.readableBytes() - 5) {
        refuse(
            ctx,
            new Verdict.Refuse(
                Verdict.INVALID_ARGUMENT,
                "buildkit_message",
                "berth: a call must carry exactly one uncompressed request message"));
        return;
      }
      message = new byte[collected.readableBytes() - 5];
      collected.getBytes(5, message);
      // buildkit client/buildid/metadata.go; BuildKit takes it only when given exactly once.
      List<CharSequence> ids =
          requireNonNull(headers, "a call is judged after its headers").getAll(BUILD_ID);
      String buildId = ids.size() == 1 ? ids.getFirst().toString() : "";
      judging.execute(
          () -> {
            Verdict v;
            try {
              v = judge.judge(caller, path, buildId, message);
            } catch (RuntimeException e) {
              v =
                  new Verdict.Refuse(
                      Verdict.UNAVAILABLE,
                      "internal_error",
                      "berth could not judge this call (" + e.getClass().getSimpleName() + ")");
            }
            Verdict verdict = v;
            ctx.executor().execute(() -> act(ctx, verdict, attempt));
          });
    }

    private void act(ChannelHandlerContext ctx, Verdict v, int attempt) {
      if (done) {
        return;
      }
      switch (v) {
        case Verdict.NotYet n when attempt < NOT_YET_TRIES ->
            ctx.executor()
                .schedule(
                    () -> judgeRequest(ctx, attempt + 1), NOT_YET_DELAY_MS, TimeUnit.MILLISECONDS);
        case Verdict.NotYet n ->
            refuse(ctx, Verdict.denied("buildkit_unknown", n.what() + " is not one of yours"));
        case Verdict.Refuse r -> refuse(ctx, r);
        case Verdict.Forward f ->
            record(
                ctx,
                f,
                () ->
                    relayHeaders(
                        ctx,
                        false,
                        path.equals(CallJudge.CONTROL + "Solve")
                            ? ExportWatch.of(f, caller.claims())
                            : null,
                        c -> {
                          ByteBuf frame =
                              ctx.alloc()
                                  .buffer(5 + f.message().length)
                                  .writeByte(0)
                                  .writeInt(f.message().length)
                                  .writeBytes(f.message());
                          c.writeAndFlush(new DefaultHttp2DataFrame(frame, true));
                        }));
      }
    }

    /** Records the verdict, then runs {@code then} on the stream's loop once it is durable. */
    private void record(ChannelHandlerContext ctx, Verdict v, Runnable then) {
      caller
          .recorder()
          .record(path, v)
          .whenComplete(
              (ok, error) ->
                  ctx.executor()
                      .execute(
                          () -> {
                            if (error != null) {
                              reply(
                                  ctx,
                                  Verdict.UNAVAILABLE,
                                  "berth: the audit trail cannot be written");
                            } else if (!done) {
                              then.run();
                            }
                          }));
    }

    /**
     * Opens the stream on the other leg, sends the call's headers, then runs {@code then} and
     * whatever arrived meanwhile.
     */
    private void relayHeaders(
        ChannelHandlerContext ctx,
        boolean endStream,
        @Nullable ExportWatch exports,
        Consumer<Http2StreamChannel> then) {
      Http2Headers in = requireNonNull(headers, "a call is relayed after its headers");
      List<Consumer<Http2StreamChannel>> waiting = pending;
      if (waiting == null) {
        waiting = new ArrayList<>();
        pending = waiting;
      }
      waiting.addFirst(then);
      new Http2StreamChannelBootstrap(calleeParent())
          .handler(
              new CalleeStream(
                  ctx,
                  this,
                  exports,
                  caller,
                  session == null
                          && path.equals(CallJudge.CONTROL + "Status")
                          && caller.namespaced()
                      ? new StatusNames(caller.uid())
                      : null))
          .open()
          .addListener(
              f -> {
                if (!f.isSuccess() || done) {
                  reply(ctx, Verdict.UNAVAILABLE, "berth: the daemon's connection is gone");
                  return;
                }
                Http2StreamChannel opened = (Http2StreamChannel) f.getNow();
                callee = opened;
                Http2Headers out = new DefaultHttp2Headers();
                in.forEach(
                    e -> {
                      String name = e.getKey().toString();
                      if (!name.equals("grpc-encoding") && !name.equals("grpc-accept-encoding")) {
                        out.add(e.getKey(), e.getValue());
                      }
                    });
                opened.writeAndFlush(new DefaultHttp2HeadersFrame(out, endStream));
                ctx.channel().closeFuture().addListener(c -> opened.close());
                List<Consumer<Http2StreamChannel>> run = pending;
                pending = null;
                if (run != null) {
                  run.forEach(r -> r.accept(opened));
                }
              });
    }

    /** Runs {@code r} once the other leg's stream is open (now, if it is). */
    private void whenOpen(Consumer<Http2StreamChannel> r) {
      List<Consumer<Http2StreamChannel>> waiting = pending;
      Http2StreamChannel open = callee;
      if (waiting != null) {
        waiting.add(r);
      } else if (open != null) {
        r.accept(open);
      }
    }

    private void refuse(ChannelHandlerContext ctx, Verdict.Refuse r) {
      int n = refused.incrementAndGet();
      caller.recorder().record(path, r);
      LOG.atInfo()
          .addKeyValue("uid", caller.uid())
          .addKeyValue("call", path)
          .addKeyValue("rule", r.rule())
          .log(r.message());
      reply(ctx, r.code(), r.message());
      if (n > MAX_REFUSED) {
        callerParent().close();
      }
    }

    /**
     * Ends the call with {@code code} and {@code message}: trailers-only, or trailers after the
     * answer's headers.
     */
    private void reply(ChannelHandlerContext ctx, int code, String message) {
      done = true;
      Http2Headers h =
          answered
              ? new DefaultHttp2Headers()
              : new DefaultHttp2Headers().status("200").set("content-type", "application/grpc");
      h.setInt("grpc-status", code)
          .set(
              "grpc-message",
              URLEncoder.encode(message, StandardCharsets.UTF_8).replace("+", "%20"));
      ctx.writeAndFlush(new DefaultHttp2HeadersFrame(h, true))
          .addListener(ChannelFutureListener.CLOSE);
      if (callee != null) {
        callee.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        callee.close();
      }
    }

    private void finish(ChannelHandlerContext ctx) {
      done = true;
      if (callee != null) {
        callee.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        callee.close();
      }
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (request != null) {
        request.release();
        request = null;
      }
      if (daemonMessages != null) {
        daemonMessages.release();
        daemonMessages = null;
      }
      if (callee != null) {
        callee.close();
      }
      ctx.fireChannelInactive();
    }
  }

  /**
   * Claims the image a Solve exported for its caller: the daemon's {@code SolveResponse} names the
   * image id ({@code containerimage.config.digest}, buildkit {@code
   * exporter/containerimage/exptypes/types.go}); its names are those the judged Solve gave its
   * exporters. The answer is one small message; bytes beyond {@link #MAX_MESSAGE} are not looked at
   * (nothing claimed: the image stays nobody's, fail closed).
   */
  private static final class ExportWatch {
    private final BuildCaller.Claims claims;

    /** The image names the judged Solve asked its exporters for. */
    private final List<String> names;

    private final ByteBuf seen = Unpooled.buffer();

    private ExportWatch(BuildCaller.Claims claims, List<String> names) {
      this.claims = claims;
      this.names = names;
    }

    /** The watch for the answer to the Solve that {@code judged} forwards. */
    static ExportWatch of(Verdict.Forward judged, BuildCaller.Claims claims) {
      List<String> names = new ArrayList<>();
      try {
        for (ControlOuterClass.Exporter e :
            ControlOuterClass.SolveRequest.parseFrom(judged.message()).getExportersList()) {
          for (String n : e.getAttrsMap().getOrDefault("name", "").split(",")) {
            if (!n.isBlank()) {
              names.add(n.strip());
            }
          }
        }
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("berth's own Solve does not decode", e);
      }
      return new ExportWatch(claims, names);
    }

    void accept(ByteBuf data) {
      if (seen.readableBytes() + data.readableBytes() > MAX_MESSAGE + 5) {
        return;
      }
      seen.writeBytes(data, data.readerIndex(), data.readableBytes());
      if (seen.readableBytes() < 5
          || seen.getByte(0) != 0
          || seen.readableBytes() < 5 + seen.getUnsignedInt(1)) {
        return;
      }
      byte[] message = new byte[(int) seen.getUnsignedInt(1)];
      seen.getBytes(5, message);
      seen.clear();
      try {
        Map<String, String> response =
            ControlOuterClass.SolveResponse.parseFrom(message).getExporterResponseMap();
        // Engines before 23 (BuildKit 0.8's moby exporter) give the image id as
        // containerimage.digest only.
        String id =
            response.getOrDefault(
                "containerimage.config.digest", response.getOrDefault("containerimage.digest", ""));
        if (id.startsWith("sha256:")) {
          claims.claim(id, names);
        }
      } catch (InvalidProtocolBufferException e) {
        LOG.atWarn().log("a Solve answer did not decode; the image it made stays nobody's");
      }
    }
  }

  /**
   * The serving side's answer to one call, relayed to the caller's stream as it comes; the answer
   * to a Solve is looked at first ({@link ExportWatch}); on /session each message of the caller's
   * answer is judged first ({@link SessionCall}).
   */
  private static final class CalleeStream extends ChannelInboundHandlerAdapter {
    private final ChannelHandlerContext callerCtx;
    private final Http2StreamChannel callerStream;
    private final CallerStream call;
    private final @Nullable ExportWatch exports;
    private final @Nullable GrpcMessages answer;
    private final BuildCaller caller;

    /**
     * A build's progress, given back the caller's image names ({@code Control/Status}), or null.
     */
    private final @Nullable StatusNames progress;

    CalleeStream(
        ChannelHandlerContext callerCtx,
        CallerStream call,
        @Nullable ExportWatch exports,
        BuildCaller caller,
        @Nullable StatusNames progress) {
      this.callerCtx = callerCtx;
      this.callerStream = (Http2StreamChannel) callerCtx.channel();
      this.call = call;
      this.exports = exports;
      this.answer = call.session == null && progress == null ? null : new GrpcMessages(MAX_MESSAGE);
      this.caller = caller;
      this.progress = progress;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        relay(msg);
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void relay(Object msg) {
      if (call.done) {
        return;
      }
      switch (msg) {
        case Http2HeadersFrame h -> {
          call.answered = true;
          callerStream.writeAndFlush(
              new DefaultHttp2HeadersFrame(
                  h.isEndStream()
                      ? ImageSourcePolicy.explainDenial(
                          h.headers(), caller.images(), caller.remote())
                      : h.headers(),
                  h.isEndStream()));
        }
        case Http2DataFrame d -> {
          if (answer != null) {
            relayAnswer(answer, d);
            return;
          }
          if (exports != null) {
            exports.accept(d.content());
          }
          callerStream.writeAndFlush(
              new DefaultHttp2DataFrame(d.content().retain(), d.isEndStream()));
        }
        case Http2ResetFrame r -> {
          callerStream.writeAndFlush(new DefaultHttp2ResetFrame(r.errorCode()));
          callerStream.close();
        }
        default -> {}
      }
    }

    private void relayAnswer(GrpcMessages collected, Http2DataFrame d) {
      List<byte[]> messages;
      try {
        messages = collected.add(d.content());
      } catch (GrpcMessages.BadFrame e) {
        call.refuse(
            callerCtx,
            new Verdict.Refuse(
                Verdict.RESOURCE_EXHAUSTED, "buildkit_message", "berth: " + e.getMessage()));
        return;
      }
      for (byte[] m : messages) {
        byte[] judged =
            progress != null ? shownProgress(progress, m) : call.judgeAnswer(callerCtx, m);
        if (judged == null) {
          return;
        }
        callerStream.write(
            new DefaultHttp2DataFrame(GrpcMessages.frame(callerStream.alloc(), judged), false));
      }
      if (d.isEndStream()) {
        if (collected.partial()) {
          call.refuse(
              callerCtx,
              new Verdict.Refuse(
                  Verdict.INVALID_ARGUMENT,
                  "buildkit_message",
                  "berth: the answer ended inside a message"));
          return;
        }
        callerStream.write(new DefaultHttp2DataFrame(true));
      }
      callerStream.flush();
    }

    /** A progress message in the caller's names; one berth cannot decode goes on as it came. */
    private static byte[] shownProgress(StatusNames progress, byte[] message) {
      try {
        return progress.shown(message);
      } catch (InvalidProtocolBufferException e) {
        return message;
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (answer != null) {
        answer.release();
      }
      callerStream.close();
      ctx.fireChannelInactive();
    }
  }
}
