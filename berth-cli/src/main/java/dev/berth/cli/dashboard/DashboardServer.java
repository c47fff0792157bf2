package dev.berth.cli.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.daemon.DaemonClient;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.docker.DockerJson;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only admin dashboard of {@code berth serve --dashboard unix:///PATH}: a small web page
 * (static HTML, JS and CSS from berth's jar) and the JSON it reads, on a unix socket of its own.
 *
 * <p>Design note. Administrators only: the socket is created 0600 (berth's own user, root), and
 * each connection's peer uid (SO_PEERCRED) must be root's or berth's own, or it is answered 403. A
 * browser reaches it through a forwarded port, e.g. {@code ssh -L 8080:/run/berth/admin.sock host}.
 * Read-only: only GETs are served, and it only sends GETs to the daemon and reads the audit file.
 * Live: {@code /api/events} is a server-sent event stream that says "changed" whenever the audit
 * file grows (checked every second), and the page then reloads its data. Work that may block (the
 * daemon, the audit file) runs on virtual threads, never on the event loop.
 */
public final class DashboardServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DashboardServer.class);
  private static final ObjectMapper JSON = DockerJson.mapper();
  private static final Map<String, String> STATIC =
      Map.of(
          "/",
          "index.html",
          "/index.html",
          "index.html",
          "/dashboard.js",
          "dashboard.js",
          "/dashboard.css",
          "dashboard.css");

  private final EventLoopGroup group;
  private final Channel channel;
  private final ExecutorService work;
  private final Path socket;

  private DashboardServer(
      EventLoopGroup group, Channel channel, ExecutorService work, Path socket) {
    this.group = group;
    this.channel = channel;
    this.work = work;
    this.socket = socket;
  }

  /** Listens on {@code socket} (0600); the socket exists when this returns. */
  public static DashboardServer start(
      Path socket,
      Path daemonSocket,
      OwnerStore owners,
      UserDirectory users,
      Supplier<PolicyEngine> policies,
      Path auditLog)
      throws IOException {
    Files.deleteIfExists(socket);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    DashboardData data =
        new DashboardData(
            new DaemonClient(group, new DomainSocketAddress(daemonSocket.toString())),
            owners,
            users,
            policies,
            auditLog);
    ExecutorService work =
        Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("berth-dashboard-", 0).factory());
    int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    try {
      Channel ch =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerDomainSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                      c.pipeline()
                          .addLast(new HttpServerCodec())
                          .addLast(new HttpObjectAggregator(16 * 1024))
                          .addLast(new Handler(data, work, self));
                    }
                  })
              .bind(new DomainSocketAddress(socket.toString()))
              .sync()
              .channel();
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
      LOG.atInfo().addKeyValue("listen", socket).log("berth dashboard (administrators)");
      return new DashboardServer(group, ch, work, socket);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully();
      throw new IOException("interrupted while binding " + socket, e);
    }
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    work.shutdownNow();
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.atWarn().addKeyValue("socket", socket).log("could not remove the dashboard socket");
    }
  }

  /** One request at a time; JSON is made on a virtual thread and written back on the loop. */
  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final DashboardData data;
    private final ExecutorService work;
    private final int self;
    private @Nullable ScheduledFuture<?> feed;

    Handler(DashboardData data, ExecutorService work, int self) {
      this.data = data;
      this.work = work;
      this.self = self;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      int uid;
      try {
        uid = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials().uid();
      } catch (IOException e) {
        uid = -1;
      }
      if (uid != 0 && uid != self) {
        send(
            ctx,
            HttpResponseStatus.FORBIDDEN,
            "application/json",
            bytes("{\"message\":\"berth: the dashboard is for administrators\"}"));
        return;
      }
      if (!req.method().equals(HttpMethod.GET)) {
        send(
            ctx,
            HttpResponseStatus.METHOD_NOT_ALLOWED,
            "application/json",
            bytes("{\"message\":\"berth: the dashboard is read-only\"}"));
        return;
      }
      QueryStringDecoder q = new QueryStringDecoder(req.uri());
      String path = q.path();
      String resource = STATIC.get(path);
      if (resource != null) {
        sendResource(ctx, resource);
        return;
      }
      if (path.equals("/api/events")) {
        events(ctx);
        return;
      }
      work.execute(
          () -> {
            HttpResponseStatus status = HttpResponseStatus.OK;
            byte[] body;
            try {
              JsonNode n =
                  switch (path) {
                    case "/api/overview" -> data.overview();
                    case "/api/refusals" -> data.refusals();
                    case "/api/chain" -> data.chain();
                    case "/api/audit" ->
                        data.search(
                            param(q, "user"),
                            param(q, "action"),
                            param(q, "decision"),
                            param(q, "text"));
                    default -> null;
                  };
              if (n == null) {
                status = HttpResponseStatus.NOT_FOUND;
                body = bytes("{\"message\":\"berth: no such page\"}");
              } else {
                body = JSON.writeValueAsBytes(n);
              }
            } catch (IOException | RuntimeException e) {
              status = HttpResponseStatus.BAD_GATEWAY;
              body = bytes("{\"message\":" + JSON.valueToTree("berth: " + e.getMessage()) + "}");
            }
            HttpResponseStatus s = status;
            byte[] b = body;
            ctx.executor().execute(() -> send(ctx, s, "application/json", b));
          });
    }

    private static @Nullable String param(QueryStringDecoder q, String name) {
      List<String> v = q.parameters().get(name);
      return v == null || v.isEmpty() || v.getFirst().isBlank() ? null : v.getFirst().strip();
    }

    /** Server-sent events: "changed" when the audit file grows, a comment every 15 s. */
    private void events(ChannelHandlerContext ctx) {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      head.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
          .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
      HttpUtil.setTransferEncodingChunked(head, true);
      ctx.writeAndFlush(head);
      long[] last = {data.auditSize()};
      int[] ticks = {0};
      ctx.writeAndFlush(chunk("retry: 2000\nevent: changed\ndata: {}\n\n"));
      feed =
          ctx.executor()
              .scheduleAtFixedRate(
                  () -> {
                    long size = data.auditSize();
                    if (size != last[0]) {
                      last[0] = size;
                      ctx.writeAndFlush(
                          chunk("event: changed\ndata: {\"auditBytes\":" + size + "}\n\n"));
                    } else if (++ticks[0] % 15 == 0) {
                      ctx.writeAndFlush(chunk(": still here\n\n"));
                    }
                  },
                  1,
                  1,
                  TimeUnit.SECONDS);
    }

    private static DefaultHttpContent chunk(String text) {
      return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (feed != null) {
        feed.cancel(false);
      }
    }

    private void sendResource(ChannelHandlerContext ctx, String name) {
      try (InputStream in = DashboardServer.class.getResourceAsStream(name)) {
        if (in == null) {
          send(ctx, HttpResponseStatus.NOT_FOUND, "text/plain", bytes("missing " + name));
          return;
        }
        String type =
            name.endsWith(".html")
                ? "text/html; charset=utf-8"
                : name.endsWith(".js")
                    ? "text/javascript; charset=utf-8"
                    : "text/css; charset=utf-8";
        send(ctx, HttpResponseStatus.OK, type, in.readAllBytes());
      } catch (IOException e) {
        send(
            ctx,
            HttpResponseStatus.INTERNAL_SERVER_ERROR,
            "text/plain",
            bytes(String.valueOf(e.getMessage())));
      }
    }

    private static void send(
        ChannelHandlerContext ctx, HttpResponseStatus status, String type, byte[] body) {
      ByteBuf buf = Unpooled.wrappedBuffer(body);
      FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
      resp.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, type)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
          .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
          .set("Content-Security-Policy", "default-src 'self'")
          .set("X-Content-Type-Options", "nosniff");
      ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private static byte[] bytes(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
