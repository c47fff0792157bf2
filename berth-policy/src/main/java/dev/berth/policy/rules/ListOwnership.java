package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnershipRules.ownerFilter;
import static dev.berth.policy.rules.OwnershipRules.shownNames;

import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageClaims;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import java.util.Set;

/**
 * Lists, prunes and events narrowed to the caller's objects (label filters are conjunctive on all
 * of them), and {@code system df}, which cannot be filtered, rewritten on the way back. List
 * answers name the caller's objects in the caller's names ({@link PrivateNames}).
 */
final class ListOwnership {
  private ListOwnership() {}

  static Step narrowed(
      Principal who, Grant grant, CanonicalRequest request, Action action, PrivateNames names)
      throws RequestException {
    String label = ownerFilter(who, grant);
    String filters = Filters.withLabel(request.query().get("filters"), label);
    Set<String> named =
        action == Action.SYSTEM_EVENTS
            ? Set.of("container", "network", "volume")
            : action == Action.CONTAINER_LIST ? Set.of("network", "volume") : Set.of();
    if (!names.equals(PrivateNames.NONE) && !named.isEmpty()) {
      filters =
          Filters.alsoAs(
              filters,
              named,
              (key, v) -> key.equals("network") ? names.network(v) : names.toDaemon(v));
    }
    Step step =
        new Step(
            request.withQuery(request.query().with("filters", filters)),
            action == Action.SYSTEM_EVENTS || action.name().endsWith("_PRUNE")
                ? FollowUp.NONE
                : shownNames(who, grant, names));
    step.note("filters narrowed to label " + label);
    return step;
  }

  static Step dataUsage(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      PrivateNames names) {
    ImageClaims claims = objects.imageClaims();
    return new Step(
        request,
        new FollowUp.FilterResponse(
            df ->
                names.answer(
                    DataUsage.narrow(
                        df,
                        owner -> grant.reaches(who, owner),
                        images -> ImageAccess.narrowList(images, who, grant, claims)))));
  }
}
