package dev.berth.nss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.UserDirectory;
import dev.berth.policy.UserDirectory.Account;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AccountCacheTest {
  private final AtomicLong now = new AtomicLong();
  private final Directory directory = new Directory();
  private final AccountCache cache = new AccountCache(directory, Duration.ofSeconds(60), now::get);

  /** A directory whose answers the test sets, counting the questions. */
  private static final class Directory implements UserDirectory {
    final Map<Integer, Account> accounts = new HashMap<>();
    boolean down;
    int asked;

    @Override
    public Optional<Account> byUid(int uid) throws LookupException {
      asked++;
      if (down) {
        throw new LookupException("the directory does not answer");
      }
      return Optional.ofNullable(accounts.get(uid));
    }

    @Override
    public Optional<Account> byName(String name) throws LookupException {
      asked++;
      if (down) {
        throw new LookupException("the directory does not answer");
      }
      return accounts.values().stream().filter(a -> a.name().equals(name)).findFirst();
    }

    @Override
    public Optional<Integer> groupId(String group) {
      return Optional.empty();
    }
  }

  private void put(int uid, Integer... groups) {
    directory.accounts.put(uid, new Account("u" + uid, uid, uid, "/home/u" + uid, List.of(groups)));
  }

  @Test
  void byUid_withinThePeriod_answersWithoutAskingAgain() throws Exception {
    put(1001, 1001, 50);
    cache.byUid(1001);
    now.addAndGet(Duration.ofSeconds(59).toNanos());
    assertThat(cache.byUid(1001).orElseThrow().groups()).containsExactly(1001, 50);
    assertThat(cache.byName("u1001")).isPresent();
    assertThat(directory.asked).isEqualTo(1);
  }

  @Test
  void byUid_afterThePeriod_seesTheDirectorysNewGroups() throws Exception {
    put(1001, 1001, 50);
    cache.byUid(1001);
    put(1001, 1001);
    now.addAndGet(Duration.ofSeconds(60).toNanos());
    assertThat(cache.byUid(1001).orElseThrow().groups()).containsExactly(1001);
  }

  @Test
  void expiredEntry_directoryDown_failsClosed() throws Exception {
    put(1001, 1001, 50);
    cache.byUid(1001);
    directory.down = true;
    now.addAndGet(Duration.ofSeconds(61).toNanos());
    assertThatThrownBy(() -> cache.byUid(1001))
        .isInstanceOf(UserDirectory.LookupException.class)
        .hasMessageContaining("does not answer");
  }

  @Test
  void unknownUser_isAskedAgainNextTime() throws Exception {
    assertThat(cache.byUid(1002)).isEmpty();
    put(1002, 1002);
    assertThat(cache.byUid(1002)).isPresent();
  }

  @Test
  void zeroPeriod_cachesNothing() throws Exception {
    AccountCache none = new AccountCache(directory, Duration.ZERO, now::get);
    put(1001, 1001);
    none.byUid(1001);
    none.byUid(1001);
    assertThat(directory.asked).isEqualTo(2);
  }
}
