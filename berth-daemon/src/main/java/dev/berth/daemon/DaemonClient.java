package dev.berth.daemon;

import static java.util.Objects.requireNonNullElse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.docker.DockerJson;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * berth's own small requests to the daemon (inspecting an object before deciding on it). Kept apart
 * from the relay's pool so that a lookup never shares a connection with a user's exchange.
 *
 * <p>Design note. A {@code GET} goes on a keep-alive connection of this client's own small pool
 * (the profile of container create showed a connect and a close per lookup, two or three lookups
 * per create); one request at a time per connection, back to the pool only once its whole answer is
 * read and the daemon kept it open. A pooled connection the daemon closed meanwhile fails before
 * any answer: the {@code GET} is then sent once more on a fresh connection. Anything else ({@code
 * POST}: creating a volume or network) goes on a fresh connection that closes after the answer, and
 * is never sent twice.
 */
public final class DaemonClient {
  private static final int MAX_ANSWER = 8 * 1024 * 1024;
  private static final long TIMEOUT_SECONDS = 10;
  private static final int MAX_IDLE = 8;
  private static final Duration PROGRESS_IDLE = Duration.ofSeconds(300);
  private static final int MAX_LINE = 64 * 1024;
  private static final ObjectMapper JSON = DockerJson.mapper();

  /** A complete answer. */
  public record Answer(int status, byte[] body) {}

  private final EventLoopGroup group;
  private final DomainSocketAddress address;
  private final Duration progressIdle;
  private final Deque<Channel> idle = new ConcurrentLinkedDeque<>();

  public DaemonClient(EventLoopGroup group, DomainSocketAddress address) {
    this(group, address, PROGRESS_IDLE);
  }

  /**
   * @param progressIdle how long {@link #progress} waits for a byte of the stream (300 s by
   *     default; a test shortens it)
   */
  DaemonClient(EventLoopGroup group, DomainSocketAddress address, Duration progressIdle) {
    this.group = group;
    this.address = address;
    this.progressIdle = progressIdle;
  }

  /** Sends a request and waits for the answer; call off the event loops (it blocks). */
  public Answer call(String method, String path, byte @Nullable [] json) throws IOException {
    boolean reusable = method.equals("GET") && json == null;
    if (reusable) {
      for (Channel ch = idle.pollFirst(); ch != null; ch = idle.pollFirst()) {
        if (!ch.isActive()) {
          continue;
        }
        try {
          return exchange(ch, method, path, json, true);
        } catch (StaleConnection e) {
          ch.close(); // closed by the daemon while idle: nothing was answered, send it afresh
        }
      }
    }
    Channel fresh = connect();
    try {
      return exchange(fresh, method, path, json, reusable);
    } catch (StaleConnection e) {
      throw new IOException("the daemon closed the connection", e);
    }
  }

  /** A connection closed (or failed) before any byte of its answer: safe to retry a GET. */
  private static final class StaleConnection extends Exception {
    private static final long serialVersionUID = 1L;

    StaleConnection(Throwable cause) {
      super(cause);
    }
  }

