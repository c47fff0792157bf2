package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Action;
import dev.berth.policy.Decision;
import dev.berth.policy.Effect;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.Scope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Each user's container, network and volume names, mapped to the daemon's names and back (issue
 * 13).
 *
 * <p>Design note. With a role's {@code name_prefix} (recommended: {@code u{uid}_}), every name a
 * user gives a container, network or volume is stored in the daemon with the user's prefix ({@code
 * u1001_web}), so alice's {@code web} and bob's {@code web} are two daemon objects that never
 * collide. The prefix is added to every name a user gives, also one that already looks prefixed
 * ({@code u1002_web} given by alice is {@code u1001_u1002_web}), so the mapping is a bijection and
 * no user can produce a name in another user's namespace. In requests, references are tried with
 * the caller's prefix first and then as given (objects from before, and ids), and whatever they
 * resolve to must still be the caller's by its owner label: the mapping decides which object a
 * plain name means, never whether the caller may reach it. In answers the caller's prefix is taken
 * off again ({@link #answer}); names of objects the caller cannot reach never reach it, since lists
 * are narrowed by owner labels before. Administrators (scope {@code all}) use and see the daemon's
 * real names.
 *
 * <p>Private default networks (issue 13, item 3). On the daemon's default bridge every container
 * reaches every other container's unpublished ports. So the default network a user's container asks
 * for ({@code bridge}, {@code default} or none given) is the user's own bridge network instead: the
 * daemon's name is the user's prefix and {@code bridge} ({@code u1001_bridge}), or {@code
 * berth-bridge-<uid>} for a role without a prefix; it carries the user's owner labels and {@value
 * #NETWORK_LABEL}{@code =<uid>}, which no user can set, and berth creates it on first use ({@link
 * Effect.EnsureNetwork}, after the decision is recorded). The user sees it as {@code bridge}. The
 * daemon isolates bridge networks from each other, so containers of two users meet only through
 * published ports. Users cannot create networks with the predefined names (the daemon refuses them
 * too) nor names starting {@code berth-}, so the name cannot be squatted; a network of that name
 * without the label is refused by the effect.
 */
public final class PrivateNames {
  /** No mapping: administrators, and plugin mode (which cannot rename requests or answers). */
  public static final PrivateNames NONE = new PrivateNames("", "", -1);

  /** The actions whose successful answer is a progress stream that may name images. */
  private static final Set<Action> PROGRESS =
      Set.of(Action.IMAGE_CREATE, Action.IMAGE_PUSH, Action.IMAGE_LOAD, Action.IMAGE_BUILD);

  /** Label on a user's default network; the value is the uid it is for. */
  public static final String NETWORK_LABEL = "dev.berth.default-network";

  /** The names a container uses to ask for the default network. */
  static final Set<String> DEFAULT_NETWORKS = Set.of("", "default", "bridge");

  private final String prefix;
  private final String defaultNetwork;
  private final int uid;

  private PrivateNames(String prefix, String defaultNetwork, int uid) {
    this.prefix = prefix;
    this.defaultNetwork = defaultNetwork;
    this.uid = uid;
  }

  /** The caller's namespace; none for callers who reach all objects. */
  public static PrivateNames of(Principal who, Grant grant) {
    boolean all = grant.role().passthrough() || grant.role().scope() == Scope.ALL;
    if (all) {
      return NONE;
    }
    String prefix = grant.role().namePrefixFor(who);
    return new PrivateNames(
        prefix, prefix.isEmpty() ? "berth-bridge-" + who.uid() : prefix + "bridge", who.uid());
  }

  public String prefix() {
    return prefix;
  }

  /** The daemon's name of the caller's own default network; empty when there is none. */
  public String defaultNetwork() {
    return defaultNetwork;
  }

  /** Whether {@code ref} asks for the caller's own default network. */
  boolean isDefaultNetwork(String ref) {
    return !defaultNetwork.isEmpty() && DEFAULT_NETWORKS.contains(ref);
  }

  /** The daemon's name of network {@code ref}: the own default network for the default names. */
  String network(String ref) {
    return isDefaultNetwork(ref) ? defaultNetwork : toDaemon(ref);
  }

  /** The effect that creates the caller's default network on first use. */
  Effect ensureDefaultNetwork() {
    Map<String, String> labels = new HashMap<>(new Owner(uid, -1).labels());
    labels.put(NETWORK_LABEL, Integer.toString(uid));
    return new Effect.EnsureNetwork(defaultNetwork, labels);
  }

