package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.AddressPool;
import dev.berth.policy.Ipv4Block;
import dev.berth.policy.ObjectDirectory.LookupException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DefaultPoolsCacheTest {
  private static final List<AddressPool> FIRST =
      List.of(new AddressPool(Ipv4Block.parse("10.221.0.0/16"), 24));
  private static final List<AddressPool> SECOND =
      List.of(new AddressPool(Ipv4Block.parse("10.77.0.0/16"), 24));

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private int reads;
  private boolean daemonDown;

  private final DefaultPoolsCache cache =
      new DefaultPoolsCache(
          () -> {
            if (daemonDown) {
              throw new LookupException("the daemon could not be asked: connection refused");
            }
            reads++;
            return reads == 1 ? FIRST : SECOND;
          },
          now::get);

  private void after(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void pools_askedAgainWithinFiveMinutes_daemonReadOnce() throws Exception {
    assertThat(cache.pools(false)).isEqualTo(FIRST);
    after(Duration.ofMinutes(4));
    assertThat(cache.pools(false)).isEqualTo(FIRST);
    assertThat(reads).isEqualTo(1);
  }

  @Test
  void pools_readOlderThanFiveMinutes_readAgain() throws Exception {
    cache.pools(false);
    after(DefaultPoolsCache.KEPT);
    assertThat(cache.pools(false)).isEqualTo(SECOND);
    assertThat(reads).isEqualTo(2);
  }

  @Test
  void recheck_readMomentsAgo_notAskedAgain() throws Exception {
    cache.pools(false);
    after(Duration.ofSeconds(3));
    assertThat(cache.pools(true)).isEqualTo(FIRST);
    assertThat(reads).isEqualTo(1);
  }

  @Test
  void recheck_readTenSecondsAgo_readAgain() throws Exception {
    cache.pools(false);
    after(DefaultPoolsCache.RECHECK_GAP);
    assertThat(cache.pools(true)).isEqualTo(SECOND);
    assertThat(cache.pools(false)).isEqualTo(SECOND);
    assertThat(reads).isEqualTo(2);
  }

  @Test
  void pools_daemonCannotBeAsked_failsWithTheReasonNothingStaleUsed() throws Exception {
    cache.pools(false);
    after(DefaultPoolsCache.KEPT);
    daemonDown = true;
    assertThatThrownBy(() -> cache.pools(false))
        .isInstanceOf(LookupException.class)
        .hasMessageContaining("connection refused");
  }

  @Test
  void pools_firstReadFails_failsClosed() {
    daemonDown = true;
    assertThatThrownBy(() -> cache.pools(false)).isInstanceOf(LookupException.class);
  }
}
