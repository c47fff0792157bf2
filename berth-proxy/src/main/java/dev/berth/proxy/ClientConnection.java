package dev.berth.proxy;

import dev.berth.enforce.Caller;
import dev.berth.enforce.Enforcer;
import dev.berth.enforce.Refusals;
import dev.berth.policy.Decision;
import dev.berth.policy.Principal;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What the handlers of one client connection share: the caller, the connection's state between
 * exchanges, the upstream channel of the current exchange, and the ways an exchange ends (an answer
 * berth makes itself, the end of a relayed answer, closing). Everything here runs on the
 * connection's event loop.
 *
 * <p>An answer berth makes itself ({@link #answer}) never leaves unread request bytes behind a
 * close, which the kernel would turn into a reset that destroys the answer: a request whose body
 * was read keeps the connection; one whose body is still coming (or whose framing is broken) gets
 * the answer with {@code Connection: close}, the write side is half-closed, and what the client
 * still sends is read and dropped (bounded in bytes and time) before the connection closes.
 */
final class ClientConnection {
  /** How much of a refused upload berth reads and drops before it closes anyway. */
  static final long MAX_DRAIN = 64L * 1024 * 1024;

  private static final long DRAIN_SECONDS = 10;

  /** A request whose end is unknown: what is in flight arrives at once, then berth closes. */
  private static final long DRAIN_BROKEN_MILLIS = 2000;

  enum State {
    /** Between requests: the next request head may come. */
    READY,
    /** A request is being judged, forwarded or answered. */
    EXCHANGE,
    /** Answered; the (empty) end of that request is still to be read and dropped. */
    SKIPPING,
    /** Answered with close; the rest of the request is read and dropped, then it closes. */
    DRAINING,
    /** Hijacked: a raw byte relay (see {@link TunnelHandler}). */
    TUNNEL,
    CLOSED
  }

  final Channel channel;
  final Enforcer enforcer;
  final UpstreamPool upstreams;
  final Executor lookups;
  final Metrics metrics;
  private final UserBounds bounds;
  final ClientBounds limits;

  /** The caller's bounds, from their role once they are identified. */
  private ClientBounds.Caps caps;

  /** The uid this connection counts against, or -1 before identification (or when over). */
  private int countedUid = -1;

  Caller caller = Caller.unidentified("", "berth: you could not be identified");
  State state = State.READY;

  /** The client has half-closed its side (or TLS close_notify). */
  boolean inputClosed;

  /** The current exchange, or null between requests. */
  @Nullable Exchange exchange;

  /** The daemon connection of the current exchange, or null. */
  @Nullable Channel upstream;

  private boolean wantRead;
  private long drained;

  /** When the connection last became ready for a request head (its event loop's ticker). */
  long readySince;

  /** Bytes of the next request head received since then (see {@link DeadlineHandler}). */
  long headBytes;

  /** When the first of them arrived. */
  long headStarted;

  /** Why this connection's requests are refused (a per-user bound), or null. */
  @Nullable Decision overLimit;

  ClientConnection(
      Channel channel,
      Enforcer enforcer,
      UpstreamPool upstreams,
      Executor lookups,
      Metrics metrics) {
    this(channel, enforcer, upstreams, lookups, metrics, new UserBounds(), ClientBounds.DEFAULT);
  }

  ClientConnection(
      Channel channel,
      Enforcer enforcer,
      UpstreamPool upstreams,
      Executor lookups,
      Metrics metrics,
      UserBounds bounds,
      ClientBounds limits) {
    this.channel = channel;
    this.enforcer = enforcer;
    this.upstreams = upstreams;
    this.lookups = lookups;
    this.metrics = metrics;
    this.bounds = bounds;
    this.limits = limits;
    this.caps = limits.capsOf(Optional.empty());
    this.readySince = now();
  }

  /** The time of the connection's event loop (a test may freeze and advance it). */
  long now() {
    return channel.eventLoop().ticker().nanoTime();
  }

  /**
   * Counts this connection against its caller's bound once the caller is known, with the bounds of
   * the role the policy in force gives them now (a reload applies to later connections); a
   * connection over it gets its requests refused with 429 (and is closed after the first answer).
   */
  void openFor(Principal who) {
    caps = limits.capsOf(enforcer.roleOf(who));
    if (bounds.openConnection(who.uid(), caps.connections())) {
      countedUid = who.uid();
    } else {
      metrics.limited("connections");
      overLimit =
          Refusals.limit(
              caps.connectionsRule(),
              "you have "
                  + caps.connections()
                  + " connections open to berth, the most you may have; close some (docker commands "
                  + "left running)");
    }
  }

  /**
   * Counts {@code ex} against its caller's requests in flight (streams included until they end);
   * empty when admitted, else the 429 refusal.
   */
  Optional<Decision> admit(Exchange ex) {
    if (overLimit != null) {
      return Optional.of(overLimit);
    }
    if (countedUid < 0) {
      return Optional.empty(); // an unidentified caller is refused for that reason
    }
    if (!bounds.startRequest(countedUid, caps.requests())) {
      metrics.limited("requests");
      return Optional.of(
          Refusals.limit(
              caps.requestsRule(),
              "you have "
                  + caps.requests()
                  + " requests in flight through berth (streams such as logs -f and attach included), "
                  + "the most you may have; end some"));
    }
    ex.admitted = true;
    return Optional.empty();
  }

  /**
   * The exchange no longer counts as in flight (idempotent); a push's temporary tag that its answer
   * did not release (the client or the daemon went away first, or the request never went out) is
   * released now.
   */
  void endRequest(Exchange ex) {
    if (ex.archive != null) {
      ex.archive.close();
    }
    if (ex.enforcement.releaseDue()) {
      lookups.execute(ex.enforcement::release);
    }
    if (ex.admitted) {
      ex.admitted = false;
      bounds.endRequest(countedUid);
    }
  }

  /** The connection closed: it no longer counts. */
  void closed() {
    if (exchange != null) {
      endRequest(exchange);
    }
    if (countedUid >= 0) {
      bounds.closeConnection(countedUid);
      countedUid = -1;
    }
  }

  /**
   * Asks for the next message from the client. A {@code read()} may end in a read-complete event
   * without any message (the FlowControlHandler counts it as satisfied then), so the wish is kept
   * and renewed by {@link #readCompleted} until a message arrives.
   */
  void read() {
    wantRead = true;
    channel.read();
  }

  /** A message arrived from the client. */
  void messageArrived() {
    wantRead = false;
  }

  void readCompleted() {
    if (wantRead && state != State.CLOSED) {
      channel.read();
    }
  }

  /** Records a refusal of the current request and answers it in Docker's format. */
  void refuse(Exchange ex, Decision refusal) {
    ex.enforcement.commit(refusal);
    answer(ex, DockerErrors.of(refusal, true));
  }

  /** Writes an answer berth makes itself (a refusal, the metrics); nothing goes upstream. */
  void answer(Exchange ex, FullHttpResponse response) {
    BuildKitHandOff.buildAnswered(this, ex);
    endRequest(ex);
    closeUpstream();
    if (state == State.CLOSED) {
      ReferenceCountUtil.release(response);
      return;
    }
    boolean bodyPending = ex.broken || (ex.hasBody && !ex.requestEnded);
    boolean keep = ex.keepAlive && !inputClosed && !bodyPending;
    if (!keep) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    if (bodyPending && !inputClosed) {
      drain(response);
    } else if (keep) {
      if (ex.requestEnded) {
        becomeReady();
      } else {
        state = State.SKIPPING;
      }
      exchange = null;
      channel.writeAndFlush(response).addListener(readNextOrClose());
    } else {
      state = State.CLOSED;
      channel.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Answers, half-closes, then reads and drops the rest of the request before closing. */
  private void drain(FullHttpResponse response) {
    state = State.DRAINING;
    drained = 0;
    long millis =
        exchange != null && exchange.broken
            ? DRAIN_BROKEN_MILLIS
            : TimeUnit.SECONDS.toMillis(DRAIN_SECONDS);
    channel
        .eventLoop()
        .schedule(
            () -> {
              if (state == State.DRAINING) {
                closeBoth();
              }
            },
            millis,
            TimeUnit.MILLISECONDS);
    channel
        .writeAndFlush(response)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    closeBoth();
                    return;
                  }
                  shutdownOutputAfterWrites(channel);
                  read();
                });
  }

  /**
   * A piece of a request that was already answered (states SKIPPING and DRAINING).
   *
   * @param bytes its size
   * @param last whether it ends the request
   */
  void dropped(long bytes, boolean last) {
    if (state == State.SKIPPING) {
      if (last) {
        becomeReady();
        read();
      } else if (bytes > 0) {
        closeBoth(); // a body nobody announced
      } else {
        read();
      }
      return;
    }
    drained += bytes;
    boolean broken = exchange != null && exchange.broken;
    if ((last && !broken) || drained > MAX_DRAIN) {
      closeBoth();
    } else {
      read();
    }
  }

  /** The current exchange's answer ended; the connection goes on with the next request. */
  void finish(Exchange ex, boolean reuseUpstream) {
    endRequest(ex);
    uncountStream(ex);
    Channel up = upstream;
    upstream = null;
    if (up != null) {
      if (reuseUpstream) {
        upstreams.release(up);
      } else {
        discard(up);
      }
    }
    if (!ex.keepAlive || inputClosed) {
      closeAfterFlush();
      return;
    }
    exchange = null;
    becomeReady();
    read();
  }

  /** Between requests again: the time a client may take for the next head starts now. */
  void becomeReady() {
    state = State.READY;
    readySince = now();
    headBytes = 0;
  }

  /** Appends the daemon's result for a forwarded request, once. */
  void recordResult(Exchange ex) {
    if (!ex.resultDue) {
      return;
    }
    ex.resultDue = false;
    if (!ex.streamCounted && state != State.TUNNEL) {
      metrics.relayed(System.nanoTime() - ex.enforcement.startedNanos());
    }
    ex.enforcement.result(ex.status, ex.createdId());
  }

  void countStream(Exchange ex) {
    if (!ex.streamCounted) {
      ex.streamCounted = true;
      metrics.streamOpened();
    }
  }

  void uncountStream(Exchange ex) {
    if (ex.streamCounted) {
      ex.streamCounted = false;
      metrics.streamClosed();
    }
  }

  void closeAfterFlush() {
    state = State.CLOSED;
    closeUpstream();
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  void closeBoth() {
    state = State.CLOSED;
    closeUpstream();
    channel.close();
  }

  void closeUpstream() {
    if (upstream != null) {
      discard(upstream);
      upstream = null;
    }
  }

  /**
   * Closes a daemon connection this exchange is done with. Its close is reported later (Netty fires
   * it on a later turn of the loop), when the next exchange may own the connection's listener slot:
   * the closed channel's handler is detached first so that report goes nowhere.
   */
  private static void discard(Channel up) {
    if (up.pipeline().get(UpstreamPool.HANDLER) instanceof UpstreamHandler h) {
      h.detach();
    }
    up.close();
  }

  ChannelFutureListener readNextOrClose() {
    return f -> {
      if (f.isSuccess()) {
        read();
      } else {
        closeBoth();
      }
    };
  }

  /**
   * Half-closes {@code ch} once everything written to it so far has gone out: Netty's {@code
   * shutdownOutput} fails writes still queued, which would cut the end of a stream.
   */
  static void shutdownOutputAfterWrites(Channel ch) {
    ch.writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (ch.isActive()) {
                    SslHandler tls = ch.pipeline().get(SslHandler.class);
                    if (tls != null) {
                      tls.closeOutbound(); // TLS half-close: close_notify, what Go's CloseWrite
                      // reads as EOF
                    } else if (ch instanceof DuplexChannel duplex) {
                      duplex.shutdownOutput();
                    }
                  }
                });
  }
}
