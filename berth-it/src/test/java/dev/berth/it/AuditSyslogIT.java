package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.Anchor;
import dev.berth.audit.AuditVerifier;
import dev.berth.testing.FakeDockerd;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Anchors reach syslog from the real {@code berth serve --audit-anchors syslog}: through the C
 * library's {@code syslog(3)}, called with FFM, as one datagram to {@code /dev/log} with facility
 * authpriv, identifier {@code berth-audit} and berth's pid, naming the chain head.
 *
 * <p>berth runs in a private mount namespace whose {@code /dev} is a tmpfs of symbolic links to the
 * real device nodes, plus {@code /dev/log} pointing to a datagram socket of this test: the host's
 * syslog never sees the test's anchors. Needs root (mounts) and util-linux's {@code unshare}; no
 * Docker daemon (a {@link FakeDockerd} stands in).
 */
class AuditSyslogIT {
  /** {@code LOG_AUTHPRIV | LOG_NOTICE}: facility 10, severity 5. */
  private static final int AUTHPRIV_NOTICE = 10 * 8 + 5;

  private static final Pattern DATAGRAM =
      Pattern.compile(
          "<(\\d+)>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d berth-audit\\[(\\d+)\\]: (.*)");

  private Path dir;
  private FakeDockerd upstream;
  private EventLoopGroup group;
  private Channel devLog;
  private final BlockingQueue<String> datagrams = new LinkedBlockingQueue<>();

  @BeforeEach
  void fakeDaemonAndSyslog() throws Exception {
    if (!"root".equals(System.getProperty("user.name"))) {
      ItEnvironment.unavailable("a private /dev/log needs root (mount namespaces)");
    }
    dir = Files.createTempDirectory(Path.of("/tmp"), "bsyslog-");
    upstream = new FakeDockerd(dir.resolve("up.sock"));
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    devLog =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainDatagramChannel.class)
            .handler(
                new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                    datagrams.add(p.content().toString(StandardCharsets.UTF_8));
                  }
                })
            .bind(new DomainSocketAddress(dir.resolve("log").toString()))
            .sync()
            .channel();
  }

  @AfterEach
  void stop() throws Exception {
    if (devLog != null) {
      devLog.close().sync();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** {@code unshare --mount}, then /dev as links to the real nodes and /dev/log to ours. */
  private List<String> privateDevLog() {
    String script =
        """
        set -e
        mkdir "$1/olddev"
        mount --rbind /dev "$1/olddev"
        mount -t tmpfs -o mode=755 tmpfs /dev
        for f in "$1"/olddev/* "$1"/olddev/.[!.]*; do
          if [ -e "$f" ] || [ -L "$f" ]; then ln -s "$f" "/dev/${f##*/}"; fi
        done
        rm -f /dev/log
        ln -s "$1/log" /dev/log
        shift
        exec "$@"
        """;
    return List.of(
        "unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", dir.toString());
  }

  @Test
  void anchors_syslog_datagramsToDevLogAsAuthprivWithTheHead() throws Exception {
    try (BerthServer berth =
        BerthServer.start(
            privateDevLog(),
            upstream.url(),
            List.of("--audit-anchors", "syslog", "--audit-anchor-interval", "100ms"))) {
      assertThat(AuditTrailIT.post(berth.socket(), "/containers/c1/stop")).isEqualTo(204);
      Anchor periodic = awaitAnchor(berth, 2); // the decision and its result
      assertThat(periodic.file()).isEqualTo("audit.jsonl");
      berth.stop();
      AuditVerifier.Result r = AuditVerifier.verify(List.of(berth.dir()), List.of(periodic));
      assertThat(r.ok()).as(r.anchors().toString()).isTrue();
      assertThat(r.anchors())
          .singleElement()
          .extracting(AuditVerifier.AnchorCheck::status)
          .isEqualTo(AuditVerifier.AnchorStatus.MATCHES);
      assertThat(berth.logs()).doesNotContain("no syslog daemon listens");
    }
  }

  /** Waits for the anchor of {@code seq}, checking the syslog framing of every datagram. */
  private Anchor awaitAnchor(BerthServer berth, long seq) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      String datagram = datagrams.poll(100, TimeUnit.MILLISECONDS);
      if (datagram == null) {
        continue;
      }
      Matcher m = DATAGRAM.matcher(datagram);
      assertThat(m.matches()).as("a syslog datagram: " + datagram).isTrue();
      assertThat(Integer.parseInt(m.group(1)))
          .as("facility authpriv, severity notice")
          .isEqualTo(AUTHPRIV_NOTICE);
      assertThat(Long.parseLong(m.group(2))).as("berth's pid").isEqualTo(berth.pid());
      Anchor anchor =
          Anchor.parse(m.group(3))
              .orElseThrow(() -> new AssertionError("not an anchor: " + datagram));
      if (anchor.seq() == seq) {
        return anchor;
      }
    }
    throw new AssertionError(
        "no anchor of seq " + seq + " on /dev/log within 20 s\n" + berth.logs());
  }
}
