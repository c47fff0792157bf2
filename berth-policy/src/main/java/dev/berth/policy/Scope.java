package dev.berth.policy;

import java.util.Locale;
import java.util.Optional;

/**
 * Which existing objects a role may see and act on.
 *
 * <p>Objects belong to the user who created them through berth (see {@link Owner}); objects created
 * some other way (by an administrator on the daemon's own socket, before berth was installed)
 * belong to nobody and only {@link #ALL} reaches them.
 */
public enum Scope {
  /** Only the caller's own objects. */
  OWN,
  /** The caller's own objects and those its sharing group owns (see {@link Grant#shareGid}). */
  GROUP,
  /** Every object (administrators). */
  ALL;

  /** The policy name: {@code own}, {@code group}, {@code all}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Scope> byId(String id) {
    for (Scope s : values()) {
      if (s.id().equals(id)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
