package dev.berth.proxy;

import java.time.Duration;

/**
 * How much of berth one client may hold, and for how long (slow-loris, idle connections, one user
 * starving the others).
 *
 * @param connectionsPerUser connections one user may have open at once
 * @param requestsPerUser requests one user may have in flight at once, streams such as
 *     {@code logs -f} and attached sessions included until they end
 * @param requestTimeout time a client has to send a request head once it began, and a body berth
 *     judges from its head on; else 408
 * @param idleTimeout time a connection may stay open between requests without sending anything
 */
public record ClientBounds(int connectionsPerUser, int requestsPerUser, Duration requestTimeout,
    Duration idleTimeout) {

  /**
   * Enough for compose and buildx fanning out many parallel requests and far below what berth's
   * descriptors allow; 30 s for a head that clients send in one write; five minutes of idleness,
   * longer than the docker CLI keeps a connection it does not use.
   */
  public static final ClientBounds DEFAULT = new ClientBounds(256, 128, Duration.ofSeconds(30),
      Duration.ofMinutes(5));

  public ClientBounds {
    if (connectionsPerUser < 1 || requestsPerUser < 1) {
      throw new IllegalArgumentException("per-user bounds must be at least 1");
    }
    if (!requestTimeout.isPositive() || !idleTimeout.isPositive()) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
  }
}