  /**
   * A message of the daemon's with the caller's names: the caller's prefix taken off every word it
   * starts ({@code No such container: u1001_web} reads {@code web}), the default network named
   * {@code bridge}, and image names of the caller's namespace as the caller gave them ({@link
   * ImageNamespace#shownInText}; another user's private image name reads {@value
   * ImageNamespace#OTHERS}). Other users' container, network and volume names never reach a message
   * the caller gets: berth forwards only references it resolved to the caller's own objects.
   */
  public String shownInText(String text) {
    String out = ImageNamespace.shownInText(text, uid);
    if (!defaultNetwork.isEmpty()) {
      out = wordStart(defaultNetwork).matcher(out).replaceAll("bridge");
    }
    return prefix.isEmpty() ? out : wordStart(prefix).matcher(out).replaceAll("");
  }

  private static Pattern wordStart(String s) {
    return Pattern.compile(
        "(?<![A-Za-z0-9_.-])"
            + Pattern.quote(s)
            + (s.endsWith("_") || s.endsWith("-") ? "(?=[A-Za-z0-9])" : "(?![A-Za-z0-9_.-])"));
  }

  /**
   * An event of {@code docker events}, or a sample of {@code docker stats} (its {@code name}), with
   * the caller's names: the actor's {@code name} attribute (a container's, network's or volume's
   * name) and, for volumes, the actor's id, which is the volume's name; {@code container}
   * attributes are ids.
   */
  public JsonNode event(JsonNode event) {
    if ((prefix.isEmpty() && defaultNetwork.isEmpty()) || !(event instanceof ObjectNode o)) {
      return event;
    }
    ObjectNode out = o.deepCopy();
    if (out.path("name").isTextual()) { // container stats
      out.put("name", shown(out.path("name").asText()));
    }
    String type = out.path("Type").asText("");
    image(out, "from"); // the container's image, in events of API versions before 1.22
    if (type.equals("image")) {
      image(out, "id");
    }
    if (out.path("Actor") instanceof ObjectNode actor) {
      if (actor.path("Attributes") instanceof ObjectNode attrs) {
        if (type.equals("image")) {
          image(attrs, "name");
          image(actor, "ID");
        } else if (attrs.path("name").isTextual()) {
          String name = attrs.path("name").asText();
          attrs.put("name", type.equals("network") ? shownNetwork(name) : shown(name));
        }
        image(attrs, "image");
      }
      if (type.equals("volume") && actor.path("ID").isTextual()) {
        actor.put("ID", shown(actor.path("ID").asText()));
        if (out.path("id").isTextual()) {
          out.put("id", shown(out.path("id").asText()));
        }
      }
    }
    return out;
  }

  /**
   * The image name in {@code node}'s {@code field} as the caller gave it; another user's private
   * name is removed (an event's {@code ID} reads {@value ImageNamespace#OTHERS} instead).
   */
  private void image(ObjectNode node, String field) {
    if (!node.path(field).isTextual()) {
      return;
    }
    Optional<ImageNamespace.PrivateTag> p = ImageNamespace.parse(node.path(field).asText());
    if (p.isEmpty()) {
      return;
    }
    if (p.get().uid() == uid) {
      node.put(field, p.get().name());
    } else if (field.equals("ID") || field.equals("id")) {
      node.put(field, ImageNamespace.OTHERS);
    } else {
      node.remove(field);
    }
  }

  /** {@link #shownInText} as a value (decisions compare equal when their mappings do). */
  public record Errors(PrivateNames names) implements UnaryOperator<String> {
    @Override
    public String apply(String message) {
      return names.shownInText(message);
    }
  }

  /**
   * {@link ImageNamespace#shownInText} for one text of a progress stream (pull, push, load, build),
   * as a value: only image names are renamed there, so a build's own output that happens to start a
   * word with the caller's prefix stays as it is.
   */
  public record Progress(int uid) implements UnaryOperator<String> {
    @Override
    public String apply(String text) {
      return ImageNamespace.shownInText(text, uid);
    }
  }

  /**
   * How the daemon's words in answers to {@code action} are given back this caller's names: every
   * error message; the progress streams of pulls, pushes, loads and classic builds ({@link #NONE}:
   * as they are).
   */
  public Decision.AnswerNames answerNames(Action action) {
    if (equals(NONE)) {
      return Decision.AnswerNames.AS_IS;
    }
    return new Decision.AnswerNames(
        new Errors(this), PROGRESS.contains(action) ? new Progress(uid) : null);
  }

