package dev.berth.policy.docker;

import dev.berth.policy.Action;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Docker Engine API (up to API 1.51), method and path to {@link Action}, compiled once from the
 * routes of the {@link DockerApi} entries, in their order.
 *
 * <p>Matching is exact and anchored on the canonical path (version prefix already stripped, see
 * {@code CanonicalRequest}); the first matching entry wins, so fixed paths such as {@code
 * /images/json} precede templates such as {@code /images/{name*}/json}. A request that matches
 * nothing has no action, and no rule allows it.
 */
public final class RouteTable {
  private static final RouteTable DOCKER =
      new RouteTable(DockerApi.all().stream().flatMap(spec -> spec.routes().stream()).toList());

  private final List<Route> routes;

  private RouteTable(List<Route> routes) {
    this.routes = List.copyOf(routes);
  }

  /** The table for the Docker Engine API. */
  public static RouteTable docker() {
    return DOCKER;
  }

  /** The route this request takes, or empty when the API has no such endpoint. */
  public Optional<RouteMatch> match(String method, String path) {
    for (Route r : routes) {
      Map<String, String> params = r.match(method, path);
      if (params != null) {
        return Optional.of(new RouteMatch(r, params));
      }
    }
    return Optional.empty();
  }

  public List<Route> routes() {
    return routes;
  }
}
