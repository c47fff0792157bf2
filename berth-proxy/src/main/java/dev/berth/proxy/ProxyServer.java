package dev.berth.proxy;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.DaemonClient;
import dev.berth.daemon.DaemonObjects;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.OptionalInt;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import static java.util.Objects.requireNonNull;

/**
 * The proxy's lifecycle: binds the listening unix socket, sets its mode and group, and removes
 * it again on {@link #close()}. A socket inherited from systemd ({@link
 * ProxyConfig#inheritedFd()}) is served as it is: systemd created it, owns its mode and removes
 * it, and keeps queueing connections while berth restarts.
 */
public final class ProxyServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);

  private final ProxyConfig config;
  private final EventLoopGroup group;
  private final Channel serverChannel;

  private ProxyServer(ProxyConfig config, EventLoopGroup group, Channel serverChannel) {
    this.config = config;
    this.group = group;
    this.serverChannel = serverChannel;
  }

  /**
   * Starts listening. The socket exists, with its final mode, when this returns.
   *
   * @param engines the policy in force; asked once per request, so a reload applies to the next
   *     request on every connection
   * @param audit where every decision is recorded
   * @param owners who owns the execs and images (objects without labels)
   * @throws IOException when the socket cannot be created
   */
  public static ProxyServer start(ProxyConfig config, Supplier<PolicyEngine> engines,
      UserDirectory users, AuditLog audit, OwnerStore owners)
      throws IOException {
    requireNonNull(config, "config");
    Path socket = config.listen();
    OptionalInt inherited = config.inheritedFd();
    if (inherited.isEmpty()) {
      Files.createDirectories(socket.toAbsolutePath().getParent());
    }
    if (inherited.isEmpty() && Files.exists(socket)) {
      if (!Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class,
          java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther()) {
        throw new IOException(socket + " exists and is not a socket; refusing to replace it");
      }
      Files.delete(socket); // a stale socket of an earlier run
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(config.threads(),
        StickyEpollIoHandler.newFactory());
    DomainSocketAddress daemon = new DomainSocketAddress(config.upstream().toString());
    UpstreamPool upstreams = new UpstreamPool(daemon);
    DaemonObjects objects = new DaemonObjects(new DaemonClient(group, daemon), owners);
    java.util.concurrent.Executor lookups = java.util.concurrent.Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name("berth-lookup-", 0).factory());
    io.netty.channel.ChannelFactory<ServerChannel> channels = () -> inherited.isPresent()
        ? new EpollServerDomainSocketChannel(inherited.getAsInt(), true) // listening already
        : new EpollServerDomainSocketChannel();
    try {
      ServerBootstrap bootstrap = new ServerBootstrap()
          .group(group)
          .channelFactory(channels)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.AUTO_READ, false)
          .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .childHandler(new ProxyChannelInitializer(engines, new PeerIdentity(users), upstreams,
              audit, objects, lookups));
      Channel ch = (inherited.isPresent() ? bootstrap.register()
          : bootstrap.bind(new DomainSocketAddress(socket.toString()))).sync().channel();
      if (inherited.isEmpty()) {
        applyPermissions(config);
      }
      LOG.atInfo().addKeyValue("listen", socket).addKeyValue("upstream", config.upstream())
          .addKeyValue("mode", inherited.isPresent() ? "socket-unit"
              : java.nio.file.attribute.PosixFilePermissions.toString(config.socketMode()))
          .addKeyValue("fd", inherited.isPresent() ? "inherited" : "bound")
          .log("berth is serving");
      return new ProxyServer(config, group, ch);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully();
      throw new IOException("interrupted while binding " + socket, e);
    } catch (RuntimeException | IOException e) {
      group.shutdownGracefully();
      throw e instanceof IOException io ? io : new IOException("cannot listen on " + socket
          + ": " + e.getMessage(), e);
    }
  }

  private static void applyPermissions(ProxyConfig config) throws IOException {
    Path socket = config.listen();
    Files.setPosixFilePermissions(socket, config.socketMode());
    if (config.socketGroup() != null) {
      GroupPrincipal group = socket.getFileSystem().getUserPrincipalLookupService()
          .lookupPrincipalByGroupName(config.socketGroup());
      Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(group);
    }
  }

  /** Blocks until the server is closed. */
  public void awaitClose() throws InterruptedException {
    serverChannel.closeFuture().sync();
  }

  /** Stops listening, closes every connection, and removes the socket file. */
  @Override
  public void close() {
    try {
      serverChannel.close().awaitUninterruptibly(2, java.util.concurrent.TimeUnit.SECONDS);
    } finally {
      // The socket goes first: whatever happens while connections wind down, no client should
      // find a socket that nobody serves.
      try {
        if (config.inheritedFd().isEmpty()) { // systemd's socket outlives berth
          Files.deleteIfExists(config.listen());
        }
      } catch (IOException e) {
        LOG.atWarn().addKeyValue("socket", config.listen()).log("could not remove the socket");
      }
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)
          .awaitUninterruptibly(3, java.util.concurrent.TimeUnit.SECONDS);
      LOG.atInfo().addKeyValue("listen", config.listen()).log("berth stopped");
    }
  }
}