  /** {@link #event} as a value (decisions compare equal when their mappings do). */
  public record Events(PrivateNames names) implements UnaryOperator<JsonNode> {
    @Override
    public JsonNode apply(JsonNode event) {
      return names.event(event);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PrivateNames n
        && n.prefix.equals(prefix)
        && n.defaultNetwork.equals(defaultNetwork)
        && n.uid == uid;
  }

  @Override
  public int hashCode() {
    return Objects.hash(prefix, defaultNetwork, uid);
  }

  /** The name the caller uses for the daemon's network {@code name}. */
  public String shownNetwork(String name) {
    return !defaultNetwork.isEmpty() && name.equals(defaultNetwork) ? "bridge" : shown(name);
  }

  /** The daemon's name of {@code name} (a leading {@code /} is kept). */
  public String toDaemon(String name) {
    if (prefix.isEmpty() || name.isEmpty()) {
      return name;
    }
    return name.startsWith("/") ? "/" + prefix + name.substring(1) : prefix + name;
  }

  /** The name the caller uses for the daemon's {@code name}: without the caller's prefix. */
  public String shown(String name) {
    if (prefix.isEmpty()) {
      return name;
    }
    if (name.startsWith("/" + prefix) && name.length() > prefix.length() + 1) {
      return "/" + name.substring(prefix.length() + 1);
    }
    return name.startsWith(prefix) && name.length() > prefix.length()
        ? name.substring(prefix.length())
        : name;
  }

  /**
   * An answer that names containers, networks or volumes (lists and inspects of each, and {@code
   * system df}), with the caller's prefix taken off every name it knows: container {@code
   * Name}/{@code Names}, {@code HostConfig.NetworkMode}, {@code HostConfig.Binds}, {@code
   * Mounts[].Name}, the keys of {@code NetworkSettings.Networks}, network and volume {@code Name},
   * the {@code Containers} of a network.
   */
  public JsonNode answer(JsonNode answer) {
    if (prefix.isEmpty() && defaultNetwork.isEmpty()) {
      return answer;
    }
    JsonNode out = answer.deepCopy();
    if (out instanceof ObjectNode o && o.path("Volumes").isArray()) {
      o.path("Volumes").forEach(this::object); // volume list
      o.path("Containers").forEach(this::object); // system df
    } else if (out.isArray()) {
      out.forEach(this::object);
    } else {
      object(out);
    }
    return out;
  }

  /**
   * One element of a list answer (a container, network or volume) with the caller's names, as
   * {@link #answer} renames each element of a list, in place.
   */
  JsonNode element(JsonNode element) {
    if (!prefix.isEmpty() || !defaultNetwork.isEmpty()) {
      object(element);
    }
    return element;
  }

  private void object(JsonNode node) {
    if (!(node instanceof ObjectNode o)) {
      return;
    }
    if (o.has("IPAM") || o.has("EnableIPv6")) { // a network
      if (o.path("Name").isTextual()) {
        o.put("Name", shownNetwork(o.path("Name").asText()));
      }
    } else {
      rename(o, "Name");
    }
    if (o.path("Names") instanceof ArrayNode names) {
      ArrayNode shownNames = names.arrayNode();
      names.forEach(n -> shownNames.add(shown(n.asText(""))));
      o.set("Names", shownNames);
    }
    if (o.path("HostConfig") instanceof ObjectNode hc) {
      if (hc.path("NetworkMode").isTextual()) {
        hc.put("NetworkMode", shownNetwork(hc.path("NetworkMode").asText()));
      }
      if (hc.path("Binds") instanceof ArrayNode binds) {
        ArrayNode out = binds.arrayNode();
        binds.forEach(
            b -> out.add(b.asText("").startsWith("/") ? b.asText("") : shown(b.asText(""))));
        hc.set("Binds", out);
      }
    }
    o.path("Mounts")
        .forEach(
            m -> {
              if (m instanceof ObjectNode mount && "volume".equals(mount.path("Type").asText())) {
                rename(mount, "Name");
              }
            });
    if (o.path("NetworkSettings").path("Networks") instanceof ObjectNode nets) {
      List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = nets.fields(); it.hasNext(); ) {
        entries.add(it.next());
      }
      nets.removeAll();
      entries.forEach(e -> nets.set(shownNetwork(e.getKey()), e.getValue()));
    }
    if (o.path("Containers") instanceof ObjectNode members) {
      members.forEach(
          m -> {
            if (m instanceof ObjectNode member) {
              rename(member, "Name");
            }
          });
    }
  }

  private void rename(ObjectNode node, String field) {
    if (node.path(field).isTextual()) {
      node.put(field, shown(node.path(field).asText()));
    }
  }
}
