package dev.berth.proxy;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.DaemonObjects;
import dev.berth.policy.PolicyEngine;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.SslContext;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Builds the pipeline of a client connection:
 *
 * <pre>
 *   HttpServerCodec (strict)  -&gt;  FlowControlHandler  -&gt;  ExpectContinue  -&gt;  ClientHandler
 * </pre>
 *
 * <p>The decoder is strict where lenient parsing has caused request smuggling: CR LF line
 * endings only, no duplicate Content-Length, Transfer-Encoding refused together with
 * Content-Length and on HTTP/1.0, header validation on. {@code FlowControlHandler} makes the
 * decoder hand over one message per {@code read()}, which keeps pipelined requests queued until
 * the previous exchange has finished.
 *
 * <p>On the TLS listener two handlers come first, and the rest is the same:
 *
 * <pre>
 *   SslHandler (mutual TLS)  -&gt;  TlsHandshakeHandler  -&gt;  HttpServerCodec  -&gt;  ...
 * </pre>
 */
final class ProxyChannelInitializer extends ChannelInitializer<Channel> {
  static final String TLS = "tls";
  static final String TLS_HANDSHAKE = "tls-handshake";
  static final String CODEC = "http-codec";
  static final String FLOW = "flow-control";
  static final String EXPECT = "expect-continue";

  private final Supplier<PolicyEngine> engines;
  private final PeerIdentity identity;
  private final UpstreamPool upstreams;
  private final AuditLog audit;
  private final DaemonObjects objects;
  private final Executor lookups;
  private final Metrics metrics;
  /** The TLS listener's context (mutual TLS), or null on the unix socket. */
  private final @Nullable SslContext tls;

  ProxyChannelInitializer(Supplier<PolicyEngine> engines, PeerIdentity identity,
      UpstreamPool upstreams, AuditLog audit, DaemonObjects objects,
      Executor lookups, Metrics metrics,
      @Nullable SslContext tls) {
    this.tls = tls;
    this.audit = audit;
    this.metrics = metrics;
    this.objects = objects;
    this.lookups = lookups;
    this.engines = engines;
    this.identity = identity;
    this.upstreams = upstreams;
  }

  @Override
  protected void initChannel(Channel ch) {
    if (tls != null) {
      ch.pipeline().addLast(TLS, tls.newHandler(ch.alloc()))
          .addLast(TLS_HANDSHAKE, new TlsHandshakeHandler());
    }
    HttpDecoderConfig config = new HttpDecoderConfig()
        .setMaxInitialLineLength(16 * 1024)
        .setMaxHeaderSize(64 * 1024)
        .setMaxChunkSize(64 * 1024)
        .setStrictLineParsing(true)
        .setAllowDuplicateContentLengths(false)
        .setUseRfc9112TransferEncoding(true)
        .setValidateHeaders(true);
    ch.pipeline()
        .addLast(CODEC, new HttpServerCodec(config))
        .addLast(FLOW, new FlowControlHandler())
        .addLast(EXPECT, new HttpServerExpectContinueHandler())
        .addLast(new ClientHandler(engines, identity, upstreams, audit, objects, lookups,
            metrics));
  }

  /** Turns a client pipeline into a raw byte relay after a hijack. */
  static void removeHttpHandlers(ChannelPipeline p) {
    p.remove(EXPECT);
    p.remove(CODEC);
    p.remove(FLOW);
  }
}
