package dev.berth.policy.rules;

import static dev.berth.policy.Action.*;
import static dev.berth.policy.rules.OwnerLabels.checkBerthLabels;
import static dev.berth.policy.rules.OwnershipRules.notFound;
import static dev.berth.policy.rules.OwnershipRules.reach;
import static dev.berth.policy.rules.OwnershipRules.segment;
import static dev.berth.policy.rules.OwnershipRules.shownNames;

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
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Ownership of containers: the container a path names (the caller's private name tried first),
 * names of new and renamed containers, and what a new container uses (volumes, networks, anonymous
 * volumes labelled for the caller), the image it runs (through {@link ImageRules}), and inspect
 * answers in the caller's names.
 */
final class ContainerOwnership {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /**
   * Networks every container may join: the daemon's own, not any user's (with private names the
   * default ones are the caller's own instead, see {@link PrivateNames}).
   */
  private static final Set<String> SHARED_NETWORKS = Set.of("", "default", "bridge", "none");

  /** A container's full id, as the daemon answers a create with it. */
  private static final Pattern FULL_ID = Pattern.compile("^[0-9a-f]{64}$");

  private ContainerOwnership() {}

  static Step onContainer(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      ActionSpec spec,
      PrivateNames names)
      throws Refusal, LookupException {
    Action action = spec.action();
    String ref = segment(request, 1);
    DockerObject c = container(ref, who, grant, objects, names);
    Step step =
        new Step(
            request.withSegment(1, c.id()),
            spec.creates().equals(Optional.of(ObjectKind.EXEC))
                ? new FollowUp.ClaimExec(grant.ownerFor(who))
                : action == CONTAINER_INSPECT ? shownNames(who, grant, names) : FollowUp.NONE);
    if (action == CONTAINER_RENAME) {
      step.request = prefixedName(step.request, names, step);
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
   * The caller's container named by {@code ref}: the caller's own name first ({@code web} is {@code
   * u1001_web}), then the reference as given (an id, or a container from before private names);
   * either must be the caller's. A full id is asked for as given first: the daemon itself resolves
   * a full id before any name (moby's {@code daemon.GetContainer}), and the CLI names the container
   * of a {@code docker run} by its full id in each request after the create, so this is one round
   * trip to the daemon instead of a miss on the own name and then the id.
   */
  static DockerObject container(
      String ref, Principal who, Grant grant, ObjectDirectory objects, PrivateNames names)
      throws Refusal, LookupException {
    String own = names.toDaemon(ref);
    boolean fullId = FULL_ID.matcher(ref).matches();
    if (fullId) {
      Optional<DockerObject> byId = reach(objects.container(ref), who, grant);
      if (byId.isPresent()) {
        return byId.get();
      }
    }
    if (!own.equals(ref)) {
      Optional<DockerObject> mine =
          reach(objects.container(own), who, grant).filter(c -> c.name().equals(own));
      if (mine.isPresent()) {
        return mine.get();
      }
    }
    if (fullId) {
      throw notFound("No such container: " + ref); // asked for as given above
    }
    return reach(objects.container(ref), who, grant)
        .orElseThrow(() -> notFound("No such container: " + ref));
  }

  /** {@code request} with its {@code ?name=} query parameter in the caller's namespace. */
  static CanonicalRequest prefixedName(CanonicalRequest request, PrivateNames names, Step step) {
    Optional<String> name = request.query().get("name");
    if (name.isEmpty() || name.get().isEmpty()) {
      return request;
    }
    String plain = name.get().startsWith("/") ? name.get().substring(1) : name.get();
    String daemon = names.toDaemon(plain);
    if (daemon.equals(plain)) {
      return request;
    }
    step.note("name " + plain + " is " + daemon);
    return request.withQuery(request.query().with("name", daemon));
  }

  /**
   * A name used by a container the caller cannot see is refused with a clear message, instead of
   * the daemon's conflict error that names the other container's id.
   */
  static void checkNameFree(String name, Principal who, Grant grant, ObjectDirectory objects)
      throws Refusal, LookupException {
    String plain = name.startsWith("/") ? name.substring(1) : name;
    if (plain.isEmpty()) {
      return;
    }
    Optional<DockerObject> existing = objects.container(plain);
    if (existing.isEmpty() || grant.reaches(who, existing.get().owner())) {
      return;
    }
    if (existing.get().name().equals(plain)) {
      throw new Refusal(
          Decision.Status.CONFLICT,
          "the container name \""
              + plain
              + "\" is already used by another user; choose another name");
    }
    if (existing.get().id().startsWith(plain)) {
      // The daemon resolves a name before an id prefix: this name would take the other user's
      // short id (as docker ps shows it) over.
      throw new Refusal(
          Decision.Status.CONFLICT,
          "the container name \""
              + plain
              + "\" is the id of another user's container; choose another name");
    }
  }

  static Step containerCreate(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      PrivateNames names)
      throws Refusal, LookupException {
    Step step = new Step(request);
    request = prefixedName(request, names, step);
    checkNameFree(request.query().get("name").orElse(""), who, grant, objects);
    ObjectNode body = ((Body.Json) request.body()).value().deepCopy();
    ObjectNode hc = body.path("HostConfig") instanceof ObjectNode o ? o : NODES.objectNode();
    Owner owner = grant.ownerFor(who);
    if (body.path("Image").isTextual()) {
      String image = body.path("Image").asText();
      String resolved = ImageRules.containerImage(image, who, grant, objects);
      if (!resolved.equals(image)) {
        body.put("Image", resolved);
        step.note("image " + image + " is " + resolved);
      }
    }
    if (hc.path("Binds") instanceof ArrayNode binds) {
      ArrayNode out = binds.arrayNode();
      for (JsonNode bind : binds) {
        String text = bind.asText();
        String source = text.split(":", -1)[0];
        if (!source.startsWith("/") && text.contains(":")) {
          String daemon =
              VolumeOwnership.useVolume(source, "-v " + text, who, grant, objects, names, step);
          text = daemon + text.substring(source.length());
        }
        out.add(text);
      }
      hc.set("Binds", out);
    }
    volumesAsMounts(body, hc);
    for (JsonNode node : hc.path("Mounts")) {
      ObjectNode m = (ObjectNode) node;
      if (!m.path("Type").asText("").equals("volume")) {
        continue;
      }
      String source = m.path("Source").asText("");
      if (source.isEmpty()) {
        ObjectNode opts =
            m.path("VolumeOptions") instanceof ObjectNode o ? o : m.putObject("VolumeOptions");
        ObjectNode labels =
            opts.path("Labels") instanceof ObjectNode o ? o : opts.putObject("Labels");
        checkBerthLabels(labels, owner, "--mount volume labels");
        owner.labels().forEach(labels::put);
        step.note("anonymous volume at " + m.path("Target").asText("") + " labelled as yours");
      } else {
        m.put(
            "Source",
            VolumeOwnership.useVolume(
                source, "--mount source=" + source, who, grant, objects, names, step));
      }
    }
    ownContainerReferences(hc, who, objects, names);
    String mode = hc.path("NetworkMode").asText("");
    if (names.isDefaultNetwork(mode)) {
      hc.put("NetworkMode", ownDefaultNetwork(names, step));
    } else if (!SHARED_NETWORKS.contains(mode) && !mode.startsWith("container:")) {
      hc.put("NetworkMode", NetworkOwnership.useNetwork(mode, who, grant, objects, names));
    }
    if (body.path("NetworkingConfig").path("EndpointsConfig") instanceof ObjectNode endpoints) {
      ObjectNode out = endpoints.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = endpoints.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String net =
            names.isDefaultNetwork(e.getKey())
                ? ownDefaultNetwork(names, step)
                : SHARED_NETWORKS.contains(e.getKey())
                    ? e.getKey()
                    : NetworkOwnership.useNetwork(e.getKey(), who, grant, objects, names);
        out.set(net, e.getValue());
      }
      ((ObjectNode) body.path("NetworkingConfig")).set("EndpointsConfig", out);
    }
    step.request = request.withBody(new Body.Json(body));
    return step;
  }

  /**
   * The caller's own default network, which the container joins instead of the daemon's shared
   * bridge (see {@link PrivateNames}); created on first use, once the decision is recorded.
   */
  private static String ownDefaultNetwork(PrivateNames names, Step step) {
    if (step.effects.stream().noneMatch(Effect.EnsureNetwork.class::isInstance)) {
      step.effects.add(names.ensureDefaultNetwork());
      step.note("network bridge is your own " + names.defaultNetwork());
    }
    return names.defaultNetwork();
  }

  /**
   * {@code --volumes-from}, {@code --link} and {@code --network/--pid/--ipc container:NAME} name
   * other containers (a plain name is the caller's own first, as everywhere). Each must be the
   * caller's own (their uid, not only their sharing group: a container's mounts may include its
   * owner's home, and its namespaces its owner's processes), and is forwarded as the full id that
   * was judged.
   */
  private static void ownContainerReferences(
      ObjectNode hc, Principal who, ObjectDirectory objects, PrivateNames names)
      throws Refusal, LookupException {
    if (hc.get("VolumesFrom") instanceof ArrayNode from) {
      for (int i = 0; i < from.size(); i++) {
        String entry = from.get(i).asText("");
        int colon = entry.lastIndexOf(':');
        boolean mode = colon > 0 && Set.of("ro", "rw").contains(entry.substring(colon + 1));
        String ref = mode ? entry.substring(0, colon) : entry;
        from.set(
            i,
            ownContainer(ref, "--volumes-from", who, objects, names)
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
        links.set(i, ownContainer(plain, "--link", who, objects, names) + ":" + alias);
      }
    }
    for (String key : List.of("NetworkMode", "PidMode", "IpcMode")) {
      String v = hc.path(key).asText("");
      if (v.startsWith("container:")) {
        String ref = v.substring("container:".length());
        hc.put(key, "container:" + ownContainer(ref, key, who, objects, names));
      }
    }
  }

  private static String ownContainer(
      String ref, String what, Principal who, ObjectDirectory objects, PrivateNames names)
      throws Refusal, LookupException {
    String own = names.toDaemon(ref);
    if (!own.equals(ref)) {
      Optional<DockerObject> mine =
          objects
              .container(own)
              .filter(
                  c ->
                      c.name().equals(own)
                          && c.owner().filter(o -> o.uid() == who.uid()).isPresent());
      if (mine.isPresent()) {
        return mine.get().id();
      }
    }
    Optional<DockerObject> c = objects.container(ref);
    if (c.isEmpty() || c.get().owner().filter(o -> o.uid() == who.uid()).isEmpty()) {
      throw new Refusal(
          Decision.Status.FORBIDDEN, what + " " + ref + ": no such container of " + "yours");
    }
    return c.get().id();
  }

  /**
   * {@code -v /data} reaches the API as {@code Config.Volumes}, which makes the daemon create an
   * anonymous volume without labels: nobody's, so its owner could not list or remove it. Each is
   * turned into the equivalent {@code --mount type=volume,target=/data}, which {@link
   * #containerCreate} then labels as the caller's with the other anonymous mounts (targets that a
   * bind or mount also names stay as they are: there the volume is shadowed anyway). An image's own
   * {@code VOLUME}s cannot be labelled this way.
   */
  private static void volumesAsMounts(ObjectNode body, ObjectNode hc) {
    if (!(body.get("Volumes") instanceof ObjectNode volumes) || volumes.isEmpty()) {
      return;
    }
    Set<Path> taken = new HashSet<>(); // as the runtime cleans them (MountRules.checkTargets)
    hc.path("Binds")
        .forEach(
            b -> {
              String[] parts = b.asText().split(":", -1);
              taken.add(MountRules.canonical(parts.length > 1 ? parts[1] : parts[0]));
            });
    hc.path("Mounts").forEach(m -> taken.add(MountRules.canonical(m.path("Target").asText(""))));
    ArrayNode mounts = hc.get("Mounts") instanceof ArrayNode a ? a : hc.putArray("Mounts");
    for (Iterator<String> it = volumes.fieldNames(); it.hasNext(); ) {
      String target = it.next();
      if (taken.contains(MountRules.canonical(target))) {
        continue;
      }
      mounts.addObject().put("Type", "volume").put("Target", target);
      it.remove();
    }
  }
}
