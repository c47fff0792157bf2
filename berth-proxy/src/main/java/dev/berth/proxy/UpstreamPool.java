package dev.berth.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.AttributeKey;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Keep-alive connections to the daemon, one idle list per event loop.
 *
 * <p>Design note. An upstream channel is always registered on the event loop of the client
 * connection it serves (as in Netty's proxy example), so a client connection and its upstream share
 * one thread and no handler state needs a lock. The idle list of a loop is touched only by that
 * loop. A channel goes back to the list only after a complete exchange in plain HTTP: the request
 * was fully written, the response fully read with a definite length, both sides agreed on
 * keep-alive, and no hijack happened. Everything else is closed, so a pooled connection never
 * carries a half-sent request into another user's exchange (request smuggling across users).
 *
 * <p>A parked connection costs a descriptor here and a connection (goroutine, buffers) in the
 * daemon; one unused for {@link #IDLE} is closed. Each list is ordered by parking time (oldest
 * first, reuse takes the newest), so the loop's periodic sweep stops at the first one still young.
 */
final class UpstreamPool {
  static final String CODEC = "upstream-codec";
  static final String HANDLER = "upstream-handler";
  private static final int MAX_IDLE_PER_LOOP = 64;

  /** How long a daemon connection may stay parked unused before it is closed. */
  static final Duration IDLE = Duration.ofSeconds(30);

  /** When a parked connection was parked (its loop's ticker). */
  private static final AttributeKey<Long> PARKED = AttributeKey.valueOf("berth.upstream.parked");

  private final DomainSocketAddress address;
  private final long idleNanos;
  private final Map<EventLoop, ArrayDeque<Channel>> idle = new ConcurrentHashMap<>();

  UpstreamPool(DomainSocketAddress address) {
    this(address, IDLE);
  }

  UpstreamPool(DomainSocketAddress address, Duration idleTimeout) {
    this.address = address;
    this.idleNanos = idleTimeout.toNanos();
  }

  /** The idle list of {@code loop}, created with its sweep on first use. */
  private ArrayDeque<Channel> idleList(EventLoop loop) {
    return idle.computeIfAbsent(
        loop,
        l -> {
          ArrayDeque<Channel> list = new ArrayDeque<>();
          long period = Math.max(idleNanos / 2, 1);
          l.scheduleAtFixedRate(() -> sweep(l, list), period, period, TimeUnit.NANOSECONDS);
          return list;
        });
  }

  /** Closes the connections of {@code list} parked longer than the idle timeout. On its loop. */
  private void sweep(EventLoop loop, ArrayDeque<Channel> list) {
    long now = loop.ticker().nanoTime();
    while (!list.isEmpty()) {
      Channel oldest = list.peekFirst();
      Long parked = oldest.attr(PARKED).get();
      if (parked != null && now - parked < idleNanos) {
        return;
      }
      list.pollFirst();
      oldest.close();
    }
  }

  /** An idle connection of {@code loop}, or null when there is none. Call on {@code loop}. */
  @Nullable Channel pollIdle(EventLoop loop) {
    ArrayDeque<Channel> list = idle.get(loop);
    while (list != null && !list.isEmpty()) {
      Channel ch = list.pollLast();
      if (ch.isActive()) {
        return ch;
      }
    }
    return null;
  }

  /** Opens a new connection on {@code loop}. */
  ChannelFuture connect(EventLoop loop) {
    ArrayDeque<Channel> list = idleList(loop);
    return new Bootstrap()
        .group(loop)
        .channel(EpollDomainSocketChannel.class)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .handler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline().addLast(CODEC, new HttpClientCodec(4096, 64 * 1024, 64 * 1024));
                ch.pipeline().addLast(HANDLER, new UpstreamHandler());
                // Registered once per connection: a closed connection leaves the idle list.
                ch.closeFuture().addListener(f -> list.remove(ch));
              }
            })
        .connect(address);
  }

  /** Parks a connection after a clean exchange. Call on the channel's loop. */
  void release(Channel ch) {
    ArrayDeque<Channel> list = idleList(ch.eventLoop());
    if (!ch.isActive() || list.size() >= MAX_IDLE_PER_LOOP) {
      ch.close();
      return;
    }
    ((UpstreamHandler) ch.pipeline().get(HANDLER)).detach();
    ch.attr(PARKED).set(ch.eventLoop().ticker().nanoTime());
    list.addLast(ch);
    ch.read(); // notice the daemon closing an idle connection
  }

  String describe() {
    return address.path();
  }
}
