package dev.berth.testing;

import dev.berth.policy.UserDirectory;
import dev.berth.policy.UserDirectory.Account;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Who calls berth in tests that run without real users: the test process itself, whatever its uid,
 * named "alice" so that its requests are judged as an ordinary user's (root would pass through).
 * Isolation is proven with two real uids in berth-it, never with these.
 */
public final class FakeCallers {
  private FakeCallers() {}

  /** Every uid is an ordinary user called alice (home /nonexistent, group 0). */
  public static UserDirectory everyUidIsAlice() {
    return new UserDirectory() {
      @Override
      public Optional<Account> byUid(int uid) {
        return Optional.of(new Account("alice", uid, 0, "/nonexistent", List.of(0)));
      }

      @Override
      public Optional<Account> byName(String name) {
        return Optional.empty();
      }

      @Override
      public Optional<Integer> groupId(String group) {
        return Optional.empty();
      }
    };
  }

  /** This process's uid: the caller berth sees, and the owner a fake daemon reports. */
  public static int currentUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }
}
