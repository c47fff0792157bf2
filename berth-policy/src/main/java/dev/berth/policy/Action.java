package dev.berth.policy;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every Docker Engine API operation berth knows, by the name policies use. A request whose route is
 * not in {@link dev.berth.policy.docker.RouteTable} has no action and is always denied.
 */
public enum Action {
  PING,
  SYSTEM_VERSION,
  SYSTEM_INFO,
  SYSTEM_EVENTS,
  SYSTEM_DF,
  SYSTEM_AUTH,

  CONTAINER_LIST,
  CONTAINER_CREATE,
  CONTAINER_INSPECT,
  CONTAINER_TOP,
  CONTAINER_LOGS,
  CONTAINER_CHANGES,
  CONTAINER_EXPORT,
  CONTAINER_STATS,
  CONTAINER_RESIZE,
  CONTAINER_START,
  CONTAINER_STOP,
  CONTAINER_RESTART,
  CONTAINER_KILL,
  CONTAINER_UPDATE,
  CONTAINER_RENAME,
  CONTAINER_PAUSE,
  CONTAINER_UNPAUSE,
  CONTAINER_ATTACH,
  CONTAINER_ATTACH_WEBSOCKET,
  CONTAINER_WAIT,
  CONTAINER_DELETE,
  CONTAINER_ARCHIVE_STAT,
  CONTAINER_ARCHIVE_GET,
  CONTAINER_ARCHIVE_PUT,
  CONTAINER_PRUNE,
  CONTAINER_COMMIT,
  CONTAINER_CHECKPOINT,

  EXEC_CREATE,
  EXEC_START,
  EXEC_RESIZE,
  EXEC_INSPECT,

  IMAGE_LIST,
  IMAGE_BUILD,
  IMAGE_BUILD_PRUNE,
  IMAGE_BUILD_CANCEL,
  IMAGE_CREATE,
  IMAGE_INSPECT,
  IMAGE_HISTORY,
  IMAGE_PUSH,
  IMAGE_TAG,
  IMAGE_DELETE,
  IMAGE_SEARCH,
  IMAGE_PRUNE,
  IMAGE_EXPORT,
  IMAGE_LOAD,
  DISTRIBUTION_INSPECT,

  NETWORK_LIST,
  NETWORK_INSPECT,
  NETWORK_CREATE,
  NETWORK_CONNECT,
  NETWORK_DISCONNECT,
  NETWORK_DELETE,
  NETWORK_PRUNE,

  VOLUME_LIST,
  VOLUME_CREATE,
  VOLUME_INSPECT,
  VOLUME_UPDATE,
  VOLUME_DELETE,
  VOLUME_PRUNE,

  SWARM,
  NODE,
  SERVICE,
  TASK,
  SECRET,
  CONFIG,
  PLUGIN,
  SESSION,
  GRPC;

  private static final Map<String, Action> BY_ID =
      Arrays.stream(values())
          .collect(Collectors.toUnmodifiableMap(Action::id, Function.identity()));

  /** The policy name: {@code container_create}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Action> byId(String id) {
    return Optional.ofNullable(BY_ID.get(id));
  }
}