  private Channel connect() throws IOException {
    ChannelFuture f =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainSocketChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            new HttpClientCodec(),
                            new HttpObjectAggregator(MAX_ANSWER),
                            new AnswerHandler());
                  }
                })
            .connect(address);
    try {
      if (!f.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        f.channel().close();
        throw new IOException(
            "the daemon did not accept a connection within " + TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.channel().close();
      throw new IOException("interrupted while connecting to the daemon", e);
    }
    if (!f.isSuccess()) {
      throw new IOException(String.valueOf(f.cause().getMessage()), f.cause());
    }
    return f.channel();
  }

  private Answer exchange(
      Channel ch, String method, String path, byte @Nullable [] json, boolean keep)
      throws IOException, StaleConnection {
    FullHttpRequest req =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.valueOf(method),
            path,
            json == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(json));
    req.headers().set(HttpHeaderNames.HOST, "docker");
    if (!keep) {
      req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    req.headers().set(HttpHeaderNames.USER_AGENT, "berth");
    req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, json == null ? 0 : json.length);
    if (json != null) {
      req.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    }
    AnswerHandler handler = ch.pipeline().get(AnswerHandler.class);
    CompletableFuture<FullAnswer> answer = handler.expect();
    ch.writeAndFlush(req)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                answer.completeExceptionally(new StaleConnection(f.cause()));
              }
            });
    FullAnswer a;
    try {
      a = answer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ch.close();
      throw new IOException("interrupted while asking the daemon", e);
    } catch (ExecutionException e) {
      ch.close();
      Throwable cause = requireNonNullElse(e.getCause(), e);
      if (cause instanceof StaleConnection stale) {
        throw stale;
      }
      throw new IOException(String.valueOf(cause.getMessage()), cause);
    } catch (TimeoutException e) {
      ch.close();
      throw new IOException("the daemon did not answer within " + TIMEOUT_SECONDS + " s");
    }
    if (keep && a.keepAlive() && ch.isActive() && idle.size() < MAX_IDLE) {
      idle.offerFirst(ch);
    } else {
      ch.close();
    }
    return a.answer();
  }

  private record FullAnswer(Answer answer, boolean keepAlive) {}

  /**
   * Sends a {@code POST} whose answer is a stream of JSON progress messages (a pull) on a fresh
   * connection, and waits for the stream's end: as long as it takes while the daemon keeps sending,
   * failing after 300 s without a byte (Netty's {@link ReadTimeoutHandler} in front of the codec).
   * Call off the event loops.
   *
   * @param headers extra request headers
   * @return empty when the stream ended without an error, else the error: the last message's {@code
   *     errorDetail.message} or {@code error}, or an error answer's {@code message}
   */
  public Optional<String> progress(String path, Map<String, String> headers) throws IOException {
    Channel ch = connect();
    ch.pipeline().remove(HttpObjectAggregator.class);
    ch.pipeline().remove(AnswerHandler.class);
    ProgressStream stream = new ProgressStream(progressIdle);
    ch.pipeline()
        .addFirst(new ReadTimeoutHandler(progressIdle.toMillis(), TimeUnit.MILLISECONDS))
        .addLast(stream);
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path);
    req.headers().set(HttpHeaderNames.HOST, "docker");
    req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    req.headers().set(HttpHeaderNames.USER_AGENT, "berth");
    req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
    headers.forEach(req.headers()::set);
    ch.writeAndFlush(req)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                stream.done.completeExceptionally(f.cause());
              }
            });
    try {
      return stream.done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the daemon pulled", e);
    } catch (ExecutionException e) {
      Throwable cause = requireNonNullElse(e.getCause(), e);
      throw new IOException(String.valueOf(cause.getMessage()), cause);
    } finally {
      ch.close();
    }
  }

  /**
   * The answer of {@link #progress}: read line by line (one JSON message each, as the daemon's
   * {@code jsonmessage} stream writes them), keeping only the last error; an error answer (not 2xx)
   * whole, up to {@value #MAX_LINE} bytes.
   */
  private static final class ProgressStream extends SimpleChannelInboundHandler<HttpObject> {
    final CompletableFuture<Optional<String>> done = new CompletableFuture<>();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean failed;
    private @Nullable String error;
    private final Duration idleTimeout;

    ProgressStream(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpResponse r) {
        failed = r.status().code() / 100 != 2;
      }
      if (msg instanceof HttpContent c) {
        ByteBuf in = c.content();
        while (in.isReadable()) {
          byte b = in.readByte();
          if (b == '\n' && !failed) {
            message();
          } else if (line.size() < MAX_LINE) {
            line.write(b);
          }
        }
        if (msg instanceof LastHttpContent) {
          message();
          done.complete(Optional.ofNullable(error));
          ctx.close();
        }
      }
    }

    private void message() {
      byte[] text = line.toByteArray();
      line.reset();
      if (text.length == 0) {
        return;
      }
      try {
        JsonNode m = JSON.readTree(text);
        String said = m.path("errorDetail").path("message").asText(m.path("error").asText(""));
        if (failed && said.isEmpty()) {
          said = m.path("message").asText("");
        }
        if (!said.isEmpty()) {
          error = said;
        }
      } catch (IOException e) {
        if (failed) {
          error = new String(text, StandardCharsets.UTF_8).strip();
        }
      }
      if (failed && error == null) {
        error = "the daemon refused the pull";
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done.completeExceptionally(
          cause instanceof ReadTimeoutException
              ? new IOException(
                  "the daemon sent no progress for " + idleTimeout.toSeconds() + " s", cause)
              : cause);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      done.completeExceptionally(new IOException("the daemon closed the connection"));
    }
  }

  /** The answer to the one request in flight on its connection. */
  private static final class AnswerHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private volatile @Nullable CompletableFuture<FullAnswer> pending;

    CompletableFuture<FullAnswer> expect() {
      CompletableFuture<FullAnswer> f = new CompletableFuture<>();
      pending = f;
      return f;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
      CompletableFuture<FullAnswer> f = pending;
      pending = null;
      if (f == null) {
        ctx.close(); // an answer nobody asked for: the connection is out of step
        return;
      }
      f.complete(
          new FullAnswer(
              new Answer(r.status().code(), ByteBufUtil.getBytes(r.content())),
              HttpUtil.isKeepAlive(r)));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      CompletableFuture<FullAnswer> f = pending;
      pending = null;
      if (f != null) {
        f.completeExceptionally(cause);
      }
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      CompletableFuture<FullAnswer> f = pending;
      pending = null;
      if (f != null) {
        f.completeExceptionally(
            new StaleConnection(new IOException("the daemon closed the connection")));
      }
    }
  }
}
