package dev.berth.policy.docker;

import static dev.berth.policy.Action.*;
import static dev.berth.policy.docker.ActionSpec.api;
import static dev.berth.policy.docker.ActionSpec.router;
import static dev.berth.policy.docker.BodyKind.*;
import static dev.berth.policy.docker.ObjectKind.*;
import static dev.berth.policy.docker.Ownership.FILTERED;
import static dev.berth.policy.docker.Ownership.NAMED;
import static dev.berth.policy.docker.Ownership.NARROWED;
import static dev.berth.policy.docker.Ownership.RULE;
import static dev.berth.policy.docker.Ownership.SWARM_STATE;
import static dev.berth.policy.docker.PluginMode.*;
import static java.util.Objects.requireNonNull;

import dev.berth.policy.Action;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The Docker Engine API as berth knows it (up to API 1.51): one {@link ActionSpec} per action.
 *
 * <p>To add an action, add its entry here (and its constant to {@link Action}): its routes with
 * their body kind and Engine API reference, the schema of a JSON body, the query parameters a user
 * may send, the object its path names and the object it creates, and how ownership treats it; then
 * give it its rule (see {@code docs/adding-an-action.md}). Nothing else lists actions.
 *
 * <p>Routes are matched in the order of this table, each entry's routes in turn, and the first
 * match wins: a fixed path ({@code /images/json}) must come before a template that could match it
 * ({@code /images/{name*}/json}); {@code DockerApiTest} checks that no route is shadowed.
 */
public final class DockerApi {
  private static final String GET = "GET";
  private static final String HEAD = "HEAD";
  private static final String POST = "POST";
  private static final String PUT = "PUT";
  private static final String DELETE = "DELETE";
  private static final String EXPERIMENTAL_CHECKPOINT =
      "experimental checkpoint API, not in the Engine API reference";
  private static final String BUILD_CANCEL =
      "BuildKit build cancel, not in the Engine API " + "reference";
  private static final String GRPC_TUNNEL =
      "BuildKit gRPC tunnel (deprecated), not in the " + "Engine API reference";
  private static final String CONTAINERS = "container/container_routes.go";
  private static final String IMAGES = "image/image_routes.go";

