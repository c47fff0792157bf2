package dev.berth.policy.rules;

import dev.berth.policy.QueryParams;
import dev.berth.policy.docker.ActionSpec;
import dev.berth.policy.docker.QueryParam;
import java.util.List;
import java.util.Optional;

/**
 * The query parameters an ordinary user may send (corpus PATH-08), as the action's {@link
 * ActionSpec#query()} lists them.
 *
 * <p>dockerd honours parameters a filter does not model: {@code start?checkpoint-dir=} restores a
 * container from a directory the daemon reads as root, {@code build?cgroupparent=} escapes limits.
 * So for every action a user holds, the parameters are an allowlist taken from the Engine API
 * reference; anything else is refused, and so is a parameter the table marks refused or lists only
 * for other API versions. Parameters the table marks dropped are removed before forwarding.
 * Passthrough roles are not limited. In plugin mode, where berth cannot change a request, a dropped
 * parameter reaches the daemon, which ignores it: the same request.
 */
public final class QueryAllowlist {
  private QueryAllowlist() {}

  /** The first parameter of {@code query} a user may not send with this action, if any. */
  public static Optional<String> firstRefused(
      ActionSpec spec, String apiVersion, QueryParams query) {
    return query.asMap().keySet().stream()
        .filter(
            k ->
                spec.param(k, apiVersion)
                    .map(p -> p.treatment() == QueryParam.Treatment.REFUSED)
                    .orElse(true))
        .findFirst();
  }

  /** {@code query} without the parameters the table drops, each noted in {@code notes}. */
  public static QueryParams withoutDropped(
      ActionSpec spec, String apiVersion, QueryParams query, List<String> notes) {
    QueryParams out = query;
    for (String k : query.asMap().keySet()) {
      if (spec.param(k, apiVersion)
          .map(p -> p.treatment() == QueryParam.Treatment.DROPPED)
          .orElse(false)) {
        out = out.without(k);
        notes.add(
            "query parameter '"
                + k
                + "' dropped (the daemon ignores it in API "
                + (apiVersion.isEmpty() ? "its newest version" : apiVersion)
                + ")");
      }
    }
    return out;
  }
}
