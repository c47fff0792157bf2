package dev.berth.policy;

import static dev.berth.policy.Action.*;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Query parameters that clients send and the daemon does not read, removed before berth judges
 * and forwards a request (the audit record notes each), so that they are neither refused nor
 * passed on. Each was checked in moby's routers of both engines berth is tested against
 * (v20.10.24 and v28.5.2, {@code api/server/router/...}); the daemon's own code ignoring them is
 * what makes dropping them safe: the request means the same without them.
 *
 * <ul>
 *   <li>{@code GET /containers/json?trunc_cmd=}: docker-py's client-side option; the router reads
 *       {@code all, size, before, filters, limit, since} only ({@code getContainersJSON}).
 *   <li>{@code GET /images/json?only_ids=}: docker-py's client-side option; the router reads
 *       {@code all, filter, filters} (and on 28.x {@code manifests, shared-size}).
 *   <li>{@code POST /images/{name}/tag?force=}: gone from the API since 1.25; the router reads
 *       {@code repo, tag} only ({@code postImagesTag}).
 *   <li>{@code DELETE /containers/{id}?link=} when false: the router reads it as a boolean
 *       ({@code deleteContainers}) and false is the same as absent; a true {@code link} (remove
 *       a legacy link) stays refused.
 * </ul>
 */
final class IgnoredQuery {
  private static final Map<Action, List<String>> IGNORED = new EnumMap<>(Action.class);

  static {
    IGNORED.put(CONTAINER_LIST, List.of("trunc_cmd"));
    IGNORED.put(IMAGE_LIST, List.of("only_ids"));
    IGNORED.put(IMAGE_TAG, List.of("force"));
  }

  private IgnoredQuery() {}

  /** The request without what the daemon ignores, and a note per parameter removed. */
  record Stripped(CanonicalRequest request, List<String> notes) {}

  static Stripped strip(Action action, CanonicalRequest request) {
    CanonicalRequest out = request;
    List<String> notes = new ArrayList<>();
    for (String p : IGNORED.getOrDefault(action, List.of())) {
      if (out.query().has(p)) {
        out = out.withQuery(out.query().without(p));
        notes.add("query parameter " + p + " dropped (the daemon ignores it)");
      }
    }
    if (action == CONTAINER_DELETE && out.query().has("link") && !out.query().bool("link")) {
      out = out.withQuery(out.query().without("link"));
      notes.add("query parameter link=false dropped (the same as absent)");
    }
    return new Stripped(out, notes);
  }
}
