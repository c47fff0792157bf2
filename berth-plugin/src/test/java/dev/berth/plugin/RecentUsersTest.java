package dev.berth.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.UserDirectory;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RecentUsersTest {
  private final AtomicInteger calls = new AtomicInteger();
  private boolean failing;

  private final UserDirectory nss =
      new UserDirectory() {
        @Override
        public Optional<Account> byUid(int uid) {
          return Optional.empty();
        }

        @Override
        public Optional<Account> byName(String name) throws LookupException {
          calls.incrementAndGet();
          if (failing) {
            throw new LookupException("ldap down");
          }
          return Optional.of(new Account(name, 1001, 1001, "/home/" + name, List.of(1001)));
        }

        @Override
        public Optional<Integer> groupId(String group) {
          return Optional.empty();
        }
      };

  @Test
  void byName_repeatedWithinTtl_asksNssOnce() throws Exception {
    RecentUsers users = new RecentUsers(nss);
    users.byName("alice");
    users.byName("alice");
    assertThat(calls).hasValue(1);
  }

  @Test
  void byName_failedLookup_notKept() {
    RecentUsers users = new RecentUsers(nss);
    failing = true;
    assertThatThrownBy(() -> users.byName("alice"))
        .isInstanceOf(UserDirectory.LookupException.class);
    assertThatThrownBy(() -> users.byName("alice"))
        .isInstanceOf(UserDirectory.LookupException.class);
    assertThat(calls).hasValue(2);
  }
}
