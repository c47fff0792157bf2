package dev.berth.policy;

import static dev.berth.policy.Action.*;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a site allows. For now one built-in shape: root is the administrator and passes through
 * unchanged; every other user gets {@link #userActions()} on the rules of {@link ContainerRules}.
 * Role-based YAML policies (issue 4) will produce this same record per role.
 *
 * @param userActions the actions an ordinary user may ask for
 * @param bindRoots host directories a user may bind-mount, as templates: {@code {home}} is the
 *     user's home directory, {@code {user}} the user name
 * @param ownerLabel the label stamped on created containers with the owner's uid
 */
public record Policy(Set<Action> userActions, List<String> bindRoots, String ownerLabel) {

  public Policy {
    userActions = Set.copyOf(userActions);
    bindRoots = List.copyOf(bindRoots);
    java.util.Objects.requireNonNull(ownerLabel, "ownerLabel");
  }

  /**
   * The embedded default: safe on a shared host. Users run, inspect, exec into, copy to and from,
   * and remove containers, pull and use images, and use named volumes; swarm, plugins, builds,
   * commits, network changes, prunes, image loads and imports (they can replace a tag other users
   * run) and anything touching the daemon's configuration are for administrators.
   */
  public static Policy defaults() {
    return new Policy(EnumSet.of(
        PING, SYSTEM_VERSION, SYSTEM_INFO, SYSTEM_EVENTS, SYSTEM_DF,
        CONTAINER_LIST, CONTAINER_CREATE, CONTAINER_INSPECT, CONTAINER_TOP, CONTAINER_LOGS,
        CONTAINER_CHANGES, CONTAINER_EXPORT, CONTAINER_STATS, CONTAINER_RESIZE, CONTAINER_START,
        CONTAINER_STOP, CONTAINER_RESTART, CONTAINER_KILL, CONTAINER_UPDATE, CONTAINER_RENAME,
        CONTAINER_PAUSE, CONTAINER_UNPAUSE, CONTAINER_ATTACH, CONTAINER_WAIT, CONTAINER_DELETE,
        CONTAINER_ARCHIVE_STAT, CONTAINER_ARCHIVE_GET, CONTAINER_ARCHIVE_PUT,
        EXEC_CREATE, EXEC_START, EXEC_RESIZE, EXEC_INSPECT,
        IMAGE_LIST, IMAGE_INSPECT, IMAGE_HISTORY, IMAGE_CREATE, IMAGE_EXPORT,
        DISTRIBUTION_INSPECT, IMAGE_SEARCH,
        NETWORK_LIST, NETWORK_INSPECT,
        VOLUME_LIST, VOLUME_CREATE, VOLUME_INSPECT),
        List.of("{home}"), "dev.berth.owner.uid");
  }

  /** Administrators pass through unchanged (their requests are still parsed and canonical). */
  public boolean isAdmin(Principal who) {
    return who.isRoot();
  }
}
