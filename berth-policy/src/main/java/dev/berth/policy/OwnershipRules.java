package dev.berth.policy;

import static dev.berth.policy.Action.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.docker.RouteMatch;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
 * needs the tag to be the caller's.
 */
final class OwnershipRules {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** Networks every container may join: the daemon's own, not any user's. */
  private static final Set<String> SHARED_NETWORKS = Set.of("", "default", "bridge", "none");

  /** Actions whose path names a container (the {@code {id}} segment). */
  private static final Set<Action> ON_CONTAINER = EnumSet.of(CONTAINER_INSPECT, CONTAINER_TOP,
      CONTAINER_LOGS, CONTAINER_CHANGES, CONTAINER_EXPORT, CONTAINER_STATS, CONTAINER_RESIZE,
      CONTAINER_START, CONTAINER_STOP, CONTAINER_RESTART, CONTAINER_KILL, CONTAINER_UPDATE,
      CONTAINER_RENAME, CONTAINER_PAUSE, CONTAINER_UNPAUSE, CONTAINER_ATTACH,
      CONTAINER_ATTACH_WEBSOCKET, CONTAINER_WAIT, CONTAINER_DELETE, CONTAINER_ARCHIVE_STAT,
      CONTAINER_ARCHIVE_GET, CONTAINER_ARCHIVE_PUT, CONTAINER_CHECKPOINT, EXEC_CREATE);
  private static final Set<Action> ON_EXEC = EnumSet.of(EXEC_START, EXEC_RESIZE, EXEC_INSPECT);
  private static final Set<Action> ON_VOLUME =
      EnumSet.of(VOLUME_INSPECT, VOLUME_UPDATE, VOLUME_DELETE);
  private static final Set<Action> ON_NETWORK = EnumSet.of(NETWORK_INSPECT, NETWORK_DELETE,
      NETWORK_CONNECT, NETWORK_DISCONNECT);
  private static final Set<Action> LISTS = EnumSet.of(CONTAINER_LIST, CONTAINER_PRUNE,
      VOLUME_LIST, VOLUME_PRUNE, NETWORK_LIST, NETWORK_PRUNE, SYSTEM_EVENTS);
  private static final Set<Action> CONSULTS;

  static {
    Set<Action> s = EnumSet.of(CONTAINER_CREATE, CONTAINER_COMMIT, IMAGE_CREATE, IMAGE_TAG,
        IMAGE_DELETE, IMAGE_PUSH, IMAGE_INSPECT, IMAGE_HISTORY, IMAGE_EXPORT, VOLUME_CREATE);
    s.addAll(ON_CONTAINER);
    s.addAll(ON_EXEC);
    s.addAll(ON_VOLUME);
    s.addAll(ON_NETWORK);
    CONSULTS = s;
  }

  /** Whether deciding {@code action} asks the {@link ObjectDirectory} (and so may block). */
  static boolean consultsDirectory(Action action) {
    return CONSULTS.contains(action);
  }

