package dev.berth.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Resolves numeric ids to accounts. The production implementation asks the C library (NSS), so LDAP
 * and SSSD users work; tests may use a fixed table.
 *
 * <p>Implementations must be thread-safe. A lookup that fails (as opposed to a user that does not
 * exist) throws {@link LookupException}; callers deny the request.
 */
public interface UserDirectory {

  /** The account with this uid, or empty when there is none. */
  Optional<Account> byUid(int uid) throws LookupException;

  /** The account with this name, or empty when there is none. */
  Optional<Account> byName(String name) throws LookupException;

  /** The gid of the group with this name, or empty when there is none. */
  Optional<Integer> groupId(String group) throws LookupException;

  /** A user account as NSS describes it. */
  record Account(String name, int uid, int gid, String home, List<Integer> groups) {
    public Account {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(home, "home");
      groups = List.copyOf(groups);
    }
  }

  /** A lookup could not be completed (NSS error, buffer limits, …). */
  final class LookupException extends Exception {
    public LookupException(String message) {
      super(message);
    }
  }
}
