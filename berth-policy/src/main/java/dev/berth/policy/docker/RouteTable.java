package dev.berth.policy.docker;

import static dev.berth.policy.Action.*;
import static dev.berth.policy.docker.BodyKind.*;

import dev.berth.policy.Action;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Docker Engine API (up to API 1.51), method and path to {@link Action}, compiled once.
 *
 * <p>Matching is exact and anchored on the canonical path (version prefix already stripped, see
 * {@link dev.berth.policy.CanonicalRequest}); the first matching entry wins, so fixed paths such
 * as {@code /images/json} precede templates such as {@code /images/{name*}/json}. A request that
 * matches nothing has no action, and no rule allows it.
 */
public final class RouteTable {
  private static final String GET = "GET";
  private static final String HEAD = "HEAD";
  private static final String POST = "POST";
  private static final String PUT = "PUT";
  private static final String DELETE = "DELETE";

  private static final RouteTable DOCKER = new RouteTable(List.of(
      route(GET, "/_ping", PING, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/System/operation/SystemPing
      route(HEAD, "/_ping", PING, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/System/operation/SystemPingHead
      route(GET, "/version", SYSTEM_VERSION, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/System/operation/SystemVersion
      route(GET, "/info", SYSTEM_INFO, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/System/operation/SystemInfo
      route(GET, "/events", SYSTEM_EVENTS, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/System/operation/SystemEvents
      route(GET, "/system/df", SYSTEM_DF, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/System/operation/SystemDataUsage
      route(POST, "/auth", SYSTEM_AUTH, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/System/operation/SystemAuth
      route(GET, "/containers/json", CONTAINER_LIST, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerList
      route(POST, "/containers/create", CONTAINER_CREATE, JSON, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerCreate
      route(POST, "/containers/prune", CONTAINER_PRUNE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerPrune
      route(GET, "/containers/{id}/json", CONTAINER_INSPECT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerInspect
      route(GET, "/containers/{id}/top", CONTAINER_TOP, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerTop
      route(GET, "/containers/{id}/logs", CONTAINER_LOGS, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerLogs
      route(GET, "/containers/{id}/changes", CONTAINER_CHANGES, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerChanges
      route(GET, "/containers/{id}/export", CONTAINER_EXPORT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerExport
      route(GET, "/containers/{id}/stats", CONTAINER_STATS, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerStats
      route(POST, "/containers/{id}/resize", CONTAINER_RESIZE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerResize
      route(POST, "/containers/{id}/start", CONTAINER_START, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerStart
      route(POST, "/containers/{id}/stop", CONTAINER_STOP, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerStop
      route(POST, "/containers/{id}/restart", CONTAINER_RESTART, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerRestart
      route(POST, "/containers/{id}/kill", CONTAINER_KILL, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerKill
      route(POST, "/containers/{id}/update", CONTAINER_UPDATE, JSON, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerUpdate
      route(POST, "/containers/{id}/rename", CONTAINER_RENAME, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerRename
      route(POST, "/containers/{id}/pause", CONTAINER_PAUSE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerPause
      route(POST, "/containers/{id}/unpause", CONTAINER_UNPAUSE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerUnpause
      route(POST, "/containers/{id}/attach", CONTAINER_ATTACH, NONE, true), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerAttach
      route(GET, "/containers/{id}/attach/ws", CONTAINER_ATTACH_WEBSOCKET, NONE, true), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerAttachWebsocket
      route(POST, "/containers/{id}/wait", CONTAINER_WAIT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerWait
      route(DELETE, "/containers/{id}", CONTAINER_DELETE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerDelete
      route(HEAD, "/containers/{id}/archive", CONTAINER_ARCHIVE_STAT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerArchiveInfo
      route(GET, "/containers/{id}/archive", CONTAINER_ARCHIVE_GET, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/ContainerArchive
      route(PUT, "/containers/{id}/archive", CONTAINER_ARCHIVE_PUT, STREAM, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Container/operation/PutContainerArchive
      route(GET, "/containers/{id}/checkpoints", CONTAINER_CHECKPOINT, NONE, false), // (experimental checkpoint API)
      route(POST, "/containers/{id}/checkpoints", CONTAINER_CHECKPOINT, JSON_OPAQUE, false), // (experimental checkpoint API)
      route(DELETE, "/containers/{id}/checkpoints/{checkpoint}", CONTAINER_CHECKPOINT, NONE, false), // (experimental checkpoint API)
      route(POST, "/containers/{id}/exec", EXEC_CREATE, JSON, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Exec/operation/ContainerExec
      route(POST, "/exec/{id}/start", EXEC_START, JSON, true), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Exec/operation/ExecStart
      route(POST, "/exec/{id}/resize", EXEC_RESIZE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Exec/operation/ExecResize
      route(GET, "/exec/{id}/json", EXEC_INSPECT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Exec/operation/ExecInspect
      route(POST, "/commit", CONTAINER_COMMIT, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageCommit
      route(GET, "/images/json", IMAGE_LIST, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageList
      route(POST, "/build", IMAGE_BUILD, STREAM, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageBuild
      route(POST, "/build/prune", IMAGE_BUILD_PRUNE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/BuildPrune
      route(POST, "/build/cancel", IMAGE_BUILD_CANCEL, NONE, false), // (build cancel)
      route(POST, "/images/create", IMAGE_CREATE, STREAM, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageCreate
      route(GET, "/images/search", IMAGE_SEARCH, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageSearch
      route(POST, "/images/prune", IMAGE_PRUNE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImagePrune
      route(GET, "/images/get", IMAGE_EXPORT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageGetAll
      route(POST, "/images/load", IMAGE_LOAD, STREAM, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageLoad
      route(GET, "/images/{name*}/json", IMAGE_INSPECT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageInspect
      route(GET, "/images/{name*}/history", IMAGE_HISTORY, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageHistory
      route(POST, "/images/{name*}/push", IMAGE_PUSH, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImagePush
      route(POST, "/images/{name*}/tag", IMAGE_TAG, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageTag
      route(GET, "/images/{name*}/get", IMAGE_EXPORT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageGet
      route(DELETE, "/images/{name*}", IMAGE_DELETE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Image/operation/ImageDelete
      route(GET, "/distribution/{name*}/json", DISTRIBUTION_INSPECT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Distribution/operation/DistributionInspect
      route(GET, "/networks", NETWORK_LIST, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Network/operation/NetworkList
      route(POST, "/networks/create", NETWORK_CREATE, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Network/operation/NetworkCreate
      route(POST, "/networks/prune", NETWORK_PRUNE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Network/operation/NetworkPrune
      route(GET, "/networks/{id}", NETWORK_INSPECT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Network/operation/NetworkInspect
      route(DELETE, "/networks/{id}", NETWORK_DELETE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Network/operation/NetworkDelete
      route(POST, "/networks/{id}/connect", NETWORK_CONNECT, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Network/operation/NetworkConnect
      route(POST, "/networks/{id}/disconnect", NETWORK_DISCONNECT, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Network/operation/NetworkDisconnect
      route(GET, "/volumes", VOLUME_LIST, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Volume/operation/VolumeList
      route(POST, "/volumes/create", VOLUME_CREATE, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Volume/operation/VolumeCreate
      route(POST, "/volumes/prune", VOLUME_PRUNE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Volume/operation/VolumePrune
      route(GET, "/volumes/{id}", VOLUME_INSPECT, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Volume/operation/VolumeInspect
      route(PUT, "/volumes/{id}", VOLUME_UPDATE, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Volume/operation/VolumeUpdate
      route(DELETE, "/volumes/{id}", VOLUME_DELETE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Volume/operation/VolumeDelete
      route(GET, "/swarm", SWARM, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Swarm/operation/SwarmInspect
      route(POST, "/swarm/init", SWARM, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Swarm/operation/SwarmInit
      route(POST, "/swarm/join", SWARM, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Swarm/operation/SwarmJoin
      route(POST, "/swarm/leave", SWARM, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Swarm/operation/SwarmLeave
      route(POST, "/swarm/update", SWARM, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Swarm/operation/SwarmUpdate
      route(GET, "/swarm/unlockkey", SWARM, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Swarm/operation/SwarmUnlockkey
      route(POST, "/swarm/unlock", SWARM, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Swarm/operation/SwarmUnlock
      route(GET, "/nodes", NODE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Node/operation/NodeList
      route(GET, "/nodes/{id}", NODE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Node/operation/NodeInspect
      route(DELETE, "/nodes/{id}", NODE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Node/operation/NodeDelete
      route(POST, "/nodes/{id}/update", NODE, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Node/operation/NodeUpdate
      route(GET, "/services", SERVICE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Service/operation/ServiceList
      route(POST, "/services/create", SERVICE, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Service/operation/ServiceCreate
      route(GET, "/services/{id}", SERVICE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Service/operation/ServiceInspect
      route(DELETE, "/services/{id}", SERVICE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Service/operation/ServiceDelete
      route(POST, "/services/{id}/update", SERVICE, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Service/operation/ServiceUpdate
      route(GET, "/services/{id}/logs", SERVICE, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Service/operation/ServiceLogs
      route(GET, "/tasks", TASK, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Task/operation/TaskList
      route(GET, "/tasks/{id}", TASK, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Task/operation/TaskInspect
      route(GET, "/tasks/{id}/logs", TASK, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Task/operation/TaskLogs
      route(GET, "/secrets", SECRET, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Secret/operation/SecretList
      route(POST, "/secrets/create", SECRET, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Secret/operation/SecretCreate
      route(GET, "/secrets/{id}", SECRET, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Secret/operation/SecretInspect
      route(DELETE, "/secrets/{id}", SECRET, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Secret/operation/SecretDelete
      route(POST, "/secrets/{id}/update", SECRET, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Secret/operation/SecretUpdate
      route(GET, "/configs", CONFIG, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Config/operation/ConfigList
      route(POST, "/configs/create", CONFIG, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Config/operation/ConfigCreate
      route(GET, "/configs/{id}", CONFIG, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Config/operation/ConfigInspect
      route(DELETE, "/configs/{id}", CONFIG, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Config/operation/ConfigDelete
      route(POST, "/configs/{id}/update", CONFIG, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Config/operation/ConfigUpdate
      route(GET, "/plugins", PLUGIN, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginList
      route(GET, "/plugins/privileges", PLUGIN, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/GetPluginPrivileges
      route(POST, "/plugins/pull", PLUGIN, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginPull
      route(POST, "/plugins/create", PLUGIN, STREAM, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginCreate
      route(GET, "/plugins/{name*}/json", PLUGIN, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginInspect
      route(DELETE, "/plugins/{name*}", PLUGIN, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginDelete
      route(POST, "/plugins/{name*}/enable", PLUGIN, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginEnable
      route(POST, "/plugins/{name*}/disable", PLUGIN, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginDisable
      route(POST, "/plugins/{name*}/upgrade", PLUGIN, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginUpgrade
      route(POST, "/plugins/{name*}/push", PLUGIN, NONE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginPush
      route(POST, "/plugins/{name*}/set", PLUGIN, JSON_OPAQUE, false), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Plugin/operation/PluginSet
      route(POST, "/session", SESSION, NONE, true), // https://docs.docker.com/reference/api/engine/version/v1.51/#tag/Session/operation/Session
      route(POST, "/grpc", GRPC, NONE, true))); // (BuildKit gRPC tunnel, deprecated)

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

  private static Route route(String method, String template, Action action, BodyKind body,
      boolean hijacks) {
    return Route.of(method, template, action, body, hijacks);
  }
}
