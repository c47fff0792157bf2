package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnershipRules.ownerFilter;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.Grant;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;

/**
 * Lists, prunes and events narrowed to the caller's objects (label filters are conjunctive on
 * all of them), and {@code system df}, which cannot be filtered, rewritten on the way back.
 */
final class ListOwnership {
  private ListOwnership() {}

  static Step narrowed(Principal who, Grant grant, CanonicalRequest request)
      throws RequestException {
    String label = ownerFilter(who, grant);
    Step step = new Step(request.withQuery(request.query().with("filters",
        Filters.withLabel(request.query().get("filters"), label))));
    step.note("filters narrowed to label " + label);
    return step;
  }

  static Step dataUsage(Principal who, Grant grant, CanonicalRequest request) {
    return new Step(request, new FollowUp.FilterResponse(
        df -> DataUsage.narrow(df, owner -> grant.reaches(who, owner))));
  }
}
