package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnershipRules.notFound;
import static dev.berth.policy.rules.OwnershipRules.reach;
import static dev.berth.policy.rules.OwnershipRules.segment;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Effect;
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;
import java.util.Optional;

/**
 * Ownership of volumes: the volume a path names, names of new volumes, and the volumes a new
 * container uses.
 */
final class VolumeOwnership {
  private VolumeOwnership() {}

  static Step onVolume(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects) throws Refusal, LookupException {
    reach(objects.volume(segment(request, 1)), who, grant)
        .orElseThrow(() -> notFound("get " + segment(request, 1) + ": no such volume"));
    return new Step(request);
  }

  /**
   * A named volume a new container uses: refused when it exists and is not the caller's, else
   * planned as an {@link Effect.EnsureVolume} (created labelled for the caller if it is absent,
   * once the decision is recorded; the effect checks the owner again after creating). Deciding
   * only looks the volume up.
   */
  static void useVolume(String name, String what, Principal who, Grant grant,
      ObjectDirectory objects, Step step) throws Refusal, LookupException {
    Optional<DockerObject> v = objects.volume(name);
    if (v.isPresent() && !grant.reaches(who, v.get().owner())) {
      throw new Refusal(Decision.Status.FORBIDDEN, what + ": the volume \"" + name
          + "\" belongs to someone else; use a volume of your own");
    }
    step.effects.add(new Effect.EnsureVolume(name, grant.ownerFor(who)));
    step.note("volume " + name + " is yours");
  }

  /**
   * {@code docker volume create NAME} answers with the existing volume when the name is taken,
   * whoever owns it: refused for a volume the caller may not reach, so that nothing of it leaks.
   */
  static Step volumeCreate(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects) throws Refusal, LookupException {
    String name = request.body() instanceof Body.Json j ? j.value().path("Name").asText("") : "";
    if (!name.isEmpty()) {
      Optional<DockerObject> existing = objects.volume(name);
      if (existing.isPresent() && !grant.reaches(who, existing.get().owner())) {
        throw new Refusal(Decision.Status.CONFLICT, "the volume name \"" + name
            + "\" is already used by another user; choose another name");
      }
    }
    return new Step(request);
  }
}
