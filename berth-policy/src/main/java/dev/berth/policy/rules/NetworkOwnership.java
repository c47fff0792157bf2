package dev.berth.policy.rules;

import static dev.berth.policy.Action.*;
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
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Ownership of networks: the network a path names, the container it connects, and the networks a
 * new container joins.
 */
final class NetworkOwnership {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Network names the daemon keeps for itself (moby {@code IsPreDefinedNetwork}). */
  private static final Set<String> PREDEFINED = Set.of("bridge", "host", "none", "default");

  private NetworkOwnership() {}

  static Step onNetwork(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      Action action,
      PrivateNames names)
      throws Refusal, LookupException, RequestException {
    String ref = segment(request, 1);
    if (action == NETWORK_CONNECT && names.isDefaultNetwork(ref)) {
      // docker network connect bridge c: the caller's own default network, made on first use
      Step step =
          new Step(
              request
                  .withSegment(1, names.defaultNetwork())
                  .withBody(
                      new Body.Json(connectBody(who, grant, request, objects, action, names))));
      step.effects.add(names.ensureDefaultNetwork());
      step.note("network " + ref + " is your own " + names.defaultNetwork());
      return step;
    }
    DockerObject net =
        network(ref, who, grant, objects, names)
            .orElseThrow(() -> notFound("network " + ref + " not found"));
    CanonicalRequest out = request.withSegment(1, net.id());
    if (action == NETWORK_CONNECT || action == NETWORK_DISCONNECT) {
      out = out.withBody(new Body.Json(connectBody(who, grant, request, objects, action, names)));
    }
    return new Step(out, action == NETWORK_INSPECT ? shownNames(who, grant, names) : FollowUp.NONE);
  }

  /** The caller's network named {@code ref}: its own name first, then as given (or an id). */
  private static Optional<DockerObject> network(
      String ref, Principal who, Grant grant, ObjectDirectory objects, PrivateNames names)
      throws LookupException {
    String own = names.network(ref);
    if (!own.equals(ref)) {
      Optional<DockerObject> mine =
          reach(objects.network(own), who, grant).filter(n -> n.name().equals(own));
      if (mine.isPresent()) {
        return mine;
      }
    }
    return reach(objects.network(ref), who, grant);
  }

  /**
   * {@code docker network ls}: the caller's networks (filters narrowed to the owner label) and,
   * read-only, the daemon's predefined ones ({@code bridge}, {@code host}, {@code none}, which a
   * private daemon lists too), looked up with the caller's own filters and {@code type=builtin} and
   * appended to the answer. A relay that cannot rewrite answers (plugin mode) relays the narrowed
   * list as it is; nothing else depends on them (the predefined networks stay unreachable by
   * reference, as before).
   */
  static Step list(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      PrivateNames names)
      throws RequestException, LookupException, Refusal {
    // no image filters on networks: nothing is translated, nothing is looked up
    Step narrowed = ListOwnership.narrowed(who, grant, request, NETWORK_LIST, names, objects, true);
    Optional<String> raw = request.query().get("filters");
    Optional<String> filters = Filters.builtinNetworks(raw);
    if (filters.isEmpty() || !(narrowed.followUp instanceof FollowUp.MapNames shown)) {
      return narrowed;
    }
    // name filters are berth's (NameFilter: the daemon's regex rules, bounded), for these too
    NameFilter byName =
        NameFilter.of(raw.isPresent() ? Filters.values(filters.get(), "name") : List.of());
    if (!byName.isEmpty()) {
      filters = Optional.of(Filters.without(filters.get(), "name"));
    }
    List<JsonNode> builtin;
    try {
      builtin = objects.builtinNetworks(filters.get());
    } catch (LookupException e) {
      // Only the listing of what every user may see is lost; the caller's own list stands.
      narrowed.note("predefined networks not listed (" + e.getMessage() + ")");
      return narrowed;
    }
    List<JsonNode> predefined = new ArrayList<>();
    for (JsonNode n : builtin) {
      String name = n.path("Name").asText();
      if (PREDEFINED.contains(name) && n.path("Labels").isEmpty() && byName.selects(name)) {
        predefined.add(n);
      }
    }
    if (predefined.isEmpty()) {
      return narrowed;
    }
    Step step =
        new Step(
            narrowed.request,
            new FollowUp.MapNames(
                answer -> {
                  JsonNode out = shown.mapping().apply(answer);
                  if (out instanceof ArrayNode list) {
                    // the caller's own default network is shown as bridge: it stands for the
                    // daemon's, which is not listed twice
                    Set<String> shownNames = new HashSet<>();
                    list.forEach(n -> shownNames.add(n.path("Name").asText()));
                    predefined.stream()
                        .filter(n -> !shownNames.contains(n.path("Name").asText()))
                        .forEach(n -> list.add(n.deepCopy()));
                  }
                  return out;
                }));
    step.notes.addAll(narrowed.notes);
    step.note("predefined networks listed read-only");
    return step;
  }

  /**
   * {@code docker network create NAME}: the name is the caller's. The predefined names are refused
   * as the daemon refuses them (with private names, {@code bridge} would otherwise become the name
   * of the caller's default network), and so are daemon names starting {@code berth-}: those are
   * berth's (build and default networks).
   */
  static Step networkCreate(CanonicalRequest request, PrivateNames names) throws Refusal {
    if (!(request.body() instanceof Body.Json j) || !j.value().path("Name").isTextual()) {
      return new Step(request);
    }
    String name = j.value().path("Name").asText();
    if (PREDEFINED.contains(name)) {
      throw new Refusal(
          Decision.Status.FORBIDDEN, name + " is a pre-defined network and " + "cannot be created");
    }
    String daemon = names.toDaemon(name);
    if (daemon.startsWith("berth-")) {
      throw new Refusal(
          Decision.Status.FORBIDDEN,
          "network names starting with berth- are " + "berth's own; choose another name");
    }
    Step step =
        new Step(
            request.withBody(
                new Body.Json(((ObjectNode) j.value()).deepCopy().put("Name", daemon))));
    if (!daemon.equals(name)) {
      step.note("network " + name + " is " + daemon);
    }
    return step;
  }

  /**
   * The body of network connect and disconnect, rebuilt from the fields the API defines (keys
   * matched case-insensitively, as Go's decoder does) with the container resolved to its id.
   */
  static ObjectNode connectBody(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      Action action,
      PrivateNames names)
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
            EndpointOptions.checkEndpoint(v, "--driver-opt");
            out.set("EndpointConfig", v);
          }
        }
        case "force" -> {
          if (action == NETWORK_DISCONNECT) {
            out.put("Force", v.asBoolean(false));
          }
        }
        default -> {}
      }
    }
    out.put("Container", ContainerOwnership.container(container, who, grant, objects, names).id());
    return out;
  }

  /**
   * The daemon's name of a network a new container joins. Refused with 403, not 404: the CLI takes
   * a 404 from create for a missing image and would try to pull it.
   */
  static String useNetwork(
      String ref, Principal who, Grant grant, ObjectDirectory objects, PrivateNames names)
      throws Refusal, LookupException {
    return network(ref, who, grant, objects, names)
        .map(DockerObject::name)
        .orElseThrow(() -> new Refusal(Decision.Status.FORBIDDEN, "network " + ref + " not found"));
  }
}
