package dev.berth.cli.login;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditLog;
import dev.berth.audit.DecisionIds;
import dev.berth.pki.CertificateAuthority;
import dev.berth.pki.CertificateBundle;
import dev.berth.pki.PkiException;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.docker.DockerJson;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.ietf.jgss.GSSException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login service of {@code berth serve --login tcp://HOST:PORT}: trades a Kerberos ticket for a
 * short-lived client certificate of berth's CA, which the TLS listener then accepts.
 *
 * <p>Design note (threat model). The service listens on its own port with server-authenticated TLS
 * (berth's server certificate; the client has no certificate yet). {@code POST /berth/login}
 * carries {@code Authorization: Negotiate <SPNEGO token>} ({@link KerberosAcceptor}): the token
 * proves the caller holds a service ticket for berth's principal, issued by the site's KDC. A token
 * cannot be used twice (the JDK's replay cache) nor read on the wire (TLS, and the client checks
 * berth's certificate against the site's CA before sending it). Only principals of the configured
 * realm with a single component ({@code alice@REALM}, never {@code alice/admin@REALM}) that NSS
 * knows as users get a certificate; its CommonName is that user, its lifetime {@code
 * --login-validity} (hours), and it is recorded in the CA's index, so {@code berth pki revoke USER}
 * revokes it. The key pair is made by berth's CA and returned once over the TLS connection (a CSR
 * would keep the key on the client: not done yet). The CA key and the keytab must be readable by
 * berth only. Every login, granted or refused, is an audit record, and a certificate is issued only
 * after its record is on disk.
 */
public final class LoginServer implements AutoCloseable {
  static final String PATH = "/berth/login";
  private static final Logger LOG = LoggerFactory.getLogger(LoginServer.class);
  private static final ObjectMapper JSON = DockerJson.mapper();

  private final EventLoopGroup group;
  private final Channel channel;
  private final ExecutorService work;

  private LoginServer(EventLoopGroup group, Channel channel, ExecutorService work) {
    this.group = group;
    this.channel = channel;
    this.work = work;
  }

  /** What the service needs: where it listens, its keys, and whom it serves. */
  public record Config(
      InetSocketAddress address,
      Path tlsCert,
      Path tlsKey,
      Path pkiDir,
      Path keytab,
      String principal,
      String realm,
      Duration validity) {}

  /** Starts listening; the port is bound when this returns. */
  public static LoginServer start(Config config, UserDirectory users, AuditLog audit)
      throws IOException {
    KerberosAcceptor acceptor = new KerberosAcceptor(config.keytab(), config.principal());
    CertificateAuthority ca;
    try {
      ca = CertificateAuthority.open(config.pkiDir(), Clock.systemUTC());
    } catch (PkiException e) {
      throw new IOException("--login-pki " + config.pkiDir() + ": " + e.getMessage(), e);
    }
    SslContext tls =
        SslContextBuilder.forServer(config.tlsCert().toFile(), config.tlsKey().toFile())
            .sslProvider(SslProvider.JDK)
            .protocols("TLSv1.3", "TLSv1.2")
            .build();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ExecutorService work =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-login-", 0).factory());
    Issuer issuer = new Issuer(acceptor, ca, users, audit, config);
    try {
      Channel ch =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                      c.pipeline()
                          .addLast(tls.newHandler(c.alloc()))
                          .addLast(new HttpServerCodec())
                          .addLast(new HttpObjectAggregator(64 * 1024))
                          .addLast(new Handler(issuer, work));
                    }
                  })
              .bind(config.address())
              .sync()
              .channel();
      LOG.atInfo()
          .addKeyValue(
              "listen",
              "tcp://"
                  + config.address().getHostString()
                  + ":"
                  + ((InetSocketAddress) ch.localAddress()).getPort())
          .addKeyValue("principal", config.principal())
          .addKeyValue("realm", config.realm())
          .log("berth login service (Kerberos to client certificates)");
      return new LoginServer(group, ch, work);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully();
      throw new IOException("interrupted while binding " + config.address(), e);
    }
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    work.shutdownNow();
  }

  /**
   * The user a principal logs in as: {@code alice@REALM} is alice when REALM is the service's;
   * instances ({@code alice/admin@REALM}, service principals) and other realms are nobody.
   */
  static Optional<String> userOf(String principal, String realm) {
    int at = principal.lastIndexOf('@');
    if (at <= 0 || !principal.substring(at + 1).equals(realm)) {
      return Optional.empty();
    }
    String name = principal.substring(0, at);
    return name.contains("/") || name.contains("@") ? Optional.empty() : Optional.of(name);
  }

  /** An answer: status and JSON body. */
  private record Answer(HttpResponseStatus status, Object body) {
    static Answer refused(HttpResponseStatus status, String why) {
      return new Answer(status, Map.of("message", "berth: " + why));
    }
  }

  /** Decides one login (blocking: GSS, NSS, audit, CA files). */
  private record Issuer(
      KerberosAcceptor acceptor,
      CertificateAuthority ca,
      UserDirectory users,
      AuditLog audit,
      Config config) {

    Answer login(@Nullable String authorization) {
      if (authorization == null || !authorization.regionMatches(true, 0, "Negotiate ", 0, 10)) {
        return Answer.refused(
            HttpResponseStatus.UNAUTHORIZED,
            "log in with Kerberos (Authorization: Negotiate); run kinit, then berth login");
      }
      String principal;
      try {
        principal =
            acceptor.accept(Base64.getDecoder().decode(authorization.substring(10).strip()));
      } catch (GSSException | IllegalArgumentException e) {
        return record(null, "", "the Kerberos token was refused: " + e.getMessage());
      }
      Optional<String> name = userOf(principal, config.realm());
      if (name.isEmpty()) {
        return record(
            null, principal, principal + " is not a user principal of realm " + config.realm());
      }
      Optional<UserDirectory.Account> account;
      try {
        account = users.byName(name.get());
      } catch (UserDirectory.LookupException e) {
        return record(null, principal, String.valueOf(e.getMessage()));
      }
      if (account.isEmpty()) {
        return record(null, principal, "no user " + name.get() + " on this host (NSS)");
      }
      return record(account.get(), principal, null);
    }

    /** Records the decision durably, then issues the certificate if it is granted. */
    private Answer record(
        UserDirectory.@Nullable Account a, String principal, @Nullable String refusal) {
      String id = DecisionIds.next();
      AuditEvent event =
          new AuditEvent(
              id,
              refusal == null ? "allow" : "deny",
              "kerberos_login",
              refusal == null ? "" : "berth: " + refusal,
              a == null ? -1 : a.uid(),
              a == null ? "" : a.name(),
              a == null ? -1 : a.gid(),
              -1,
              -1,
              "berth_login",
              "POST",
              PATH,
              refusal == null ? List.of("client certificate for " + config.validity()) : List.of(),
              "",
              principal);
      try {
        audit.append(event).get();
      } catch (Exception e) {
        return Answer.refused(
            HttpResponseStatus.SERVICE_UNAVAILABLE,
            "the audit trail cannot record the login: " + e.getMessage());
      }
      if (refusal != null) {
        LOG.atWarn()
            .addKeyValue("principal", principal)
            .addKeyValue("reason", refusal)
            .log("login refused");
        return Answer.refused(HttpResponseStatus.FORBIDDEN, refusal);
      }
      requireNonNull(a, "a granted login has an account");
      try {
        CertificateBundle b = ca.issueUser(a.name(), config.validity());
        Map<String, String> body = new LinkedHashMap<>();
        body.put("user", a.name());
        body.put("notAfter", b.certificate().getNotAfter().toInstant().toString());
        body.put("certificate", b.certificatePem());
        body.put("key", b.keyPem());
        body.put("ca", b.caPem());
        LOG.atInfo()
            .addKeyValue("principal", principal)
            .addKeyValue("user", a.name())
            .addKeyValue("serial", b.certificate().getSerialNumber().toString(16))
            .log("client certificate issued");
        return new Answer(HttpResponseStatus.OK, body);
      } catch (PkiException e) {
        return Answer.refused(
            HttpResponseStatus.INTERNAL_SERVER_ERROR,
            "cannot issue a certificate: " + e.getMessage());
      }
    }
  }

  /** One HTTP request at a time per connection; the work is done off the event loop. */
  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Issuer issuer;
    private final ExecutorService work;

    Handler(Issuer issuer, ExecutorService work) {
      this.issuer = issuer;
      this.work = work;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      if (!req.method().equals(HttpMethod.POST) || !req.uri().equals(PATH)) {
        send(
            ctx,
            Answer.refused(
                HttpResponseStatus.NOT_FOUND,
                "this port serves only POST " + PATH + " (berth login)"));
        return;
      }
      String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
      work.execute(
          () -> {
            Answer a = issuer.login(authorization);
            ctx.executor().execute(() -> send(ctx, a));
          });
    }

    private static void send(ChannelHandlerContext ctx, Answer a) {
      byte[] body;
      try {
        body = JSON.writeValueAsBytes(a.body());
      } catch (IOException e) {
        body = "{\"message\":\"berth: internal error\"}".getBytes(StandardCharsets.UTF_8);
      }
      FullHttpResponse resp =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, a.status(), Unpooled.wrappedBuffer(body));
      resp.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
          .set(HttpHeaderNames.CONNECTION, "close");
      if (a.status().equals(HttpResponseStatus.UNAUTHORIZED)) {
        resp.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Negotiate");
      }
      ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a failed TLS handshake or a malformed request: nothing to answer on
    }
  }
}