  /**
   * Narrows an allowed request to the caller's objects.
   *
   * @param allowed what the body rules allowed (its request and rewrites are kept)
   */
  Decision evaluate(Principal who, Grant grant, Decision.Allow allowed, RouteMatch route,
      ObjectDirectory objects, boolean mapNames) {
    if (grant.role().scope() == Scope.ALL) {
      return allowed;
    }
    Action action = route.route().action();
    CanonicalRequest request = allowed.forward();
    PrivateNames names = mapNames ? PrivateNames.of(who, grant) : PrivateNames.NONE;
    try {
      Step step;
      if (ON_CONTAINER.contains(action)) {
        step = onContainer(who, grant, request, objects, action, names);
      } else if (ON_EXEC.contains(action)) {
        DockerObject exec = reach(objects.exec(segment(request, 1)), who, grant)
            .orElseThrow(() -> notFound("No such exec instance: " + segment(request, 1)));
        step = new Step(request.withSegment(1, exec.id()));
      } else if (ON_VOLUME.contains(action)) {
        DockerObject v = volume(segment(request, 1), who, grant, objects, names)
            .orElseThrow(() -> notFound("get " + segment(request, 1) + ": no such volume"));
        step = new Step(request.withSegment(1, v.id()),
            action == VOLUME_INSPECT ? shownNames(who, grant, names) : FollowUp.NONE);
      } else if (ON_NETWORK.contains(action)) {
        step = onNetwork(who, grant, request, objects, action, names);
      } else if (LISTS.contains(action)) {
        String label = ownerFilter(who, grant);
        step = new Step(request.withQuery(request.query().with("filters",
            Filters.withLabel(request.query().get("filters"), label))),
            action == SYSTEM_EVENTS || action.name().endsWith("_PRUNE") ? FollowUp.NONE
                : shownNames(who, grant, names));
        step.note("filters narrowed to label " + label);
      } else {
        step = switch (action) {
          case CONTAINER_CREATE -> containerCreate(who, grant, request, objects, names);
          case SYSTEM_DF -> {
            ImageClaims claims = objects.imageClaims();
            yield new Step(request, new FollowUp.FilterResponse(df -> names.answer(
                DataUsage.narrow(df, owner -> grant.reaches(who, owner),
                    images -> ImageAccess.narrowList(images, who, grant, claims)))));
          }
          case IMAGE_LIST -> Step.of(ImageRules.list(who, grant, request, objects));
          case IMAGE_INSPECT -> Step.of(ImageRules.inspect(who, grant, request, objects));
          case IMAGE_HISTORY -> Step.of(ImageRules.history(who, grant, request, objects));
          case IMAGE_EXPORT -> Step.of(ImageRules.export(who, grant, request, objects));
          case IMAGE_CREATE -> Step.of(ImageRules.pull(who, grant, request, objects));
          case IMAGE_TAG -> Step.of(ImageRules.tag(who, grant, request, objects));
          case IMAGE_DELETE -> Step.of(ImageRules.delete(who, grant, request, objects));
          case IMAGE_PUSH -> Step.of(ImageRules.push(who, grant, request, objects));
          case CONTAINER_COMMIT -> Step.of(ImageRules.commit(who, grant, request,
              container(request.query().get("container").orElse(""), who, grant, objects, names)
                  .id()));
          case VOLUME_CREATE -> volumeCreate(who, grant, request, objects, names);
          case NETWORK_CREATE -> networkCreate(request, names);
          default -> new Step(request);
        };
      }
      List<String> notes = new ArrayList<>(allowed.rewrites());
      notes.addAll(step.notes);
      return new Decision.Allow(allowed.rule(), step.request, notes, step.followUp);
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
  private static String ownerFilter(Principal who, Grant grant) {
    return grant.role().scope() == Scope.GROUP && grant.shareGid() >= 0
        ? Owner.GID_LABEL + "=" + grant.shareGid()
        : Owner.UID_LABEL + "=" + who.uid();
  }

  // ---- containers ---------------------------------------------------------------------------

  private Step onContainer(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects, Action action, PrivateNames names)
      throws Refusal, LookupException {
    String ref = segment(request, 1);
    DockerObject c = container(ref, who, grant, objects, names);
    Step step = new Step(request.withSegment(1, c.id()),
        action == EXEC_CREATE ? new FollowUp.ClaimExec(grant.ownerFor(who))
            : action == CONTAINER_INSPECT ? shownNames(who, grant, names) : FollowUp.NONE);
    if (action == CONTAINER_RENAME) {
      step.request = prefixedName(step.request, names, step);
      checkNameFree(step.request.query().get("name").orElse(""), who, grant, objects);
    }
    if ((action == CONTAINER_START || action == CONTAINER_RESTART)
        && !grant.role().quota().isNone()) {
      checkQuota(c.id(), who, grant, objects);
    }
    return step;
  }

  /**
   * An answer that names the caller's objects ({@link PrivateNames#answer}) and images
   * ({@code Image}, {@code Config.Image}), in the names the caller gave them.
   */
  private static FollowUp shownNames(Principal who, Grant grant, PrivateNames names) {
    return new FollowUp.MapNames(answer -> {
      JsonNode out = names.answer(answer);
      for (JsonNode c : out.isArray() ? out : NODES.arrayNode().add(out)) {
        if (c instanceof ObjectNode o && o.path("Image").isTextual()) {
          o.put("Image", ImageAccess.shownImage(o.path("Image").asText(), who, grant));
        }
        if (c.path("Config") instanceof ObjectNode config && config.path("Image").isTextual()) {
          config.put("Image", ImageAccess.shownImage(config.path("Image").asText(), who, grant));
        }
      }
      return out;
    });
  }

  /**
   * A container that is not active yet may start only if the caller's (or, with scope group,
   * the sharing group's) active containers and it stay within the role's quota. Each resource
   * with a quota must be limited on the starting container (the role's defaults see to that when
   * the user asks for nothing); active containers without a limit count as zero.
   */
  private static void checkQuota(String id, Principal who, Grant grant, ObjectDirectory objects)
      throws Refusal, LookupException {
    Quota q = grant.role().quota();
    ContainerUsage me = objects.usage(id);
    if (me.active()) {
      return; // it counts already
    }
    List<ContainerUsage> others = objects.active(ownerFilter(who, grant)).stream()
        .filter(u -> !u.id().equals(id)).toList();
    String whose = grant.role().scope() == Scope.GROUP ? "your group's" : "your";
    if (q.containers() > 0 && others.size() + 1 > q.containers()) {
      throw quota(whose + " running containers are limited to " + q.containers() + " ("
          + others.size() + " running); stop one first");
    }
    checkQuota("memory (bytes)", "--memory", q.memory(), me.memory(),
        others.stream().mapToLong(ContainerUsage::memory).filter(v -> v > 0).sum(), whose);
    checkQuota("CPUs (x10^9)", "--cpus", q.nanoCpus(), me.nanoCpus(),
        others.stream().mapToLong(ContainerUsage::nanoCpus).filter(v -> v > 0).sum(), whose);
    checkQuota("PIDs", "--pids-limit", q.pids(), me.pids(),
        others.stream().mapToLong(ContainerUsage::pids).filter(v -> v > 0).sum(), whose);
  }

  private static void checkQuota(String what, String flag, long quota, long mine, long used,
      String whose) throws Refusal {
    if (quota <= 0) {
      return;
    }
    if (mine <= 0) {
      throw quota("this container has no " + flag + " limit, and " + whose + " " + what
          + " are limited to " + quota + " in total; recreate it with " + flag);
    }
    if (used + mine > quota) {
      throw quota(whose + " " + what + " are limited to " + quota + " in total; running "
          + "containers use " + used + " and this one asks for " + mine);
    }
  }

  private static Refusal quota(String message) {
    return new Refusal(Decision.Status.FORBIDDEN, "quota exceeded: " + message);
  }

  /**
   * The caller's container named by {@code ref}: the caller's own name first ({@code web} is
   * {@code u1001_web}), then the reference as given (an id, or a container from before private
   * names); either must be the caller's.
   */
  private static DockerObject container(String ref, Principal who, Grant grant,
      ObjectDirectory objects, PrivateNames names) throws Refusal, LookupException {
    String own = names.toDaemon(ref);
    if (!own.equals(ref)) {
      Optional<DockerObject> mine = reach(objects.container(own), who, grant)
          .filter(c -> c.name().equals(own));
      if (mine.isPresent()) {
        return mine.get();
      }
    }
    return reach(objects.container(ref), who, grant)
        .orElseThrow(() -> notFound("No such container: " + ref));
  }

  /** The caller's volume named {@code name}: its own name first, then as given. */
  private static Optional<DockerObject> volume(String name, Principal who, Grant grant,
      ObjectDirectory objects, PrivateNames names) throws LookupException {
    String own = names.toDaemon(name);
    if (!own.equals(name)) {
      Optional<DockerObject> mine = reach(objects.volume(own), who, grant);
      if (mine.isPresent()) {
        return mine;
      }
    }
    return reach(objects.volume(name), who, grant);
  }

  /** The caller's network named {@code ref}: its own name first, then as given (or an id). */
  private static Optional<DockerObject> network(String ref, Principal who, Grant grant,
      ObjectDirectory objects, PrivateNames names) throws LookupException {
    String own = names.toDaemon(ref);
    if (!own.equals(ref)) {
      Optional<DockerObject> mine = reach(objects.network(own), who, grant)
          .filter(n -> n.name().equals(own));
      if (mine.isPresent()) {
        return mine;
      }
    }
    return reach(objects.network(ref), who, grant);
  }

  /** {@code request} with its {@code name} query parameter in the caller's namespace. */
  private static CanonicalRequest prefixedName(CanonicalRequest request, PrivateNames names,
      Step step) {
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
   * A name used by a container the caller cannot see is refused with a clear message, instead
   * of the daemon's conflict error that names the other container's id.
   */
  private static void checkNameFree(String name, Principal who, Grant grant,
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

  private Step containerCreate(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects, PrivateNames names) throws Refusal, LookupException {
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
          String daemon = useVolume(source, "-v " + text, who, grant, objects, names, step);
          text = daemon + text.substring(source.length());
        }
        out.add(text);
      }
      hc.set("Binds", out);
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
        m.put("Source", useVolume(source, "--mount source=" + source, who, grant, objects, names,
            step));
      }
    }
    String mode = hc.path("NetworkMode").asText("");
    if (!SHARED_NETWORKS.contains(mode)) {
      hc.put("NetworkMode", useNetwork(mode, who, grant, objects, names));
    }
    if (body.path("NetworkingConfig").path("EndpointsConfig") instanceof ObjectNode endpoints) {
      ObjectNode out = endpoints.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = endpoints.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.set(SHARED_NETWORKS.contains(e.getKey()) ? e.getKey()
            : useNetwork(e.getKey(), who, grant, objects, names), e.getValue());
      }
      ((ObjectNode) body.path("NetworkingConfig")).set("EndpointsConfig", out);
    }
    step.request = request.withBody(new Body.Json(body));
    return step;
  }

  /**
   * {@code -v /data} reaches the API as {@code Config.Volumes}, which makes the daemon create an
   * anonymous volume without labels: nobody's, so its owner could not list or remove it. Each is
   * turned into the equivalent {@code --mount type=volume,target=/data} carrying the owner
   * labels (targets that a bind or mount also names stay as they are: there the volume is
   * shadowed anyway). An image's own {@code VOLUME}s cannot be labelled this way.
   */
  private static void labelAnonymousVolumes(ObjectNode body, ObjectNode hc, Owner owner,
      Step step) {
    if (!(body.get("Volumes") instanceof ObjectNode volumes) || volumes.isEmpty()) {
      return;
    }
    Set<String> taken = new java.util.HashSet<>();
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

  /**
   * The daemon's name of the volume {@code name} a new container mounts: the caller's own
   * (created for the caller first if it does not exist, as the daemon would create it), or a
   * volume from before private names that is the caller's.
   */
  private static String useVolume(String name, String what, Principal who, Grant grant,
      ObjectDirectory objects, PrivateNames names, Step step) throws Refusal, LookupException {
    String own = names.toDaemon(name);
    if (!own.equals(name) && objects.volume(own).isEmpty()) {
      Optional<DockerObject> before = objects.volume(name);
      if (before.isPresent() && grant.reaches(who, before.get().owner())) {
        step.note("volume " + name + " is yours");
        return name;
      }
    }
    DockerObject v = objects.ensureVolume(own, grant.ownerFor(who));
    if (!grant.reaches(who, v.owner())) {
      throw new Refusal(Decision.Status.FORBIDDEN, what + ": the volume \"" + name
          + "\" belongs to someone else; use a volume of your own");
    }
    step.note("volume " + name + " is yours (" + own + ")");
    return own;
  }

  /**
   * The daemon's name of a network a new container joins. Refused with 403, not 404: the CLI
   * takes a 404 from create for a missing image and would try to pull it.
   */
  private static String useNetwork(String ref, Principal who, Grant grant,
      ObjectDirectory objects, PrivateNames names) throws Refusal, LookupException {
    return network(ref, who, grant, objects, names).map(DockerObject::name).orElseThrow(() ->
        new Refusal(Decision.Status.FORBIDDEN, "network " + ref + " not found"));
  }

  /**
   * {@code docker volume create NAME} answers with the existing volume when the name is taken,
   * whoever owns it: refused for a volume the caller may not reach, so that nothing of it leaks.
   */
  private static Step volumeCreate(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects, PrivateNames names) throws Refusal, LookupException {
    if (!(request.body() instanceof Body.Json j) || j.value().path("Name").asText("").isEmpty()) {
      return new Step(request);
    }
    String name = j.value().path("Name").asText("");
    String daemon = names.toDaemon(name);
    Optional<DockerObject> existing = objects.volume(daemon);
    if (existing.isPresent() && !grant.reaches(who, existing.get().owner())) {
      throw new Refusal(Decision.Status.CONFLICT, "the volume name \"" + name
          + "\" is already used by another user; choose another name");
    }
    Step step = new Step(request.withBody(new Body.Json(((ObjectNode) j.value()).deepCopy()
        .put("Name", daemon))), shownNames(who, grant, names));
    if (!daemon.equals(name)) {
      step.note("volume " + name + " is " + daemon);
    }
    return step;
  }

  /** {@code docker network create NAME}: the name is the caller's. */
  private static Step networkCreate(CanonicalRequest request, PrivateNames names) {
    if (!(request.body() instanceof Body.Json j) || !j.value().path("Name").isTextual()) {
      return new Step(request);
    }
    String name = j.value().path("Name").asText();
    String daemon = names.toDaemon(name);
    Step step = new Step(request.withBody(new Body.Json(((ObjectNode) j.value()).deepCopy()
        .put("Name", daemon))));
    if (!daemon.equals(name)) {
      step.note("network " + name + " is " + daemon);
    }
    return step;
  }

  /**
   * Labels {@code dev.berth.*} are berth's: a caller may give only the owner labels berth would
   * set anyway (in plugin mode, where berth cannot add them, the caller must).
   */
  static void checkBerthLabels(JsonNode labels, Owner owner, String what) throws Refusal {
    Map<String, String> expected = owner.labels();
    for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().startsWith("dev.berth.") && !e.getKey().equals(Profile.LABEL)
          && !e.getValue().asText("").equals(expected.get(e.getKey()))) {
        throw new Refusal(Decision.Status.FORBIDDEN, what + ": labels dev.berth.* are set by "
            + "berth (yours are " + expected + ")");
      }
    }
  }

  // ---- networks -----------------------------------------------------------------------------

  private Step onNetwork(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects, Action action, PrivateNames names)
      throws Refusal, LookupException, RequestException {
    String ref = segment(request, 1);
    DockerObject net = network(ref, who, grant, objects, names)
        .orElseThrow(() -> notFound("network " + ref + " not found"));
    CanonicalRequest out = request.withSegment(1, net.id());
    if (action == NETWORK_CONNECT || action == NETWORK_DISCONNECT) {
      out = out.withBody(new Body.Json(connectBody(who, grant, request, objects, action,
          names)));
    }
    return new Step(out, action == NETWORK_INSPECT ? shownNames(who, grant, names)
        : FollowUp.NONE);
  }

  /**
   * The body of network connect and disconnect, rebuilt from the fields the API defines (keys
   * matched case-insensitively, as Go's decoder does) with the container resolved to its id.
   */
  private ObjectNode connectBody(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects, Action action, PrivateNames names)
      throws Refusal, LookupException, RequestException {
    JsonNode in = request.body() instanceof Body.Json j ? j.value() : NODES.objectNode();
    if (!in.isObject()) {
      throw RequestException.bad("body: expected a JSON object");
    }
    String container = "";
    ObjectNode out = NODES.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      switch (e.getKey().toLowerCase(Locale.ROOT)) {
        case "container" -> container = v.asText("");
        case "endpointconfig" -> {
          if (action == NETWORK_CONNECT && v.isObject()) {
            JsonNode opts = v.path("DriverOpts");
            if (opts.isObject() && !opts.isEmpty()) {
              throw new Refusal(Decision.Status.FORBIDDEN,
                  "endpoint driver options are not allowed");
            }
            out.set("EndpointConfig", v);
          }
        }
        case "force" -> {
          if (action == NETWORK_DISCONNECT) {
            out.put("Force", v.asBoolean(false));
          }
        }
        default -> { }
      }
    }
    out.put("Container", container(container, who, grant, objects, names).id());
    return out;
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static Optional<DockerObject> reach(Optional<DockerObject> found, Principal who,
      Grant grant) {
    return found.filter(o -> grant.reaches(who, o.owner()));
  }

  private static String segment(CanonicalRequest request, int index) {
    return request.segments().get(index);
  }

  private static Refusal notFound(String message) {
    return new Refusal(Decision.Status.NOT_FOUND, message);
  }

  /** The request as rewritten so far, with notes and what to do with the answer. */
  private static final class Step {
    CanonicalRequest request;
    final FollowUp followUp;
    final List<String> notes = new ArrayList<>();

    Step(CanonicalRequest request) {
      this(request, FollowUp.NONE);
    }

    Step(CanonicalRequest request, FollowUp followUp) {
      this.request = request;
      this.followUp = followUp;
    }

    static Step of(ImageRules.Outcome outcome) {
      Step step = new Step(outcome.request(), outcome.followUp());
      step.notes.addAll(outcome.notes());
      return step;
    }

    void note(String s) {
      notes.add(s);
    }
  }

  /** A refusal with the status the caller sees. */
  static final class Refusal extends Exception {
    final Decision.Status status;

    Refusal(Decision.Status status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }
}
