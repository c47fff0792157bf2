package dev.berth.policy.yaml;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.Binding;
import dev.berth.policy.Role;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/** Reads one binding of a policy file: a role for users and groups (groups resolved to gids). */
final class BindingReader extends NodeReader {
  private static final Set<String> BINDING_KEYS = Set.of("role", "users", "groups");

  private final PolicyLoader.GroupResolver groups;

  BindingReader(String source, List<String> errors, PolicyLoader.GroupResolver groups) {
    super(source, errors);
    this.groups = groups;
  }

  @Nullable Binding binding(String at, Node node, Map<String, Role> roles) {
    if (!(node instanceof MappingNode m)) {
      error(node, at, "expected a mapping with role and users or groups");
      return null;
    }
    Map<String, Node> f = fields(m, at, BINDING_KEYS);
    Node roleNode = require(f, "role", m, at);
    String role = roleNode == null ? null : scalar(roleNode, at + ".role");
    if (role != null && !roles.containsKey(role)) {
      error(
          roleNode,
          at + ".role",
          "unknown role \"" + role + "\"" + suggestion(role, List.copyOf(roles.keySet())));
      role = null;
    }
    Set<String> users = new LinkedHashSet<>();
    Set<Integer> gids = new LinkedHashSet<>();
    boolean everyone = false;
    for (String item : strings(f.get("users"), at + ".users")) {
      if (item.equals("*")) {
        everyone = true;
      } else {
        users.add(item);
      }
    }
    Node groupsNode = f.get("groups");
    List<String> groupNames = strings(groupsNode, at + ".groups");
    for (int i = 0; i < groupNames.size(); i++) {
      String g = groupNames.get(i);
      // strings() lists the items of a sequence only
      Node item = ((SequenceNode) requireNonNull(groupsNode)).getValue().get(i);
      try {
        Optional<Integer> gid = groups.gidOf(g);
        if (gid.isEmpty()) {
          error(item, at + ".groups[" + i + "]", "no such group \"" + g + "\" (NSS)");
        } else {
          gids.add(gid.get());
        }
      } catch (Exception e) {
        error(
            item,
            at + ".groups[" + i + "]",
            "cannot look up group \"" + g + "\": " + e.getMessage());
      }
    }
    if (!f.containsKey("users") && !f.containsKey("groups")) {
      error(m, at, "a binding needs users or groups");
    }
    return role == null ? null : new Binding(role, users, gids, everyone);
  }
}