  private static final List<ActionSpec> ALL =
      build(
          entry(PING)
              .route(GET, "/_ping", NONE, api("System", "SystemPing"))
              .route(HEAD, "/_ping", NONE, api("System", "SystemPingHead")),
          entry(SYSTEM_VERSION).route(GET, "/version", NONE, api("System", "SystemVersion")),
          entry(SYSTEM_INFO).route(GET, "/info", NONE, api("System", "SystemInfo")),
          entry(SYSTEM_EVENTS)
              .route(GET, "/events", NONE, api("System", "SystemEvents"))
              .query("since", "until", "filters")
              .ownership(NARROWED),
          entry(SYSTEM_DF)
              .route(GET, "/system/df", NONE, api("System", "SystemDataUsage"))
              .query("type")
              .ownership(FILTERED),
          entry(SYSTEM_AUTH).route(POST, "/auth", JSON_OPAQUE, api("System", "SystemAuth")),
          entry(CONTAINER_LIST)
              .route(GET, "/containers/json", NONE, api("Container", "ContainerList"))
              .query("all", "limit", "size")
              .judged("filters", "ownership (NARROWED): the caller's owner label is added")
              .refused(
                  "since",
                  router(CONTAINERS, "getContainersJSON"),
                  "names another container "
                      + "by id or name, resolved among every user's containers (an existence oracle); "
                      + "use filters=since")
              .refused(
                  "before",
                  router(CONTAINERS, "getContainersJSON"),
                  "names another container "
                      + "by id or name, resolved among every user's containers (an existence oracle); "
                      + "use filters=before")
              .dropped(
                  "trunc_cmd",
                  router(CONTAINERS, "getContainersJSON"),
                  "docker-py's "
                      + "client-side option; the router of 20.10 and 28.x reads all, limit, size, "
                      + "since, before and filters only")
              .ownership(NARROWED),
          entry(CONTAINER_CREATE)
              .route(POST, "/containers/create", JSON, api("Container", "ContainerCreate"))
              .schema(DockerSchemas.CONTAINER_CREATE)
              .judged("name", "ContainerOwnership: the name must be free or the caller's")
              .query("platform")
              .ownership(RULE)
              .creates(CONTAINER),
          entry(CONTAINER_PRUNE)
              .route(POST, "/containers/prune", NONE, api("Container", "ContainerPrune"))
              .query("filters")
              .ownership(NARROWED),
          entry(CONTAINER_INSPECT)
              .route(GET, "/containers/{id}/json", NONE, api("Container", "ContainerInspect"))
              .query("size")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_TOP)
              .route(GET, "/containers/{id}/top", NONE, api("Container", "ContainerTop"))
              .judged(
                  "ps_args",
                  "given to ps on the host, whose rows the daemon keeps to the "
                      + "container's own processes (ownership NAMED: the caller's container)")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_LOGS)
              .route(GET, "/containers/{id}/logs", NONE, api("Container", "ContainerLogs"))
              .query(
                  "follow", "stdout", "stderr", "since", "until", "timestamps", "tail", "details")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_CHANGES)
              .route(GET, "/containers/{id}/changes", NONE, api("Container", "ContainerChanges"))
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_EXPORT)
              .route(GET, "/containers/{id}/export", NONE, api("Container", "ContainerExport"))
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_STATS)
              .route(GET, "/containers/{id}/stats", NONE, api("Container", "ContainerStats"))
              .query("stream", "one-shot")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_RESIZE)
              .route(POST, "/containers/{id}/resize", NONE, api("Container", "ContainerResize"))
              .query("h", "w")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_START)
              .route(POST, "/containers/{id}/start", NONE, api("Container", "ContainerStart"))
              .query("detachKeys")
              .refused(
                  "checkpoint",
                  router(CONTAINERS, "postContainersStart"),
                  "restores the container from a checkpoint (experimental, corpus PATH-08)")
              .refused(
                  "checkpoint-dir",
                  router(CONTAINERS, "postContainersStart"),
                  "restores from a directory the daemon reads as root (corpus PATH-08)")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_STOP)
              .route(POST, "/containers/{id}/stop", NONE, api("Container", "ContainerStop"))
              .query("t", "signal")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_RESTART)
              .route(POST, "/containers/{id}/restart", NONE, api("Container", "ContainerRestart"))
              .query("t", "signal")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_KILL)
              .route(POST, "/containers/{id}/kill", NONE, api("Container", "ContainerKill"))
              .query("signal")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_UPDATE)
              .route(POST, "/containers/{id}/update", JSON, api("Container", "ContainerUpdate"))
              .schema(DockerSchemas.CONTAINER_UPDATE)
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_RENAME)
              .route(POST, "/containers/{id}/rename", NONE, api("Container", "ContainerRename"))
              .judged("name", "ContainerOwnership: the new name must be free or the caller's")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_PAUSE)
              .route(POST, "/containers/{id}/pause", NONE, api("Container", "ContainerPause"))
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_UNPAUSE)
              .route(POST, "/containers/{id}/unpause", NONE, api("Container", "ContainerUnpause"))
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_ATTACH)
              .hijacking(POST, "/containers/{id}/attach", NONE, api("Container", "ContainerAttach"))
              .query("detachKeys", "logs", "stream", "stdin", "stdout", "stderr")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_ATTACH_WEBSOCKET)
              .hijacking(
                  GET,
                  "/containers/{id}/attach/ws",
                  NONE,
                  api("Container", "ContainerAttachWebsocket"))
              .query("detachKeys", "logs", "stream", "stdin", "stdout", "stderr")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_WAIT)
              .route(POST, "/containers/{id}/wait", NONE, api("Container", "ContainerWait"))
              .query("condition")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_DELETE)
              .route(DELETE, "/containers/{id}", NONE, api("Container", "ContainerDelete"))
              .query("v", "force")
              .judged(
                  "link",
                  "the daemon removes a link only when the path names it as "
                      + "/parent/alias (rmLink in daemon/delete.go); {id} is one segment (an encoded / "
                      + "is refused) and ownership (NAMED) forwards the container by its full id, so "
                      + "link=1 removes no link, in plugin mode too")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_ARCHIVE_STAT)
              .route(
                  HEAD, "/containers/{id}/archive", NONE, api("Container", "ContainerArchiveInfo"))
              .query("path")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_ARCHIVE_GET)
              .route(GET, "/containers/{id}/archive", NONE, api("Container", "ContainerArchive"))
              .query("path")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(CONTAINER_ARCHIVE_PUT)
              .route(
                  PUT, "/containers/{id}/archive", STREAM, api("Container", "PutContainerArchive"))
              .judged("path", "ArchiveRules")
              .query("noOverwriteDirNonDir")
              .judged(
                  "copyUIDGID", "ArchiveRules: dropped in the rewrite, ownership is the caller's")
              .names(CONTAINER)
              .ownership(NAMED)
              .plugin(CLOSED_STREAM_REWRITE),
          entry(CONTAINER_CHECKPOINT)
              .route(GET, "/containers/{id}/checkpoints", NONE, EXPERIMENTAL_CHECKPOINT)
              .route(POST, "/containers/{id}/checkpoints", JSON_OPAQUE, EXPERIMENTAL_CHECKPOINT)
              .route(
                  DELETE,
                  "/containers/{id}/checkpoints/{checkpoint}",
                  NONE,
                  EXPERIMENTAL_CHECKPOINT)
              .refused(
                  "dir",
                  router("checkpoint/checkpoint_routes.go", "getContainerCheckpoints"),
                  "a checkpoint directory the daemon reads and writes as root (corpus PATH-08)")
              .names(CONTAINER)
              .ownership(NAMED),
          entry(EXEC_CREATE)
              .route(POST, "/containers/{id}/exec", JSON, api("Exec", "ContainerExec"))
              .schema(DockerSchemas.EXEC_CREATE)
              .names(CONTAINER)
              .ownership(NAMED)
              .creates(EXEC),
          entry(EXEC_START)
              .hijacking(POST, "/exec/{id}/start", JSON, api("Exec", "ExecStart"))
              .schema(DockerSchemas.EXEC_START)
              .names(EXEC)
              .ownership(NAMED),
          entry(EXEC_RESIZE)
              .route(POST, "/exec/{id}/resize", NONE, api("Exec", "ExecResize"))
              .query("h", "w")
              .names(EXEC)
              .ownership(NAMED),
          entry(EXEC_INSPECT)
              .route(GET, "/exec/{id}/json", NONE, api("Exec", "ExecInspect"))
              .names(EXEC)
              .ownership(NAMED),
          entry(CONTAINER_COMMIT)
              .route(POST, "/commit", JSON_OPAQUE, api("Image", "ImageCommit"))
              .judged("container", "ImageOwnership.commit: the container must be the caller's")
              .judged("repo", "ImageRules.commit: written into the caller's namespace")
              .judged("tag", "ImageRules.commit: written into the caller's namespace")
              .query("comment", "author", "pause")
              .judged(
                  "changes",
                  "ImageChanges: ENV, LABEL (not dev.berth.*), WORKDIR, CMD, ENTRYPOINT, EXPOSE, "
                      + "USER, VOLUME, one instruction each, as docker import's")
              .ownership(RULE)
              .creates(IMAGE),
          entry(IMAGE_LIST)
              .route(GET, "/images/json", NONE, api("Image", "ImageList"))
              .query("all", "filters", "shared-size", "manifests", "filter")
              .dropped(
                  "digests",
                  router(IMAGES, "getImagesJSON"),
                  "listed by the reference, read "
                      + "by no router of 20.10 or 28.x (digests are always in the answer)")
              .dropped(
                  "only_ids",
                  router(IMAGES, "getImagesJSON"),
                  "docker-py's client-side "
                      + "option; the router of 20.10 and 28.x reads all, filter, filters (and on 28.x "
                      + "shared-size, manifests) only")
              .ownership(FILTERED),
          entry(IMAGE_BUILD)
              .route(POST, "/build", STREAM, api("Image", "ImageBuild"))
              // judged one by one in BuildRules (the classic builder's parameters, build_routes.go)
              .query(
                  "dockerfile",
                  "t",
                  "extrahosts",
                  "remote",
                  "q",
                  "nocache",
                  "cachefrom",
                  "pull",
                  "rm",
                  "forcerm",
                  "memory",
                  "memswap",
                  "cpushares",
                  "cpusetcpus",
                  "cpusetmems",
                  "cpuperiod",
                  "cpuquota",
                  "buildargs",
                  "shmsize",
                  "squash",
                  "labels",
                  "networkmode",
                  "platform",
                  "target",
                  "outputs",
                  "ulimits",
                  "version",
                  "cgroupparent",
                  "isolation",
                  "securityopt",
                  "session",
                  "buildid")
              .ownership(RULE),
          entry(IMAGE_BUILD_PRUNE)
              .route(POST, "/build/prune", NONE, api("Image", "BuildPrune"))
              .query(
                  "filters",
                  "all",
                  "keep-storage",
                  "reserved-space",
                  "max-used-space",
                  "min-free-space")
              .ownership(RULE),
          entry(IMAGE_BUILD_CANCEL).route(POST, "/build/cancel", NONE, BUILD_CANCEL).query("id"),
          entry(IMAGE_CREATE)
              .route(POST, "/images/create", STREAM, api("Image", "ImageCreate"))
              .judged(
                  "fromImage",
                  "ImageRules.pull: one shared tag, not over a tag another user " + "made")
              .judged("tag", "ImageRules.pull")
              .judged("fromSrc", "ImageArchiveRules.importSource: only - (the body), never a URL")
              .judged("repo", "ImageArchiveRules.importInto: written into the caller's namespace")
              .judged("message", "an import's comment in the image's history, nothing more")
              .judged(
                  "changes",
                  "ImageChanges: ENV, LABEL (not dev.berth.*), WORKDIR, CMD, ENTRYPOINT, EXPOSE, "
                      + "USER, VOLUME, one instruction each")
              .query("platform")
              .ownership(RULE),
          entry(IMAGE_SEARCH)
              .route(GET, "/images/search", NONE, api("Image", "ImageSearch"))
              .query("term", "limit", "filters"),
          entry(IMAGE_PRUNE)
              .route(POST, "/images/prune", NONE, api("Image", "ImagePrune"))
              .query("filters")
              .ownership(NARROWED),
          entry(IMAGE_EXPORT)
              .route(GET, "/images/get", NONE, api("Image", "ImageGetAll"))
              .route(GET, "/images/{name*}/get", NONE, api("Image", "ImageGet"))
              .query("names", "platform")
              .ownership(RULE),
          entry(IMAGE_LOAD)
              .route(POST, "/images/load", STREAM, api("Image", "ImageLoad"))
              .query("quiet", "platform")
              .ownership(RULE),
          entry(IMAGE_INSPECT)
              .route(GET, "/images/{name*}/json", NONE, api("Image", "ImageInspect"))
              .query("manifests", "platform")
              .names(IMAGE)
              .ownership(RULE),
          entry(IMAGE_HISTORY)
              .route(GET, "/images/{name*}/history", NONE, api("Image", "ImageHistory"))
              .query("platform")
              .names(IMAGE)
              .ownership(RULE),
          entry(IMAGE_PUSH)
              .route(POST, "/images/{name*}/push", NONE, api("Image", "ImagePush"))
              .judged(
                  "tag",
                  "ImagePushRules: the caller's own tag (forwarded as the name the caller gave it),"
                      + " or a shared tag the caller pulled")
              .query("platform")
              .names(IMAGE)
              .ownership(RULE),
          entry(IMAGE_TAG)
              .route(POST, "/images/{name*}/tag", NONE, api("Image", "ImageTag"))
              .judged("repo", "ImageRules.tag: written into the caller's namespace")
              .judged("tag", "ImageRules.tag")
              .dropped(
                  "force",
                  router(IMAGES, "postImagesTag"),
                  "gone from the API since 1.25; "
                      + "the router of 20.10 and 28.x reads repo and tag only, so an existing tag is "
                      + "replaced with or without it (and ImageRules.tag writes only into the caller's "
                      + "namespace)")
              .names(IMAGE)
              .ownership(RULE),
          entry(IMAGE_DELETE)
              .route(DELETE, "/images/{name*}", NONE, api("Image", "ImageDelete"))
              .judged(
                  "force",
                  "ImageRules.delete: the tag, or by id every tag, must be the " + "caller's")
              .query("noprune", "platforms")
              .names(IMAGE)
              .ownership(RULE),
          entry(DISTRIBUTION_INSPECT)
              .route(
                  GET,
                  "/distribution/{name*}/json",
                  NONE,
                  api("Distribution", "DistributionInspect")),
          entry(NETWORK_LIST)
              .route(GET, "/networks", NONE, api("Network", "NetworkList"))
              .query("filters")
              .ownership(RULE),
          entry(NETWORK_CREATE)
              .route(POST, "/networks/create", JSON_OPAQUE, api("Network", "NetworkCreate"))
              .ownership(RULE)
              .creates(NETWORK),
          entry(NETWORK_PRUNE)
              .route(POST, "/networks/prune", NONE, api("Network", "NetworkPrune"))
              .query("filters")
              .ownership(NARROWED),
          entry(NETWORK_INSPECT)
              .route(GET, "/networks/{id}", NONE, api("Network", "NetworkInspect"))
              .query("verbose", "scope")
              .names(NETWORK)
              .ownership(NAMED),
          entry(NETWORK_DELETE)
              .route(DELETE, "/networks/{id}", NONE, api("Network", "NetworkDelete"))
              .names(NETWORK)
              .ownership(NAMED),
          entry(NETWORK_CONNECT)
              .route(POST, "/networks/{id}/connect", JSON_OPAQUE, api("Network", "NetworkConnect"))
              .names(NETWORK)
              .ownership(NAMED),
          entry(NETWORK_DISCONNECT)
              .route(
                  POST,
                  "/networks/{id}/disconnect",
                  JSON_OPAQUE,
                  api("Network", "NetworkDisconnect"))
              .names(NETWORK)
              .ownership(NAMED),
          entry(VOLUME_LIST)
              .route(GET, "/volumes", NONE, api("Volume", "VolumeList"))
              .query("filters")
              .ownership(NARROWED),
          entry(VOLUME_CREATE)
              .route(POST, "/volumes/create", JSON_OPAQUE, api("Volume", "VolumeCreate"))
              .ownership(RULE)
              .creates(VOLUME),
          entry(VOLUME_PRUNE)
              .route(POST, "/volumes/prune", NONE, api("Volume", "VolumePrune"))
              .query("filters")
              .dropped(
                  "all",
                  router("volume/volume_routes.go", "postVolumesPrune"),
                  "the router "
                      + "of 20.10 and 28.x reads filters only; pruning named volumes is the all=true "
                      + "filter, which is judged with the filters")
              .ownership(NARROWED),
          entry(VOLUME_INSPECT)
              .route(GET, "/volumes/{id}", NONE, api("Volume", "VolumeInspect"))
              .names(VOLUME)
              .ownership(NAMED),
          entry(VOLUME_UPDATE)
              .route(PUT, "/volumes/{id}", JSON_OPAQUE, api("Volume", "VolumeUpdate"))
              .query("version")
              .names(VOLUME)
              .ownership(NAMED),
          entry(VOLUME_DELETE)
              .route(DELETE, "/volumes/{id}", NONE, api("Volume", "VolumeDelete"))
              .query("force")
              .names(VOLUME)
              .ownership(NAMED),
          entry(SWARM)
              .route(GET, "/swarm", NONE, api("Swarm", "SwarmInspect"))
              .route(POST, "/swarm/init", JSON_OPAQUE, api("Swarm", "SwarmInit"))
              .route(POST, "/swarm/join", JSON_OPAQUE, api("Swarm", "SwarmJoin"))
              .route(POST, "/swarm/leave", NONE, api("Swarm", "SwarmLeave"))
              .query("force")
              .route(POST, "/swarm/update", JSON_OPAQUE, api("Swarm", "SwarmUpdate"))
              .query("version", "rotateWorkerToken", "rotateManagerToken", "rotateManagerUnlockKey")
              .route(GET, "/swarm/unlockkey", NONE, api("Swarm", "SwarmUnlockkey"))
              .route(POST, "/swarm/unlock", JSON_OPAQUE, api("Swarm", "SwarmUnlock"))
              .ownership(SWARM_STATE),
          entry(NODE)
              .route(GET, "/nodes", NONE, api("Node", "NodeList"))
              .query("filters")
              .route(GET, "/nodes/{id}", NONE, api("Node", "NodeInspect"))
              .route(DELETE, "/nodes/{id}", NONE, api("Node", "NodeDelete"))
              .query("force")
              .route(POST, "/nodes/{id}/update", JSON_OPAQUE, api("Node", "NodeUpdate"))
              .query("version")
              .ownership(SWARM_STATE),
          entry(SERVICE)
              .route(GET, "/services", NONE, api("Service", "ServiceList"))
              .query("filters", "status")
              .route(POST, "/services/create", JSON_OPAQUE, api("Service", "ServiceCreate"))
              .route(GET, "/services/{id}", NONE, api("Service", "ServiceInspect"))
              .query("insertDefaults")
              .route(DELETE, "/services/{id}", NONE, api("Service", "ServiceDelete"))
              .route(POST, "/services/{id}/update", JSON_OPAQUE, api("Service", "ServiceUpdate"))
              .query("version", "registryAuthFrom", "rollback")
              .route(GET, "/services/{id}/logs", NONE, api("Service", "ServiceLogs"))
              .query("details", "follow", "stdout", "stderr", "since", "timestamps", "tail")
              .ownership(SWARM_STATE),
          entry(TASK)
              .route(GET, "/tasks", NONE, api("Task", "TaskList"))
              .query("filters")
              .route(GET, "/tasks/{id}", NONE, api("Task", "TaskInspect"))
              .route(GET, "/tasks/{id}/logs", NONE, api("Task", "TaskLogs"))
              .query("details", "follow", "stdout", "stderr", "since", "timestamps", "tail")
              .ownership(SWARM_STATE),
          entry(SECRET)
              .route(GET, "/secrets", NONE, api("Secret", "SecretList"))
              .query("filters")
              .route(POST, "/secrets/create", JSON_OPAQUE, api("Secret", "SecretCreate"))
              .route(GET, "/secrets/{id}", NONE, api("Secret", "SecretInspect"))
              .route(DELETE, "/secrets/{id}", NONE, api("Secret", "SecretDelete"))
              .route(POST, "/secrets/{id}/update", JSON_OPAQUE, api("Secret", "SecretUpdate"))
              .query("version")
              .ownership(SWARM_STATE),
          entry(CONFIG)
              .route(GET, "/configs", NONE, api("Config", "ConfigList"))
              .query("filters")
              .route(POST, "/configs/create", JSON_OPAQUE, api("Config", "ConfigCreate"))
              .route(GET, "/configs/{id}", NONE, api("Config", "ConfigInspect"))
              .route(DELETE, "/configs/{id}", NONE, api("Config", "ConfigDelete"))
              .route(POST, "/configs/{id}/update", JSON_OPAQUE, api("Config", "ConfigUpdate"))
              .query("version")
              .ownership(SWARM_STATE),
          entry(PLUGIN)
              .route(GET, "/plugins", NONE, api("Plugin", "PluginList"))
              .query("filters")
              .route(GET, "/plugins/privileges", NONE, api("Plugin", "GetPluginPrivileges"))
              .query("remote", "name")
              .route(POST, "/plugins/pull", JSON_OPAQUE, api("Plugin", "PluginPull"))
              .route(POST, "/plugins/create", STREAM, api("Plugin", "PluginCreate"))
              .route(GET, "/plugins/{name*}/json", NONE, api("Plugin", "PluginInspect"))
              .route(DELETE, "/plugins/{name*}", NONE, api("Plugin", "PluginDelete"))
              .route(POST, "/plugins/{name*}/enable", NONE, api("Plugin", "PluginEnable"))
              .query("timeout")
              .route(POST, "/plugins/{name*}/disable", NONE, api("Plugin", "PluginDisable"))
              .query("force")
              .route(POST, "/plugins/{name*}/upgrade", JSON_OPAQUE, api("Plugin", "PluginUpgrade"))
              .route(POST, "/plugins/{name*}/push", NONE, api("Plugin", "PluginPush"))
              .route(POST, "/plugins/{name*}/set", JSON_OPAQUE, api("Plugin", "PluginSet"))
              .plugin(CLOSED),
          entry(SESSION)
              .hijacking(POST, "/session", NONE, api("Session", "Session"))
              .plugin(CLOSED),
          entry(GRPC).hijacking(POST, "/grpc", NONE, GRPC_TUNNEL).plugin(CLOSED));

  private static final Map<Action, ActionSpec> BY_ACTION = index(ALL);

  private DockerApi() {}

  /** Every entry, in matching order. */
  public static List<ActionSpec> all() {
    return ALL;
  }

  /** The entry of {@code action}; every {@link Action} has one. */
  public static ActionSpec spec(Action action) {
    return requireNonNull(BY_ACTION.get(action), "every action has an entry");
  }

  private static ActionSpec.Builder entry(Action action) {
    return ActionSpec.of(action);
  }

  private static List<ActionSpec> build(ActionSpec.Builder... entries) {
    List<ActionSpec> out = new ArrayList<>();
    for (ActionSpec.Builder b : entries) {
      out.add(b.build());
    }
    return List.copyOf(out);
  }

  private static Map<Action, ActionSpec> index(List<ActionSpec> specs) {
    Map<Action, ActionSpec> out = new EnumMap<>(Action.class);
    for (ActionSpec s : specs) {
      if (out.put(s.action(), s) != null) {
        throw new IllegalStateException(s.action().id() + " has two entries");
      }
    }
    for (Action a : Action.values()) {
      if (!out.containsKey(a)) {
        throw new IllegalStateException(a.id() + " has no entry");
      }
    }
    return Collections.unmodifiableMap(out);
  }
}
