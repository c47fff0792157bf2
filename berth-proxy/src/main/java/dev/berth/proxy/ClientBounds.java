package dev.berth.proxy;

import dev.berth.policy.Bounds;
import dev.berth.policy.Role;
import java.time.Duration;
import java.util.Optional;

/**
 * How much of berth one client may hold, and for how long (slow-loris, idle connections, one user
 * starving the others). The per-user numbers are host-wide: a role's {@link Bounds} may lower them
 * for its holders, never raise them (the descriptors and memory behind them are the host's), and
 * they apply as they are to roles that set none ({@link #capsOf}).
 *
 * @param connectionsPerUser connections one user may have open at once
 * @param requestsPerUser requests one user may have in flight at once, streams such as {@code logs
 *     -f} and attached sessions included until they end
 * @param requestTimeout time a client has to send a request head once it began, and a body berth
 *     judges from its head on; else 408
 * @param idleTimeout time a connection may stay open between requests without sending anything
 */
public record ClientBounds(
    int connectionsPerUser, int requestsPerUser, Duration requestTimeout, Duration idleTimeout) {

  /**
   * Enough for compose and buildx fanning out many parallel requests and far below what berth's
   * descriptors allow; 30 s for a head that clients send in one write; five minutes of idleness,
   * longer than the docker CLI keeps a connection it does not use.
   */
  public static final ClientBounds DEFAULT =
      new ClientBounds(256, 128, Duration.ofSeconds(30), Duration.ofMinutes(5));

  /** Where the host-wide per-user bounds come from, named in refusals. */
  static final String HOST_CONNECTIONS = "berth serve --max-connections-per-user";

  static final String HOST_REQUESTS = "berth serve --max-requests-per-user";

  /**
   * One user's bounds in force, each with the rule that set it (named in the 429).
   *
   * @param connections connections the user may have open
   * @param connectionsRule {@code roles.<role>.bounds.connections} or the host-wide option
   * @param requests requests the user may have in flight
   * @param requestsRule {@code roles.<role>.bounds.requests_in_flight} or the host-wide option
   */
  record Caps(int connections, String connectionsRule, int requests, String requestsRule) {}

  /** The bounds of a holder of {@code role} (none: a caller no binding matches). */
  Caps capsOf(Optional<Role> role) {
    Bounds b = role.map(Role::bounds).orElse(Bounds.NONE);
    String at = role.map(r -> "roles." + r.name() + ".bounds.").orElse("");
    boolean ownConnections = b.connections() > 0 && b.connections() <= connectionsPerUser;
    boolean ownRequests = b.requestsInFlight() > 0 && b.requestsInFlight() <= requestsPerUser;
    return new Caps(
        ownConnections ? b.connections() : connectionsPerUser,
        ownConnections ? at + "connections" : HOST_CONNECTIONS,
        ownRequests ? b.requestsInFlight() : requestsPerUser,
        ownRequests ? at + "requests_in_flight" : HOST_REQUESTS);
  }

  public ClientBounds {
    if (connectionsPerUser < 1 || requestsPerUser < 1) {
      throw new IllegalArgumentException("per-user bounds must be at least 1");
    }
    if (!requestTimeout.isPositive() || !idleTimeout.isPositive()) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
  }
}
