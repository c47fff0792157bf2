package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnershipRules.notFound;
import static dev.berth.policy.rules.OwnershipRules.reach;
import static dev.berth.policy.rules.OwnershipRules.segment;
import static dev.berth.policy.rules.OwnershipRules.shownNames;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.Decision.FollowUp;
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

  static Step onVolume(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      Action action,
      PrivateNames names)
      throws Refusal, LookupException {
    DockerObject v =
        volume(segment(request, 1), who, grant, objects, names)
            .orElseThrow(() -> notFound("get " + segment(request, 1) + ": no such volume"));
    return new Step(
        request.withSegment(1, v.id()),
        action == Action.VOLUME_INSPECT ? shownNames(who, grant, names) : FollowUp.NONE);
  }

  /** The caller's volume named {@code name}: its own name first, then as given. */
  private static Optional<DockerObject> volume(
      String name, Principal who, Grant grant, ObjectDirectory objects, PrivateNames names)
      throws LookupException {
    String own = names.toDaemon(name);
    if (!own.equals(name)) {
      Optional<DockerObject> mine = reach(objects.volume(own), who, grant);
      if (mine.isPresent()) {
        return mine;
      }
    }
    return reach(objects.volume(name), who, grant);
  }

  /**
   * The daemon's name of the volume {@code name} a new container mounts: the caller's own, or a
   * volume from before private names that is the caller's. Refused when the caller's own name is
   * taken by a volume that is not the caller's, else planned as an {@link Effect.EnsureVolume}
   * (created labelled for the caller if it is absent, once the decision is recorded; the effect
   * checks the owner again after creating). Deciding only looks volumes up.
   */
  static String useVolume(
      String name,
      String what,
      Principal who,
      Grant grant,
      ObjectDirectory objects,
      PrivateNames names,
      Step step)
      throws Refusal, LookupException {
    String own = names.toDaemon(name);
    Optional<DockerObject> v = objects.volume(own);
    if (!own.equals(name) && v.isEmpty()) {
      Optional<DockerObject> before = objects.volume(name);
      if (before.isPresent() && grant.reaches(who, before.get().owner())) {
        step.note("volume " + name + " is yours");
        return name;
      }
    }
    if (v.isPresent() && !grant.reaches(who, v.get().owner())) {
      throw new Refusal(
          Decision.Status.FORBIDDEN,
          what + ": the volume \"" + name + "\" belongs to someone else; use a volume of your own");
    }
    step.effects.add(new Effect.EnsureVolume(own, grant.ownerFor(who)));
    step.note("volume " + name + " is yours (" + own + ")");
    return own;
  }

  /**
   * {@code docker volume create NAME} answers with the existing volume when the name is taken,
   * whoever owns it: refused for a volume the caller may not reach, so that nothing of it leaks.
   */
  static Step volumeCreate(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      PrivateNames names)
      throws Refusal, LookupException {
    if (!(request.body() instanceof Body.Json j) || j.value().path("Name").asText("").isEmpty()) {
      return new Step(request);
    }
    String name = j.value().path("Name").asText("");
    String daemon = names.toDaemon(name);
    Optional<DockerObject> existing = objects.volume(daemon);
    if (existing.isPresent() && !grant.reaches(who, existing.get().owner())) {
      throw new Refusal(
          Decision.Status.CONFLICT,
          "the volume name \"" + name + "\" is already used by another user; choose another name");
    }
    Step step =
        new Step(
            request.withBody(
                new Body.Json(((ObjectNode) j.value()).deepCopy().put("Name", daemon))),
            shownNames(who, grant, names));
    if (!daemon.equals(name)) {
      step.note("volume " + name + " is " + daemon);
    }
    return step;
  }
}
