package dev.berth.policy.rules;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Grant;
import dev.berth.policy.HostJobs;
import dev.berth.policy.HostPaths;
import dev.berth.policy.HostRoutes;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Principal;
import dev.berth.policy.Profile;
import dev.berth.policy.Role;
import dev.berth.policy.docker.RouteMatch;
import java.util.List;
import java.util.Map;

/**
 * The rules for an ordinary user's request bodies, by action: each body kind has its rules class
 * ({@link ContainerCreateRules} with {@link HostConfigRules} and {@link MountRules}, {@link
 * ExecRules}, {@link UpdateRules}, {@link ArchiveRules}, {@link ImagePullRules}, {@link
 * ImageChanges} for commits, {@link VolumeCreateRules}, {@link NetworkCreateRules}). Ownership of
 * existing objects is judged afterwards, by {@link OwnershipRules}.
 */
public final class BodyRules {
  private final ContainerCreateRules create;
  private final HostRoutes routes;

  public BodyRules(
      Map<String, Profile> profiles, HostPaths hostPaths, HostJobs hostJobs, HostRoutes routes) {
    this.create = new ContainerCreateRules(profiles, new MountRules(hostPaths), hostJobs);
    this.routes = routes;
  }

  /**
   * The body rules of {@code route}'s action; an action without any is allowed as it is. {@code
   * objects} is only read, for the daemon's default address pools.
   */
  public Decision evaluate(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      RouteMatch route,
      ObjectDirectory objects) {
    Role role = grant.role();
    return switch (route.route().action()) {
      case CONTAINER_CREATE -> create.evaluate(who, grant, request);
      case EXEC_CREATE -> ExecRules.evaluate(who, request);
      case CONTAINER_UPDATE -> UpdateRules.evaluate(role, request);
      case CONTAINER_ARCHIVE_PUT -> ArchiveRules.evaluate(who, request);
      case IMAGE_CREATE -> ImagePullRules.evaluate(request);
      case CONTAINER_COMMIT ->
          ImageChanges.refusal(request, "docker commit")
              .<Decision>map(r -> Decision.forbidden("container_commit", r))
              .orElseGet(() -> new Decision.Allow("container_commit", request, List.of()));
      case VOLUME_CREATE -> VolumeCreateRules.evaluate(grant.ownerFor(who), request);
      case NETWORK_CREATE ->
          NetworkCreateRules.evaluate(
              grant.ownerFor(who), request, role.allow().addressPools(), objects, routes);
      default -> new Decision.Allow("user_action", request, List.of());
    };
  }
}
