package dev.berth.daemon;

import static java.util.Objects.requireNonNullElse;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * berth's own small requests to the daemon (inspecting an object before deciding on it), each on
 * a fresh connection that closes after the answer. Kept apart from the relay's pool so that a
 * lookup never shares a connection with a user's exchange.
 */
public final class DaemonClient {
  private static final int MAX_ANSWER = 8 * 1024 * 1024;
  private static final long TIMEOUT_SECONDS = 10;

  /** A complete answer. */
  public record Answer(int status, byte[] body) {}

  private final EventLoopGroup group;
  private final DomainSocketAddress address;

  public DaemonClient(EventLoopGroup group, DomainSocketAddress address) {
    this.group = group;
    this.address = address;
  }

  /** Sends a request and waits for the answer; call off the event loops (it blocks). */
  public Answer call(String method, String path, byte @Nullable [] json) throws IOException {
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
        HttpMethod.valueOf(method), path,
        json == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(json));
    req.headers().set(HttpHeaderNames.HOST, "docker");
    req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    req.headers().set(HttpHeaderNames.USER_AGENT, "berth");
    req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, json == null ? 0 : json.length);
    if (json != null) {
      req.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    }
    new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_ANSWER),
                new SimpleChannelInboundHandler<FullHttpResponse>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                    answer.complete(new Answer(r.status().code(),
                        ByteBufUtil.getBytes(r.content())));
                    ctx.close();
                  }

                  @Override
                  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    answer.completeExceptionally(cause);
                    ctx.close();
                  }

                  @Override
                  public void channelInactive(ChannelHandlerContext ctx) {
                    answer.completeExceptionally(
                        new IOException("the daemon closed the connection"));
                  }
                });
          }
        })
        .connect(address).addListener(f -> {
          if (f.isSuccess()) {
            ((ChannelFuture) f).channel().writeAndFlush(req);
          } else {
            req.release();
            answer.completeExceptionally(f.cause());
          }
        });
    try {
      return answer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while asking the daemon", e);
    } catch (ExecutionException e) {
      Throwable cause = requireNonNullElse(e.getCause(), e);
      throw new IOException(String.valueOf(cause.getMessage()), cause);
    } catch (TimeoutException e) {
      throw new IOException("the daemon did not answer within " + TIMEOUT_SECONDS + " s");
    }
  }
}
