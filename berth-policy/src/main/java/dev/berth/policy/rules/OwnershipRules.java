package dev.berth.policy.rules;

import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Effect;
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import dev.berth.policy.Scope;
import dev.berth.policy.docker.ActionSpec;
import dev.berth.policy.docker.DockerApi;
import dev.berth.policy.docker.RouteMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which existing objects a caller may see and touch (issue #5), after the body rules allowed the
 * request.
 *
 * <p>Design note. Every endpoint that names an object resolves the reference through the daemon
 * ({@link ObjectDirectory}), checks the owner against the caller's {@link Grant}, and forwards the
 * full id it judged, so that a rename or a new object with a colliding name or id prefix between
 * the check and the daemon's action cannot redirect the request. An object the caller may not
 * reach is answered exactly like one that does not exist ({@code No such container: x}), so the
 * names of other users' objects do not leak through error messages. Lists, events and prunes are
 * narrowed by adding the owner label to the caller's filters (label filters are conjunctive on
 * all of them); {@code system df}, which cannot be filtered, is rewritten on the way back.
 * Images are shared for reading; changing a tag (pull over it, tag over it, push or delete it)
 * needs the tag to be the caller's. One class per object kind holds the rules
 * ({@link ContainerOwnership}, {@link ExecOwnership}, {@link VolumeOwnership},
 * {@link NetworkOwnership}, {@link ImageOwnership}, {@link ListOwnership}); this one picks them by
 * the action's {@link dev.berth.policy.docker.Ownership} in the table.
 */
public final class OwnershipRules {
  /**
   * Narrows an allowed request to the caller's objects.
   *
   * @param allowed what the body rules allowed (its request and rewrites are kept)
   */
  public Decision evaluate(Principal who, Grant grant, Decision.Allow allowed, RouteMatch route,
      ObjectDirectory objects) {
    if (grant.role().scope() == Scope.ALL) {
      return allowed;
    }
    Action action = route.route().action();
    CanonicalRequest request = allowed.forward();
    try {
      ActionSpec spec = DockerApi.spec(action);
      Step step = switch (spec.ownership()) {
        case NAMED -> switch (spec.names().orElseThrow()) {
          case CONTAINER -> ContainerOwnership.onContainer(who, grant, request, objects, spec);
          case EXEC -> ExecOwnership.onExec(who, grant, request, objects);
          case VOLUME -> VolumeOwnership.onVolume(who, grant, request, objects);
          case NETWORK -> NetworkOwnership.onNetwork(who, grant, request, objects, action);
          case IMAGE -> throw new IllegalStateException("images are judged by their own rules");
        };
        case NARROWED -> ListOwnership.narrowed(who, grant, request);
        case FILTERED -> ListOwnership.dataUsage(who, grant, request);
        case RULE -> switch (action) {
          case CONTAINER_CREATE -> ContainerOwnership.containerCreate(who, grant, request, objects);
          case IMAGE_CREATE -> ImageOwnership.imagePull(who, grant, request, objects);
          case IMAGE_TAG -> ImageOwnership.imageTag(who, grant, request, objects);
          case IMAGE_DELETE -> ImageOwnership.imageDelete(who, grant, request, objects);
          case IMAGE_PUSH -> ImageOwnership.imagePush(who, grant, request, objects);
          case CONTAINER_COMMIT -> ImageOwnership.commit(who, grant, request, objects);
          case VOLUME_CREATE -> VolumeOwnership.volumeCreate(who, grant, request, objects);
          case IMAGE_BUILD_PRUNE -> ImageOwnership.buildPrune(request);
          default -> throw new IllegalStateException(action.id() + " has no ownership rule");
        };
        case NONE, SWARM_STATE -> new Step(request);
      };
      List<String> notes = new ArrayList<>(allowed.rewrites());
      notes.addAll(step.notes);
      List<Effect> effects = new ArrayList<>(allowed.effects());
      effects.addAll(step.effects);
      return new Decision.Allow(allowed.rule(), step.request, notes, step.followUp, effects);
    } catch (Refusal r) {
      return new Decision.Deny("ownership", r.status, "berth: " + r.getMessage());
    } catch (RequestException e) {
      return new Decision.Deny("ownership", e.status(), "berth: " + e.getMessage());
    } catch (LookupException e) {
      return new Decision.Indeterminate("ownership_lookup",
          "berth could not check who owns the object (" + e.getMessage() + ")");
    }
  }

  /** The label filter that selects the caller's objects: by sharing group, else by uid. */
  static String ownerFilter(Principal who, Grant grant) {
    return grant.role().scope() == Scope.GROUP && grant.shareGid() >= 0
        ? Owner.GID_LABEL + "=" + grant.shareGid()
        : Owner.UID_LABEL + "=" + who.uid();
  }


  static Optional<DockerObject> reach(Optional<DockerObject> found, Principal who,
      Grant grant) {
    return found.filter(o -> grant.reaches(who, o.owner()));
  }

  static String segment(CanonicalRequest request, int index) {
    return request.segments().get(index);
  }

  static Refusal notFound(String message) {
    return new Refusal(Decision.Status.NOT_FOUND, message);
  }
}
