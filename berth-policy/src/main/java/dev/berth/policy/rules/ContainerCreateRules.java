package dev.berth.policy.rules;

import static dev.berth.policy.rules.BodyFields.*;
import static dev.berth.policy.rules.MountRules.checkTargets;
import static dev.berth.policy.rules.OwnerLabels.checkBerthLabels;
import static dev.berth.policy.rules.RunAs.forceUser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.Grant;
import dev.berth.policy.HostJobs;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.Profile;
import dev.berth.policy.Role;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code POST /containers/create} for an ordinary user: the container runs as the caller, with no
 * way to reach the host's root (user, profiles, networking, owner labels here; the host config in
 * {@link HostConfigRules}, mounts in {@link MountRules}).
 *
 * <p>Design note. Every body arrives canonical (see {@code DockerJson}): known fields only, under
 * Docker's names. The rules then either refuse with a message that names the field and what to do
 * instead, or rewrite: {@code User} becomes the caller's numeric {@code uid:gid}, {@code
 * SecurityOpt} exactly {@code no-new-privileges}, {@code CapDrop} {@code ALL}, and the owner label
 * is stamped. Host paths are resolved once on the host and the resolved path is forwarded.
 *
 * <p>Check-then-mount race: between berth resolving a bind source and dockerd mounting it, the user
 * can swap a directory they own for a symlink. berth forwards the real path, so only components the
 * user controls inside an allowed root can be swapped; dockerd resolves symlinks again at mount
 * time. Closing the window fully needs the daemon to mount by file descriptor, which Docker cannot;
 * the allowed roots should therefore hold nothing the user could point at that is more sensitive
 * than the root itself (a home directory qualifies).
 */
final class ContainerCreateRules {
  private final Map<String, Profile> profiles;
  private final HostConfigRules hostConfig;
  private final CgroupPlacement placement;

  ContainerCreateRules(Map<String, Profile> profiles, MountRules mounts, HostJobs jobs) {
    this.profiles = Map.copyOf(profiles);
    this.hostConfig = new HostConfigRules(mounts);
    this.placement = new CgroupPlacement(jobs);
  }

  Decision evaluate(Principal who, Grant grant, CanonicalRequest request) {
    Role role = grant.role();
    ObjectNode body = ((Body.Json) request.body()).value().deepCopy();
    Rewrites rw = new Rewrites();
    try {
      forceUser(body, who, rw);
      List<Profile> asked = askedProfiles(body, role);
      ObjectNode hc = object(body, "HostConfig");
      hostConfig.checkHostConfig(hc, who, role, rw);
      checkAnonymousVolumes(body);
      String job = placement.apply(hc, who, role.placement(), rw);
      applyProfiles(body, hc, asked, rw);
      checkTargets(body, hc);
      checkNetworking(body);
      stampOwner(body, grant.ownerFor(who), rw);
      CgroupPlacement.stampJob(body, job, rw);
    } catch (Refusal r) {
      return Decision.forbidden("container_create", "berth: " + r.getMessage());
    }
    return new Decision.Allow("container_create", request.withBody(new Body.Json(body)), rw.notes);
  }

  /**
   * {@code -v /data} arrives as {@code Config.Volumes}; its targets are judged as every other mount
   * target is. (Found by fuzzing: a relative target was let through here, and then refused when
   * berth's own forwarded body, where it had become a labelled mount, was judged again.)
   */
  private static void checkAnonymousVolumes(ObjectNode body) throws Refusal {
    for (Iterator<String> it = body.path("Volumes").fieldNames(); it.hasNext(); ) {
      String target = it.next();
      MountRules.checkTarget(target, "-v " + target);
    }
  }

  /** The profiles the create asks for (label {@code dev.berth.profile=a,b}); each granted. */
  private List<Profile> askedProfiles(ObjectNode body, Role role) throws Refusal {
    String value = body.path("Labels").path(Profile.LABEL).asText("");
    List<Profile> out = new ArrayList<>();
    if (value.isEmpty()) {
      return out;
    }
    for (String name : value.split(",", -1)) {
      if (!role.profiles().contains(name.strip())) {
        throw new Refusal(
            "profile \""
                + name.strip()
                + "\" is not granted to your role ("
                + role.name()
                + "; granted: "
                + new TreeSet<>(role.profiles())
                + ")");
      }
      out.add(profiles.get(name.strip()));
    }
    return out;
  }

  /**
   * Adds what the administrator vetted, after the caller's own request was checked: the mounts and
   * devices of a profile are allowed because the policy names them, not because the caller asked.
   * Their targets are then judged with the caller's (neither repeat nor nest).
   */
  private static void applyProfiles(
      ObjectNode body, ObjectNode hc, List<Profile> asked, Rewrites rw) throws Refusal {
    for (Profile p : asked) {
      ArrayNode binds = hc.get("Binds") instanceof ArrayNode a ? a : hc.putArray("Binds");
      p.mounts().forEach(binds::add);
      ArrayNode devices = hc.get("Devices") instanceof ArrayNode a ? a : hc.putArray("Devices");
      for (String d : p.devices()) {
        devices
            .addObject()
            .put("PathOnHost", d)
            .put("PathInContainer", d)
            .put("CgroupPermissions", "rwm");
      }
      ArrayNode requests =
          hc.get("DeviceRequests") instanceof ArrayNode a ? a : hc.putArray("DeviceRequests");
      for (Profile.DeviceRequest r : p.deviceRequests()) {
        ObjectNode req = requests.addObject().put("Driver", r.driver()).put("Count", r.count());
        ArrayNode caps = req.putArray("Capabilities").addArray();
        r.capabilities().forEach(caps::add);
      }
      ArrayNode env = body.get("Env") instanceof ArrayNode a ? a : body.putArray("Env");
      p.env().forEach(env::add);
      rw.note("profile " + p.name() + " applied");
    }
  }

  private void checkNetworking(ObjectNode body) throws Refusal {
    for (Iterator<Map.Entry<String, JsonNode>> it =
            body.path("NetworkingConfig").path("EndpointsConfig").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("host")) {
        throw new Refusal("--network host is not allowed");
      }
      EndpointOptions.checkEndpoint(e.getValue(), "--network " + e.getKey());
    }
  }

  /**
   * Both owner labels are always set (the group one empty when not shared): a container inherits
   * its image's labels, and an image built with {@code LABEL dev.berth.owner.gid=…} must not share
   * the container with that group.
   */
  private static void stampOwner(ObjectNode body, Owner owner, Rewrites rw) throws Refusal {
    ObjectNode labels = object(body, "Labels");
    checkBerthLabels(labels, owner, "--label");
    if (owner.labels().entrySet().stream()
        .allMatch(e -> e.getValue().equals(labels.path(e.getKey()).asText(null)))) {
      return; // the caller gave them already
    }
    owner.labels().forEach(labels::put);
    rw.note(
        "label "
            + Owner.UID_LABEL
            + "="
            + owner.uid()
            + (owner.gid() >= 0 ? ", " + Owner.GID_LABEL + "=" + owner.gid() : ""));
  }
}
