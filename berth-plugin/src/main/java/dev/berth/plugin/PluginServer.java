package dev.berth.plugin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.audit.AuditLog;
import dev.berth.daemon.DaemonClient;
import dev.berth.daemon.DaemonObjects;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.docker.DockerJson;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin's HTTP endpoint on a unix socket: {@code /Plugin.Activate}, {@code
 * /AuthZPlugin.AuthZReq} and {@code /AuthZPlugin.AuthZRes}, JSON in and out.
 *
 * <p>Activation is answered on the event loop at once (the daemon will not start without its
 * plugin, so it must be fast); judging runs on virtual threads, because it may ask the daemon who
 * owns an object, and the daemon's own lookup request then comes back here for approval. The socket
 * is root-only (0600): the daemon runs as root, and nobody else should reach it.
 */
public final class PluginServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PluginServer.class);

  /** A 4 MiB body, base64 in JSON, plus headers: well above what the daemon sends. */
  private static final int MAX_MESSAGE = 8 * 1024 * 1024;

  private static final String JSON_TYPE = "application/vnd.docker.plugins.v1.2+json";
  private static final ObjectMapper JSON =
      DockerJson.mapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Path socket;
  private final Channel channel;
  private final EventLoopGroup group;

  private PluginServer(Path socket, Channel channel, EventLoopGroup group) {
    this.socket = socket;
    this.channel = channel;
    this.group = group;
  }

  /**
   * Listens on the configured socket (replacing a stale socket file) until {@link #close}.
   *
   * @param engines the policy in force, asked once per request
   * @param owners owners of execs and images
   */
  public static PluginServer start(
      PluginConfig config,
      Supplier<PolicyEngine> engines,
      UserDirectory users,
      AuditLog audit,
      OwnerStore owners)
      throws IOException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    DaemonClient daemon =
        new DaemonClient(group, new DomainSocketAddress(config.daemon().toString()));
    DaemonObjects objects = new DaemonObjects(daemon, owners);
    PluginJudge judge =
        new PluginJudge(
            engines,
            new RecentUsers(users),
            objects,
            owners,
            audit,
            config.crl().map(Revocations::new).orElseGet(Revocations::none),
            config.socketUser());
    Executor work =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-authz-", 0).factory());
    try {
      PluginServer server = start(config.socket(), group, judge, work);
      BlindSpots.probe(daemon);
      return server;
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully();
      throw e;
    }
  }

  static PluginServer start(Path socket, EventLoopGroup group, PluginJudge judge, Executor work)
      throws IOException {
    requireNonNull(judge, "judge");
    Files.createDirectories(socket.toAbsolutePath().getParent());
    if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .isOther()) {
        throw new IOException(socket + " exists and is not a socket; refusing to replace it");
      }
      Files.delete(socket);
    }
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
                          .addLast(
                              new HttpServerCodec(),
                              new HttpObjectAggregator(MAX_MESSAGE),
                              new Handler(judge, work));
                    }
                  })
              .bind(new DomainSocketAddress(socket.toString()))
              .sync()
              .channel();
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
      LOG.atInfo().addKeyValue("socket", socket).log("berth plugin is serving");
      return new PluginServer(socket, ch, group);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding " + socket, e);
    }
  }

  public void awaitClose() throws InterruptedException {
    channel.closeFuture().sync();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.atWarn().addKeyValue("socket", socket).log("could not remove the plugin socket");
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }

  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final PluginJudge judge;
    private final Executor work;

    Handler(PluginJudge judge, Executor work) {
      this.judge = judge;
      this.work = work;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      String path = req.uri();
      if (path.equals("/Plugin.Activate")) {
        send(ctx, 200, "{\"Implements\":[\"authz\"]}".getBytes(), keepAlive);
        return;
      }
      boolean isRequest = path.equals("/AuthZPlugin.AuthZReq");
      if (!isRequest && !path.equals("/AuthZPlugin.AuthZRes")) {
        send(ctx, 404, "{\"Err\":\"berth: no such plugin endpoint\"}".getBytes(), keepAlive);
        return;
      }
      byte[] body = ByteBufUtil.getBytes(req.content());
      work.execute(
          () -> {
            AuthzAnswer answer;
            try {
              AuthzMessage m = JSON.readValue(body, AuthzMessage.class);
              answer = isRequest ? judge.request(m) : judge.response(m);
            } catch (IOException | RuntimeException e) {
              LOG.atWarn().addKeyValue("cause", e.toString()).log("malformed plugin message");
              answer = AuthzAnswer.error("berth: the daemon's message could not be read");
            }
            byte[] out;
            try {
              out = JSON.writeValueAsBytes(answer);
            } catch (IOException e) {
              out = "{\"Err\":\"berth: internal error\"}".getBytes();
            }
            int status = answer.httpStatus();
            byte[] reply = out;
            ctx.executor().execute(() -> send(ctx, status, reply, keepAlive));
          });
    }

    private static void send(
        ChannelHandlerContext ctx, int status, byte[] body, boolean keepAlive) {
      FullHttpResponse r =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.valueOf(status),
              Unpooled.wrappedBuffer(body));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON_TYPE);
      r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      var f = ctx.writeAndFlush(r);
      if (!keepAlive) {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
