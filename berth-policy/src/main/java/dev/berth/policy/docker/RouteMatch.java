package dev.berth.policy.docker;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/** A request matched to its route, with the path parameters it named. */
public record RouteMatch(Route route, Map<String, String> params) {
  public RouteMatch {
    requireNonNull(route, "route");
    params = Map.copyOf(params);
  }

  public String param(String name) {
    String v = params.get(name);
    if (v == null) {
      throw new IllegalArgumentException("route " + route.template() + " has no {" + name + "}");
    }
    return v;
  }
}
