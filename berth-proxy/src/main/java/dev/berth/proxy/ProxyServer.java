package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.DaemonClient;
import dev.berth.daemon.DaemonObjects;
import dev.berth.daemon.OwnerStore;
import dev.berth.enforce.Enforcer;
import dev.berth.policy.Decision;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's lifecycle: binds the listening unix socket, sets its mode and group, and removes it
 * again on {@link #close()}; and binds the TCP listener with mutual TLS when one is configured.
 * Both listeners share the event loops, the upstream pool and everything after the caller's
 * identity. A unix socket inherited from systemd ({@link ProxyConfig#inheritedFd()}) is served as
 * it is: systemd created it, owns its mode and removes it, and keeps queueing connections while
 * berth restarts.
 */
public final class ProxyServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);

  /** TLS 1.2 and 1.3 only; for 1.2, forward-secret AEAD suites only. */
  private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private static final List<String> CIPHERS =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private final ProxyConfig config;
  private final EventLoopGroup group;
  private final List<Channel> serverChannels;
  private final @Nullable ClientCertificateVerifier verifier;
  private final CallerIdentification callers;

  private ProxyServer(
      ProxyConfig config,
      EventLoopGroup group,
      List<Channel> serverChannels,
      @Nullable ClientCertificateVerifier verifier,
      CallerIdentification callers) {
    this.config = config;
    this.group = group;
    this.serverChannels = List.copyOf(serverChannels);
    this.verifier = verifier;
    this.callers = callers;
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
  public static ProxyServer start(
      ProxyConfig config,
      Supplier<PolicyEngine> engines,
      UserDirectory users,
      AuditLog audit,
      OwnerStore owners)
      throws IOException {
    requireNonNull(config, "config");
    Path socket = config.listen();
    OptionalInt inherited = config.inheritedFd();
    if (socket != null && inherited.isEmpty()) {
      Files.createDirectories(socket.toAbsolutePath().getParent());
      if (Files.exists(socket)) {
        if (!Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
            .isOther()) {
          throw new IOException(socket + " exists and is not a socket; refusing to replace it");
        }
        // a stale socket of an earlier run: replaced by the rename below, never missing meanwhile
      }
    }
    TlsListener tls = config.tls();
    ClientCertificateVerifier verifier =
        tls == null ? null : ClientCertificateVerifier.open(tls.ca(), tls.crl(), Clock.systemUTC());
    SslContext sslContext = tls == null ? null : sslContext(tls, requireNonNull(verifier));
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(config.threads(), StickyEpollIoHandler.newFactory());
    DomainSocketAddress daemon = new DomainSocketAddress(config.upstream().toString());
    UpstreamPool upstreams = new UpstreamPool(daemon);
    DaemonObjects objects = new DaemonObjects(new DaemonClient(group, daemon), owners);
    Executor lookups =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-lookup-", 0).factory());
    Metrics metrics = new Metrics(audit::pending, audit::forwarded);
    UserBounds userBounds = new UserBounds();
    CallerIdentification callers = new CallerIdentification();
    Enforcer enforcer =
        new Enforcer(
            engines,
            audit,
            objects,
            owners,
            lookups,
            (action, decision, nanos) ->
                metrics.decided(
                    action,
                    switch (decision) {
                      case Decision.Allow a -> "allow";
                      case Decision.Deny x -> "deny";
                      case Decision.Indeterminate i -> "error";
                    },
                    decision.rule(),
                    nanos));
    List<Channel> channels = new ArrayList<>();
    String where = tls != null ? String.valueOf(tls.address()) : String.valueOf(socket);
    try {
      // TCP first: once the unix socket exists (berth's "ready" signal), both listen.
      if (tls != null) {
        channels.add(
            new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, ProxyChannelInitializer.reads())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(
                    new ProxyChannelInitializer(
                        enforcer,
                        new TlsPeerIdentity(users),
                        callers,
                        upstreams,
                        lookups,
                        metrics,
                        sslContext,
                        userBounds,
                        config.bounds()))
                .bind(tls.address())
                .sync()
                .channel());
        LOG.atInfo()
            .addKeyValue("listen", "tcp://" + hostPort(tls))
            .addKeyValue("upstream", config.upstream())
            .addKeyValue("ca", tls.ca())
            .addKeyValue("crl", tls.crl() == null ? "(none)" : tls.crl())
            .log("berth is serving (mutual TLS)");
      }
      if (socket != null) {
        where = socket.toString();
        ServerBootstrap unix =
            new ServerBootstrap()
                .group(group)
                .channelFactory(
                    () ->
                        inherited.isPresent()
                            ? new EpollServerDomainSocketChannel(
                                inherited.getAsInt(), true) // listening
                            : new EpollServerDomainSocketChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, ProxyChannelInitializer.reads())
                .childHandler(
                    new ProxyChannelInitializer(
                        enforcer,
                        new UnixPeerIdentity(users),
                        callers,
                        upstreams,
                        lookups,
                        metrics,
                        null,
                        userBounds,
                        config.bounds()));
        if (inherited.isPresent()) {
          channels.add(unix.register().sync().channel());
        } else {
          // Bound under a temporary name, given its mode and group, then renamed into place:
          // the socket is connectable with its final mode from the moment it exists.
          Path fresh = socket.resolveSibling("." + socket.getFileName() + ".new");
          Files.deleteIfExists(fresh);
          channels.add(unix.bind(new DomainSocketAddress(fresh.toString())).sync().channel());
          applyPermissions(fresh, config);
          Files.move(fresh, socket, StandardCopyOption.ATOMIC_MOVE);
        }
        LOG.atInfo()
            .addKeyValue("listen", socket)
            .addKeyValue("upstream", config.upstream())
            .addKeyValue(
                "mode",
                inherited.isPresent()
                    ? "socket-unit"
                    : PosixFilePermissions.toString(config.socketMode()))
            .addKeyValue("fd", inherited.isPresent() ? "inherited" : "bound")
            .log("berth is serving");
      }
      return new ProxyServer(config, group, channels, verifier, callers);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeAll(channels, group);
      callers.close();
      throw new IOException("interrupted while binding " + where, e);
    } catch (RuntimeException | IOException e) {
      closeAll(channels, group);
      callers.close();
      throw e instanceof IOException io
          ? io
          : new IOException("cannot listen on " + where + ": " + e.getMessage(), e);
    }
  }

  private static void closeAll(List<Channel> channels, EventLoopGroup group) {
    channels.forEach(Channel::close);
    group.shutdownGracefully();
  }

  /** Mutual TLS with the JDK's provider: the client must present a certificate we verify. */
  private static SslContext sslContext(TlsListener tls, ClientCertificateVerifier verifier)
      throws IOException {
    try {
      return SslContextBuilder.forServer(tls.certificate().toFile(), tls.key().toFile())
          .sslProvider(SslProvider.JDK)
          .trustManager(verifier)
          .clientAuth(ClientAuth.REQUIRE)
          .protocols(PROTOCOLS)
          .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
          .build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IOException(
          "cannot use " + tls.certificate() + " and " + tls.key() + ": " + e.getMessage(), e);
    }
  }

  private static String hostPort(TlsListener tls) {
    return tls.address().getHostString() + ":" + tls.address().getPort();
  }

  /** The TLS listener's port (useful with port 0), or -1 when there is none. */
  public int tlsPort() {
    for (Channel ch : serverChannels) {
      if (ch.localAddress() instanceof InetSocketAddress a) {
        return a.getPort();
      }
    }
    return -1;
  }

  /** Re-reads the TLS listener's CRL now (SIGHUP); it is re-read on change anyway. */
  public void reloadRevocations() {
    if (verifier != null) {
      verifier.reloadCrl();
    }
  }

  private static void applyPermissions(Path socket, ProxyConfig config) throws IOException {
    Files.setPosixFilePermissions(socket, config.socketMode());
    if (config.socketGroup() != null) {
      GroupPrincipal group =
          socket
              .getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByGroupName(config.socketGroup());
      Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(group);
    }
  }

  /** Blocks until the server is closed. */
  public void awaitClose() throws InterruptedException {
    for (Channel ch : serverChannels) {
      ch.closeFuture().sync();
    }
  }

  /** Stops listening, closes every connection, and removes the socket file. */
  @Override
  public void close() {
    try {
      for (Channel ch : serverChannels) {
        ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
      }
    } finally {
      // The socket goes first: whatever happens while connections wind down, no client should
      // find a socket that nobody serves.
      try {
        if (config.listen() != null && config.inheritedFd().isEmpty()) {
          Files.deleteIfExists(config.listen()); // systemd's socket outlives berth
        }
      } catch (IOException e) {
        LOG.atWarn().addKeyValue("socket", config.listen()).log("could not remove the socket");
      }
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
      callers.close();
      LOG.atInfo().addKeyValue("listen", config.listen()).log("berth stopped");
    }
  }
}
