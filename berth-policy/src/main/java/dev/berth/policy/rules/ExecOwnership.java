package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnershipRules.notFound;
import static dev.berth.policy.rules.OwnershipRules.reach;
import static dev.berth.policy.rules.OwnershipRules.segment;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;

/** Ownership of execs: the exec a path names must be the caller's (recorded at creation). */
final class ExecOwnership {
  private ExecOwnership() {}

  static Step onExec(Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException {
    DockerObject exec =
        reach(objects.exec(segment(request, 1)), who, grant)
            .orElseThrow(() -> notFound("No such exec instance: " + segment(request, 1)));
    return new Step(request.withSegment(1, exec.id()));
  }
}
