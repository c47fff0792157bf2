package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Effect;
import dev.berth.policy.Grant;
import dev.berth.policy.ListElements;
import dev.berth.policy.ListElements.Reads;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import dev.berth.policy.Scope;
import dev.berth.policy.docker.ActionSpec;
import dev.berth.policy.docker.DockerApi;
import dev.berth.policy.docker.RouteMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which existing objects a caller may see and touch (issue #5), after the body rules allowed the
 * request.
 *
 * <p>Design note. Every endpoint that names an object resolves the reference through the daemon
 * ({@link ObjectDirectory}), checks the owner against the caller's {@link Grant}, and forwards the
 * full id it judged, so that a rename or a new object with a colliding name or id prefix between
 * the check and the daemon's action cannot redirect the request. An object the caller may not reach
 * is answered exactly like one that does not exist ({@code No such container: x}), so the names of
 * other users' objects do not leak through error messages. Lists, events and prunes are narrowed by
 * adding the owner label to the caller's filters (label filters are conjunctive on all of them);
 * {@code system df}, which cannot be filtered, is rewritten on the way back. Images are judged by
 * {@link ImageRules} (issue 13: users' tags in their own namespace, images users made seen only by
 * them). With private names ({@link PrivateNames}), container, network and volume names are mapped
 * into the caller's namespace in requests, and back in answers ({@link FollowUp.MapNames}). One
 * class per object kind holds the rules ({@link ContainerOwnership}, {@link ExecOwnership}, {@link
 * VolumeOwnership}, {@link NetworkOwnership}, {@link ImageOwnership}, {@link ListOwnership}); this
 * one picks them by the action's {@link dev.berth.policy.docker.Ownership} in the table.
 */
public final class OwnershipRules {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /**
   * What the element rule of {@link #shownNames} reads or changes of a list element (a container,
   * network or volume): {@link PrivateNames#element} the names ({@code Name}, {@code Names}, {@code
   * HostConfig}, {@code Mounts}, the keys of {@code NetworkSettings.Networks}, {@code Containers},
   * whether there is an {@code IPAM} or {@code EnableIPv6}: keys only), {@link NameFilter#keeps}
   * {@code Names} or {@code Name}, {@link #showImages} {@code Image}, {@code ImageID} and {@code
   * Config}. A list answer is read with nodes for these only ({@link
   * dev.berth.policy.docker.DockerJson#mapList}); a field added to those rules must be added here.
   */
  static final Reads ELEMENT_READS =
      Reads.keysAnd(
          Map.of(
              "Name", Reads.ALL,
              "Names", Reads.eachItem(Reads.ALL),
              "HostConfig",
                  Reads.keysAnd(
                      Map.of("NetworkMode", Reads.ALL, "Binds", Reads.eachItem(Reads.ALL))),
              "Mounts", Reads.eachItem(Reads.keysAnd(Map.of("Type", Reads.ALL, "Name", Reads.ALL))),
              "NetworkSettings", Reads.keysAnd(Map.of("Networks", Reads.keysAnd(Map.of()))),
              "Containers", Reads.ALL,
              "Image", Reads.ALL,
              "ImageID", Reads.ALL,
              "Config", Reads.ALL));

  /**
   * Narrows an allowed request to the caller's objects.
   *
   * @param allowed what the body rules allowed (its request and rewrites are kept)
   * @param mapNames whether names are mapped into the caller's namespace ({@link PrivateNames});
   *     false when the request reaches the daemon as sent (plugin mode)
   */
  public Decision evaluate(
      Principal who,
      Grant grant,
      Decision.Allow allowed,
      RouteMatch route,
      ObjectDirectory objects,
      boolean mapNames) {
    if (grant.role().scope() == Scope.ALL) {
      return allowed;
    }
    Action action = route.route().action();
    CanonicalRequest request = allowed.forward();
    PrivateNames names = mapNames ? PrivateNames.of(who, grant) : PrivateNames.NONE;
    try {
      ActionSpec spec = DockerApi.spec(action);
      Step step =
          switch (spec.ownership()) {
            case NAMED ->
                switch (spec.names().orElseThrow()) {
                  case CONTAINER ->
                      ContainerOwnership.onContainer(who, grant, request, objects, spec, names);
                  case EXEC -> ExecOwnership.onExec(who, grant, request, objects);
                  case VOLUME ->
                      VolumeOwnership.onVolume(who, grant, request, objects, action, names);
                  case NETWORK ->
                      NetworkOwnership.onNetwork(who, grant, request, objects, action, names);
                  case IMAGE ->
                      throw new IllegalStateException("images are judged by their own rules");
                };
            case NARROWED ->
                ListOwnership.narrowed(who, grant, request, action, names, objects, !mapNames);
            case FILTERED ->
                switch (action) {
                  case SYSTEM_DF -> ListOwnership.dataUsage(who, grant, request, objects, names);
                  case IMAGE_LIST -> ImageOwnership.list(who, grant, request, objects);
                  default -> throw new IllegalStateException(action.id() + " has no answer filter");
                };
            case RULE ->
                switch (action) {
                  case CONTAINER_CREATE ->
                      ContainerOwnership.containerCreate(who, grant, request, objects, names);
                  case IMAGE_CREATE,
                      IMAGE_LOAD,
                      IMAGE_TAG,
                      IMAGE_DELETE,
                      IMAGE_PUSH,
                      IMAGE_INSPECT,
                      IMAGE_HISTORY,
                      IMAGE_EXPORT ->
                      ImageOwnership.evaluate(who, grant, request, objects, action);
                  case CONTAINER_COMMIT ->
                      ImageOwnership.commit(who, grant, request, objects, names);
                  case VOLUME_CREATE ->
                      VolumeOwnership.volumeCreate(who, grant, request, objects, names);
                  case NETWORK_CREATE -> NetworkOwnership.networkCreate(request, names);
                  case NETWORK_LIST -> NetworkOwnership.list(who, grant, request, objects, names);
                  case IMAGE_BUILD_PRUNE -> ImageOwnership.buildPrune(request);
                  default ->
                      throw new IllegalStateException(action.id() + " has no ownership rule");
                };
            case NONE, SWARM_STATE -> new Step(request);
          };
      List<String> notes = new ArrayList<>(allowed.rewrites());
      notes.addAll(step.notes);
      List<Effect> effects = new ArrayList<>(allowed.effects());
      effects.addAll(step.effects);
      FollowUp followUp = step.followUp;
      if (!names.equals(PrivateNames.NONE)
          && (action == Action.SYSTEM_EVENTS || action == Action.CONTAINER_STATS)) {
        followUp = new FollowUp.MapEvents(new PrivateNames.Events(names));
      }
      return new Decision.Allow(allowed.rule(), step.request, notes, followUp, effects);
    } catch (Refusal r) {
      return new Decision.Deny("ownership", r.status, "berth: " + r.getMessage());
    } catch (RequestException e) {
      return new Decision.Deny("ownership", e.status(), "berth: " + e.getMessage());
    } catch (LookupException e) {
      return new Decision.Indeterminate(
          "ownership_lookup", "berth could not check who owns the object (" + e.getMessage() + ")");
    }
  }

  /** The label filter that selects the caller's objects: by sharing group, else by uid. */
  static String ownerFilter(Principal who, Grant grant) {
    return grant.role().scope() == Scope.GROUP && grant.shareGid() >= 0
        ? Owner.GID_LABEL + "=" + grant.shareGid()
        : Owner.UID_LABEL + "=" + who.uid();
  }

  /**
   * An answer that names the caller's objects ({@link PrivateNames#answer}) and images ({@code
   * Image}, {@code Config.Image}), in the names the caller gave them.
   */
  static FollowUp shownNames(Principal who, Grant grant, PrivateNames names) {
    return shownNames(who, grant, names, NameFilter.of(List.of()), 0);
  }

  /**
   * {@link #shownNames(Principal, Grant, PrivateNames)}, then narrowed by the {@code name} filter
   * berth applies in the caller's names and cut to {@code limit} containers (0: no limit).
   */
  static FollowUp shownNames(
      Principal who, Grant grant, PrivateNames names, NameFilter byName, int limit) {
    ListElements elements =
        new ListElements(
            item -> {
              JsonNode out = names.element(item);
              if (!byName.keeps(out)) {
                return Optional.empty();
              }
              showImages(out, who, grant);
              return Optional.of(out);
            },
            byName.isEmpty() ? 0 : limit,
            ELEMENT_READS);
    return new FollowUp.MapNames(
        answer -> {
          if (answer instanceof ArrayNode list) {
            return elements.tree(list);
          }
          JsonNode out = byName.narrow(names.answer(answer));
          showImages(out, who, grant);
          return out;
        },
        elements);
  }

  /**
   * The images that containers (a list, or one inspect) name, in the caller's names ({@link
   * ImageAccess#shownImage}), in place.
   */
  static void showImages(JsonNode containers, Principal who, Grant grant) {
    for (JsonNode c : containers.isArray() ? containers : NODES.arrayNode().add(containers)) {
      if (!(c instanceof ObjectNode o)) {
        continue;
      }
      // A list names the image id in ImageID; an inspect in Image (its Config.Image is the name
      // the container was created with).
      String id = o.path(o.has("ImageID") ? "ImageID" : "Image").asText("");
      if (o.path("Image").isTextual()) {
        o.put("Image", ImageAccess.shownImage(o.path("Image").asText(), id, who, grant));
      }
      if (o.path("Config") instanceof ObjectNode config && config.path("Image").isTextual()) {
        config.put("Image", ImageAccess.shownImage(config.path("Image").asText(), id, who, grant));
      }
    }
  }

  static Optional<DockerObject> reach(Optional<DockerObject> found, Principal who, Grant grant) {
    return found.filter(o -> grant.reaches(who, o.owner()));
  }

  static String segment(CanonicalRequest request, int index) {
    return request.segments().get(index);
  }

  static Refusal notFound(String message) {
    return new Refusal(Decision.Status.NOT_FOUND, message);
  }
}
