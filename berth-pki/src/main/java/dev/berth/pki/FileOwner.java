package dev.berth.pki;

import static java.util.Objects.requireNonNull;

/**
 * The account that is to own files berth writes for a user.
 *
 * @param user the user name (as NSS gives it)
 * @param uid the user's uid
 * @param gid the user's primary gid
 */
public record FileOwner(String user, int uid, int gid) {
  public FileOwner {
    requireNonNull(user, "user");
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("uid and gid must not be negative");
    }
  }
}
