package dev.berth.policy;

/**
 * What one holder of a role may hold of berth itself at once, across all their connections: open
 * connections, and requests in flight (a stream such as {@code logs -f} or an attached session is
 * in flight until it ends). One user at a bound is answered 429; nobody else is affected. A zero
 * means "not set": berth's host-wide bound applies ({@code berth serve --max-connections-per-user},
 * {@code --max-requests-per-user}), which is also the most a role may give, since the descriptors
 * and memory behind it are the host's.
 *
 * @param connections connections one user may have open at once
 * @param requestsInFlight requests one user may have in flight at once
 */
public record Bounds(int connections, int requestsInFlight) {
  /** Not set: the host-wide bounds apply. */
  public static final Bounds NONE = new Bounds(0, 0);

  public Bounds {
    if (connections < 0 || requestsInFlight < 0) {
      throw new IllegalArgumentException("bounds must not be negative");
    }
  }
}
