package dev.berth.proxy;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.enforce.Caller;
import dev.berth.enforce.Enforcer;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerObject;
import dev.berth.policy.HostPaths;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Policy;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.yaml.PolicyDefaults;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The client side of the proxy pipeline in an {@link EmbeddedChannel}: the strict codec, flow
 * control and the framing handler, then the handlers under test, then a sink that keeps what they
 * pass on. Decisions are judged by the default policy for an ordinary user (alice) and recorded in
 * a real audit log; the fixture keeps every recorded decision.
 */
final class PipelineFixture implements AutoCloseable {
  static final Principal ALICE =
      new Principal(1000, 1000, 4242, "alice", "/home/alice", List.of(1000), 1000);

  final Path dir;
  final AuditLog audit;
  final OwnerStore owners;
  final Enforcer enforcer;
  final Metrics metrics;
  final List<Decision> decisions = new CopyOnWriteArrayList<>();

  /** What the handlers under test passed on. */
  final List<Object> passed = new ArrayList<>();

  EmbeddedChannel channel;
  ClientConnection conn;

  /**
   * No daemon to ask, except that no image exists (a create's image is looked up, issue 13; the
   * daemon then answers for a missing one).
   */
  private static final ObjectDirectory NO_IMAGES =
      new ObjectDirectory() {
        @Override
        public Optional<DockerObject> image(String ref) {
          return Optional.empty();
        }
      };

  /** What every user holds of berth, shared by the connections this fixture makes. */
  final UserBounds userBounds = new UserBounds();

  PipelineFixture() throws IOException {
    this(PolicyDefaults.policy());
  }

  /** The same, judged by {@code policy}. */
  PipelineFixture(Policy policy) throws IOException {
    this(inForce(new PolicyEngine(policy, HostPaths.local())));
  }

  private static Supplier<PolicyEngine> inForce(PolicyEngine engine) {
    return () -> engine;
  }

  /** The same, judged by the policy {@code engines} has in force (a test may reload it). */
  PipelineFixture(Supplier<PolicyEngine> engines) throws IOException {
    dir = Files.createTempDirectory("berth-pipeline-test");
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    owners = OwnerStore.open(dir.resolve("state"));
    enforcer =
        new Enforcer(
            engines,
            audit,
            NO_IMAGES,
            owners,
            Runnable::run,
            (action, d, nanos) -> decisions.add(d));
    metrics = new Metrics(audit::pending);
  }

  /** A client connection with this fixture's shared per-user counts, on its own channel. */
  ClientConnection connection(ClientBounds bounds) {
    return new ClientConnection(
        new EmbeddedChannel(),
        enforcer,
        new UpstreamPool(new DomainSocketAddress(dir.resolve("no-daemon.sock").toString())),
        Runnable::run,
        metrics,
        userBounds,
        bounds);
  }

  /** Builds codec, flow control, framing, then {@code handlers}, then the sink. */
  @SafeVarargs
  final EmbeddedChannel start(Function<ClientConnection, ChannelHandler>... handlers) {
    channel = new EmbeddedChannel();
    channel.config().setAutoRead(false);
    conn =
        new ClientConnection(
            channel,
            enforcer,
            new UpstreamPool(new DomainSocketAddress(dir.resolve("no-daemon.sock").toString())),
            Runnable::run,
            metrics,
            userBounds,
            ClientBounds.DEFAULT);
    conn.caller = Caller.of(ALICE);
    channel
        .pipeline()
        .addLast(
            ProxyChannelInitializer.CODEC,
            new HttpServerCodec(
                new HttpDecoderConfig()
                    .setStrictLineParsing(true)
                    .setAllowDuplicateContentLengths(false)
                    .setUseRfc9112TransferEncoding(true)
                    .setValidateHeaders(true)))
        .addLast(ProxyChannelInitializer.FLOW, new FlowControlHandler())
        .addLast(ProxyChannelInitializer.FRAMING, new FramingHandler(conn));
    for (Function<ClientConnection, ChannelHandler> h : handlers) {
      channel.pipeline().addLast(h.apply(conn));
    }
    channel
        .pipeline()
        .addLast(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                passed.add(msg);
              }
            });
    conn.read();
    return channel;
  }

  /** Sends raw bytes from the client. */
  void send(String raw) {
    channel.writeInbound(
        channel.alloc().buffer().writeBytes(raw.getBytes(StandardCharsets.ISO_8859_1)));
    channel.runPendingTasks();
  }

  /** Everything written to the client so far, waiting up to 5 s for the first byte. */
  String answer() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    StringBuilder out = new StringBuilder();
    while (true) {
      channel.runPendingTasks();
      for (Object o; (o = channel.readOutbound()) != null; ) {
        ByteBuf b = (ByteBuf) o;
        out.append(b.toString(StandardCharsets.ISO_8859_1));
        b.release();
      }
      if (!out.isEmpty() || System.nanoTime() > deadline) {
        return out.toString();
      }
      Thread.sleep(5);
    }
  }

  /** Waits up to 5 s until the handlers passed something on. */
  Object awaitPassed() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (passed.isEmpty() && System.nanoTime() < deadline) {
      channel.runPendingTasks();
      Thread.sleep(5);
    }
    return passed.isEmpty() ? null : passed.get(0);
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
    owners.close();
    audit.close();
  }
}
