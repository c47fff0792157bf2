package dev.berth.policy;

import static dev.berth.policy.Action.*;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * The query parameters an ordinary user may send, per action (corpus PATH-08).
 *
 * <p>dockerd honours parameters a filter does not model: {@code start?checkpoint-dir=} restores
 * a container from a directory the daemon reads as root, {@code build?cgroupparent=} escapes
 * limits. So for every action a user holds, the parameters are an allowlist taken from the
 * Engine API reference (v1.51); anything else is refused. Passthrough roles are not limited.
 */
final class QueryAllowlist {
  private static final Map<Action, Set<String>> ALLOWED = new EnumMap<>(Action.class);

  static {
    allow(Set.of(), PING, SYSTEM_VERSION, SYSTEM_INFO, CONTAINER_CHANGES, CONTAINER_EXPORT,
        CONTAINER_UPDATE, CONTAINER_PAUSE, CONTAINER_UNPAUSE, EXEC_CREATE, EXEC_START,
        EXEC_INSPECT, DISTRIBUTION_INSPECT, VOLUME_CREATE, VOLUME_INSPECT);
    allow(Set.of("since", "until", "filters"), SYSTEM_EVENTS);
    allow(Set.of("type"), SYSTEM_DF);
    allow(Set.of("all", "limit", "size", "filters"), CONTAINER_LIST);
    allow(Set.of("name", "platform"), CONTAINER_CREATE);
    allow(Set.of("size"), CONTAINER_INSPECT);
    allow(Set.of("ps_args"), CONTAINER_TOP);
    allow(Set.of("follow", "stdout", "stderr", "since", "until", "timestamps", "tail",
        "details"), CONTAINER_LOGS);
    allow(Set.of("stream", "one-shot"), CONTAINER_STATS);
    allow(Set.of("h", "w"), CONTAINER_RESIZE, EXEC_RESIZE);
    allow(Set.of("detachKeys"), CONTAINER_START);
    allow(Set.of("t", "signal"), CONTAINER_STOP, CONTAINER_RESTART);
    allow(Set.of("signal"), CONTAINER_KILL);
    allow(Set.of("name"), CONTAINER_RENAME);
    allow(Set.of("detachKeys", "logs", "stream", "stdin", "stdout", "stderr"),
        CONTAINER_ATTACH, CONTAINER_ATTACH_WEBSOCKET);
    allow(Set.of("condition"), CONTAINER_WAIT);
    allow(Set.of("v", "force"), CONTAINER_DELETE);
    allow(Set.of("path"), CONTAINER_ARCHIVE_STAT, CONTAINER_ARCHIVE_GET);
    allow(Set.of("path", "noOverwriteDirNonDir", "copyUIDGID"), CONTAINER_ARCHIVE_PUT);
    allow(Set.of("all", "filters", "shared-size", "digests", "manifests"), IMAGE_LIST);
    allow(Set.of("manifests"), IMAGE_INSPECT);
    allow(Set.of("platform"), IMAGE_HISTORY);
    allow(Set.of("fromImage", "fromSrc", "repo", "tag", "message", "changes", "platform"),
        IMAGE_CREATE);
    allow(Set.of("names", "platform"), IMAGE_EXPORT);
    allow(Set.of("term", "limit", "filters"), IMAGE_SEARCH);
    allow(Set.of("filters"), NETWORK_LIST, VOLUME_LIST, CONTAINER_PRUNE, NETWORK_PRUNE);
    allow(Set.of("filters", "all"), VOLUME_PRUNE);
    allow(Set.of("filters"), IMAGE_PRUNE);
    allow(Set.of("filters", "all", "keep-storage", "reserved-space", "max-used-space",
        "min-free-space"), IMAGE_BUILD_PRUNE);
    allow(Set.of(), NETWORK_CREATE, NETWORK_DELETE, NETWORK_CONNECT, NETWORK_DISCONNECT);
    allow(Set.of("force"), VOLUME_DELETE);
    allow(Set.of("container", "repo", "tag", "comment", "author", "pause", "changes"),
        CONTAINER_COMMIT);
    allow(Set.of("repo", "tag"), IMAGE_TAG);
    allow(Set.of("force", "noprune", "platforms"), IMAGE_DELETE);
    allow(Set.of("tag", "platform"), IMAGE_PUSH);
    allow(Set.of("verbose", "scope"), NETWORK_INSPECT);
  }

  private QueryAllowlist() {}

  private static void allow(Set<String> params, Action... actions) {
    for (Action a : actions) {
      ALLOWED.put(a, params);
    }
  }

  /** The first parameter of {@code query} a user may not send with {@code action}, if any. */
  static java.util.Optional<String> firstRefused(Action action, QueryParams query) {
    Set<String> allowed = ALLOWED.getOrDefault(action, Set.of());
    return query.asMap().keySet().stream().filter(k -> !allowed.contains(k)).findFirst();
  }
}
