package dev.berth.policy.rules;

import static dev.berth.policy.Action.*;
import static dev.berth.policy.rules.OwnerLabels.checkBerthLabels;
import static dev.berth.policy.rules.OwnershipRules.notFound;
import static dev.berth.policy.rules.OwnershipRules.reach;
import static dev.berth.policy.rules.OwnershipRules.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
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
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.docker.ActionSpec;
import dev.berth.policy.docker.ObjectKind;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Ownership of containers: the container a path names (with the role's name prefix tried first),
 * names of new and renamed containers, and what a new container uses (volumes, networks,
 * anonymous volumes labelled for the caller).
 */
final class ContainerOwnership {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Networks every container may join: the daemon's own, not any user's. */
  private static final Set<String> SHARED_NETWORKS = Set.of("", "default", "bridge", "none");



  private ContainerOwnership() {}


  static Step onContainer(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects, ActionSpec spec) throws Refusal, LookupException {
    Action action = spec.action();
    String ref = segment(request, 1);
    DockerObject c = container(ref, who, grant, objects);
    Step step = new Step(request.withSegment(1, c.id()),
        spec.creates().equals(Optional.of(ObjectKind.EXEC))
            ? new FollowUp.ClaimExec(grant.ownerFor(who)) : FollowUp.NONE);
    if (action == CONTAINER_RENAME) {
      step.request = prefixedName(step.request, who, grant, step);
      checkNameFree(step.request.query().get("name").orElse(""), who, grant, objects);
    }
    if ((action == CONTAINER_START || action == CONTAINER_RESTART)
        && !grant.role().quota().isNone()) {
      ContainerQuota.check(c.id(), who, grant, objects);
    }
    if (action == CONTAINER_START || action == CONTAINER_RESTART) {
      step.effects.add(new Effect.ClaimVolumeRoots(c.id()));
    }
    return step;
  }

  /**
   * The caller's container named by {@code ref}. With a role name prefix, the caller's own
   * namespace is tried first ({@code web} finds {@code alice-web}), then the reference as given.
   */
  static DockerObject container(String ref, Principal who, Grant grant,
      ObjectDirectory objects) throws Refusal, LookupException {
    String prefix = grant.role().namePrefixFor(who);
    if (!prefix.isEmpty() && !ref.startsWith(prefix)) {
      Optional<DockerObject> prefixed = reach(objects.container(prefix + ref), who, grant)
          .filter(c -> c.name().equals(prefix + ref));
      if (prefixed.isPresent()) {
        return prefixed.get();
      }
    }
    return reach(objects.container(ref), who, grant)
        .orElseThrow(() -> notFound("No such container: " + ref));
  }

  /** {@code request} with its {@code name} query parameter given the role's prefix. */
  static CanonicalRequest prefixedName(CanonicalRequest request, Principal who,
      Grant grant, Step step) {
    String prefix = grant.role().namePrefixFor(who);
    Optional<String> name = request.query().get("name");
    if (prefix.isEmpty() || name.isEmpty() || name.get().isEmpty()) {
      return request;
    }
    String plain = name.get().startsWith("/") ? name.get().substring(1) : name.get();
    if (plain.startsWith(prefix)) {
      return request;
    }
    step.note("name " + plain + " became " + prefix + plain);
    return request.withQuery(request.query().with("name", prefix + plain));
  }

  /**
   * A name used by a container the caller cannot see is refused with a clear message, instead
   * of the daemon's conflict error that names the other container's id.
   */
  static void checkNameFree(String name, Principal who, Grant grant,
      ObjectDirectory objects) throws Refusal, LookupException {
    String plain = name.startsWith("/") ? name.substring(1) : name;
    if (plain.isEmpty()) {
      return;
    }
    Optional<DockerObject> existing = objects.container(plain);
    if (existing.isEmpty() || grant.reaches(who, existing.get().owner())) {
      return;
    }
    if (existing.get().name().equals(plain)) {
      throw new Refusal(Decision.Status.CONFLICT, "the container name \"" + plain
          + "\" is already used by another user; choose another name");
    }
    if (existing.get().id().startsWith(plain)) {
      // The daemon resolves a name before an id prefix: this name would take the other user's
      // short id (as docker ps shows it) over.
      throw new Refusal(Decision.Status.CONFLICT, "the container name \"" + plain
          + "\" is the id of another user's container; choose another name");
    }
  }

  static Step containerCreate(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects) throws Refusal, LookupException {
    Step step = new Step(request);
    request = prefixedName(request, who, grant, step);
    checkNameFree(request.query().get("name").orElse(""), who, grant, objects);
    ObjectNode body = ((Body.Json) request.body()).value().deepCopy();
    ObjectNode hc = body.path("HostConfig") instanceof ObjectNode o ? o : NODES.objectNode();
    Owner owner = grant.ownerFor(who);
    for (JsonNode bind : hc.path("Binds")) {
      String source = bind.asText().split(":", -1)[0];
      if (!source.startsWith("/") && bind.asText().contains(":")) {
        VolumeOwnership.useVolume(source, "-v " + bind.asText(), who, grant, objects, step);
      }
    }
    labelAnonymousVolumes(body, hc, owner, step);
    for (JsonNode node : hc.path("Mounts")) {
      ObjectNode m = (ObjectNode) node;
      if (!m.path("Type").asText("").equals("volume")) {
        continue;
      }
      String source = m.path("Source").asText("");
      if (source.isEmpty()) {
        ObjectNode opts = m.path("VolumeOptions") instanceof ObjectNode o ? o
            : m.putObject("VolumeOptions");
        ObjectNode labels = opts.path("Labels") instanceof ObjectNode o ? o
            : opts.putObject("Labels");
        checkBerthLabels(labels, owner, "--mount volume labels");
        owner.labels().forEach(labels::put);
        step.note("anonymous volume at " + m.path("Target").asText("") + " labelled as yours");
      } else {
        VolumeOwnership.useVolume(source, "--mount source=" + source, who, grant, objects, step);
      }
    }
    ownContainerReferences(hc, who, objects);
    String mode = hc.path("NetworkMode").asText("");
    if (!SHARED_NETWORKS.contains(mode) && !mode.startsWith("container:")) {
      NetworkOwnership.useNetwork(mode, who, grant, objects);
    }
    for (Iterator<String> it = body.path("NetworkingConfig").path("EndpointsConfig").fieldNames();
        it.hasNext(); ) {
      String net = it.next();
      if (!SHARED_NETWORKS.contains(net)) {
        NetworkOwnership.useNetwork(net, who, grant, objects);
      }
    }
    step.request = request.withBody(new Body.Json(body));
    return step;
  }

  /**
   * {@code --volumes-from}, {@code --link} and {@code --network/--pid/--ipc container:NAME} name
   * other containers. Each must be the caller's own (their uid, not only their sharing group:
   * a container's mounts may include its owner's home, and its namespaces its owner's
   * processes), and is forwarded as the full id that was judged.
   */
  private static void ownContainerReferences(ObjectNode hc, Principal who,
      ObjectDirectory objects) throws Refusal, LookupException {
    if (hc.get("VolumesFrom") instanceof ArrayNode from) {
      for (int i = 0; i < from.size(); i++) {
        String entry = from.get(i).asText("");
        int colon = entry.lastIndexOf(':');
        boolean mode = colon > 0 && Set.of("ro", "rw").contains(entry.substring(colon + 1));
        String ref = mode ? entry.substring(0, colon) : entry;
        from.set(i, ownContainer(ref, "--volumes-from", who, objects)
            + (mode ? entry.substring(colon) : ""));
      }
    }
    if (hc.get("Links") instanceof ArrayNode links) {
      for (int i = 0; i < links.size(); i++) {
        String entry = links.get(i).asText("");
        int colon = entry.indexOf(':');
        String ref = colon < 0 ? entry : entry.substring(0, colon);
        String alias = colon < 0 ? ref : entry.substring(colon + 1);
        String plain = ref.startsWith("/") ? ref.substring(1) : ref;
        links.set(i, ownContainer(plain, "--link", who, objects) + ":" + alias);
      }
    }
    for (String key : List.of("NetworkMode", "PidMode", "IpcMode")) {
      String v = hc.path(key).asText("");
      if (v.startsWith("container:")) {
        String ref = v.substring("container:".length());
        hc.put(key, "container:" + ownContainer(ref, key, who, objects));
      }
    }
  }

  private static String ownContainer(String ref, String what, Principal who,
      ObjectDirectory objects) throws Refusal, LookupException {
    Optional<DockerObject> c = objects.container(ref);
    if (c.isEmpty() || c.get().owner().filter(o -> o.uid() == who.uid()).isEmpty()) {
      throw new Refusal(Decision.Status.FORBIDDEN, what + " " + ref + ": no such container of "
          + "yours");
    }
    return c.get().id();
  }

  /**
   * {@code -v /data} reaches the API as {@code Config.Volumes}, which makes the daemon create an
   * anonymous volume without labels: nobody's, so its owner could not list or remove it. Each is
   * turned into the equivalent {@code --mount type=volume,target=/data} carrying the owner
   * labels (targets that a bind or mount also names stay as they are: there the volume is
   * shadowed anyway). An image's own {@code VOLUME}s cannot be labelled this way.
   */
  static void labelAnonymousVolumes(ObjectNode body, ObjectNode hc, Owner owner,
      Step step) {
    if (!(body.get("Volumes") instanceof ObjectNode volumes) || volumes.isEmpty()) {
      return;
    }
    Set<String> taken = new HashSet<>();
    hc.path("Binds").forEach(b -> {
      String[] parts = b.asText().split(":", -1);
      taken.add(parts.length > 1 ? parts[1] : parts[0]);
    });
    hc.path("Mounts").forEach(m -> taken.add(m.path("Target").asText("")));
    ArrayNode mounts = hc.get("Mounts") instanceof ArrayNode a ? a : hc.putArray("Mounts");
    for (Iterator<String> it = volumes.fieldNames(); it.hasNext(); ) {
      String target = it.next();
      if (taken.contains(target)) {
        continue;
      }
      ObjectNode m = mounts.addObject().put("Type", "volume").put("Target", target);
      ObjectNode labels = m.putObject("VolumeOptions").putObject("Labels");
      owner.labels().forEach(labels::put);
      it.remove(); // noted with the other anonymous mounts
    }
  }
}
