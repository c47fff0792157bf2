package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Parked daemon connections: reused while young, closed once unused for the idle timeout. */
class UpstreamPoolTest {
  private final UpstreamPool pool =
      new UpstreamPool(new DomainSocketAddress("/nonexistent"), Duration.ofSeconds(30));

  private static EmbeddedChannel daemonConnection() {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.freezeTime();
    ch.pipeline().addLast(UpstreamPool.HANDLER, new UpstreamHandler());
    return ch;
  }

  @Test
  void parkedConnection_usedWithinTheIdleTimeout_reused() {
    EmbeddedChannel ch = daemonConnection();
    pool.release(ch);
    ch.advanceTimeBy(20, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isTrue();
    assertThat(pool.pollIdle(ch.eventLoop())).isSameAs(ch);
  }

  @Test
  void parkedConnection_unusedPastTheIdleTimeout_closedAndNotReused() {
    EmbeddedChannel ch = daemonConnection();
    pool.release(ch);
    ch.advanceTimeBy(46, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isFalse();
    assertThat(pool.pollIdle(ch.eventLoop())).isNull();
  }
}
