package dev.berth.policy.yaml;

import dev.berth.policy.Action;
import dev.berth.policy.Allowances;
import dev.berth.policy.Binding;
import dev.berth.policy.Limits;
import dev.berth.policy.Policy;
import dev.berth.policy.Profile;
import dev.berth.policy.Quota;
import dev.berth.policy.Role;
import dev.berth.policy.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads a policy file.
 *
 * <p>Works on SnakeYAML's node tree rather than on Java maps so that every value keeps its line
 * and column. All problems are collected, each as {@code file:line:column path: message}, and
 * reported together; unknown keys and unknown action names are errors (with a suggestion), and
 * nothing is defaulted except what the format documents ({@code passthrough: false},
 * {@code bind_roots: []}, both the safe choice).
 */
public final class PolicyLoader {
  private static final Set<String> TOP_KEYS = Set.of("roles", "bindings", "profiles");
  private static final Set<String> PROFILE_KEYS =
      Set.of("mounts", "devices", "device_requests", "env");
  private static final Set<String> DEVICE_REQUEST_KEYS =
      Set.of("driver", "count", "capabilities");
  private static final Pattern MOUNT = Pattern.compile("^(/[^:]*):(/[^:]*)(:ro|:rw)?$");
  private static final Pattern ENV = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*=.*$");
  private static final Set<String> ROLE_KEYS =
      Set.of("actions", "passthrough", "scope", "mode", "bind_roots", "limits", "quota",
          "profiles", "name_prefix", "allow");
  private static final Set<String> ALLOW_KEYS =
      Set.of("cap_add", "sysctls", "annotations", "log_drivers", "min_host_port");
  private static final Pattern CAPABILITY = Pattern.compile("^[A-Z][A-Z_]*$");
  private static final Set<String> LIMIT_KEYS = Set.of("memory", "cpus", "pids");
  private static final Set<String> QUOTA_KEYS = Set.of("containers", "memory", "cpus", "pids");
  private static final Set<String> BOUND_KEYS = Set.of("default", "max");
  private static final Pattern SIZE = Pattern.compile("^([0-9]+)([kmgt]?)b?$");
  private static final Pattern DECIMAL = Pattern.compile("^[0-9]+(\\.[0-9]{1,9})?$");
  private static final Set<String> BINDING_KEYS = Set.of("role", "users", "groups");
  private static final Pattern ROLE_NAME = Pattern.compile("^[a-z][a-z0-9_-]*$");
  private static final Pattern TEMPLATE = Pattern.compile("\\{([^}]*)}");

  /** Group name to gid, through NSS in production. */
  @FunctionalInterface
  public interface GroupResolver {
    Optional<Integer> gidOf(String group) throws Exception;
  }

  private final String source;
  private final GroupResolver groups;
  private final List<String> errors = new ArrayList<>();

  private PolicyLoader(String source, GroupResolver groups) {
    this.source = source;
    this.groups = groups;
  }

  /** Loads a policy file. */
  public static Policy load(Path file, GroupResolver groups) throws PolicyException, IOException {
    return load(Files.readString(file, StandardCharsets.UTF_8), file.toString(), groups);
  }

  /** Loads policy text; {@code source} names it in messages. */
  public static Policy load(String text, String source, GroupResolver groups)
      throws PolicyException {
    return new PolicyLoader(source, groups).read(text);
  }

  private Policy read(String text) throws PolicyException {
    Optional<Node> root;
    try {
      LoadSettings settings = LoadSettings.builder().setLabel(source)
          .setAllowDuplicateKeys(false).setMaxAliasesForCollections(0).build();
      root = new Compose(settings).composeString(text);
    } catch (YamlEngineException e) {
      throw new PolicyException(List.of(source + ": not valid YAML: " + e.getMessage()));
    }
    if (root.isEmpty() || !(root.get() instanceof MappingNode top)) {
      throw new PolicyException(List.of(source + ": expected a mapping with roles and bindings"));
    }
    Map<String, Node> fields = fields(top, "", TOP_KEYS);
    Map<String, Profile> profiles = profiles(fields.get("profiles"));
    Map<String, Role> roles = new LinkedHashMap<>();
    Node rolesNode = require(fields, "roles", top, "");
    if (rolesNode instanceof MappingNode rm) {
      for (NodeTuple t : rm.getValue()) {
        String name = scalar(t.getKeyNode(), "roles");
        if (name == null) {
          continue;
        }
        if (!ROLE_NAME.matcher(name).matches()) {
          error(t.getKeyNode(), "roles." + name, "role names are lower-case letters, digits, "
              + "'_' and '-'");
        }
        Role role = role(name, t.getValueNode(), profiles);
        if (role != null && roles.put(name, role) != null) {
          error(t.getKeyNode(), "roles." + name, "role defined twice");
        }
      }
    } else if (rolesNode != null) {
      error(rolesNode, "roles", "expected a mapping of role names to roles");
    }
    List<Binding> bindings = new ArrayList<>();
    Node bindingsNode = require(fields, "bindings", top, "");
    if (bindingsNode instanceof SequenceNode seq) {
      for (int i = 0; i < seq.getValue().size(); i++) {
        Binding b = binding("bindings[" + i + "]", seq.getValue().get(i), roles);
        if (b != null) {
          bindings.add(b);
        }
      }
    } else if (bindingsNode != null) {
      error(bindingsNode, "bindings", "expected a list of bindings");
    }
    if (!errors.isEmpty()) {
      throw new PolicyException(errors);
    }
    return new Policy(roles, bindings, profiles, source, sha256(text));
  }

  private Role role(String name, Node node, Map<String, Profile> profiles) {
    String at = "roles." + name;
    if (!(node instanceof MappingNode m)) {
      error(node, at, "expected a mapping with actions");
      return null;
    }
    Map<String, Node> f = fields(m, at, ROLE_KEYS);
    Set<Action> actions = EnumSet.noneOf(Action.class);
    Node actionsNode = require(f, "actions", m, at);
    if (actionsNode instanceof ScalarNode s && s.getValue().equals("all")) {
      actions = EnumSet.allOf(Action.class);
    } else if (actionsNode instanceof SequenceNode seq) {
      List<String> known = Arrays.stream(Action.values()).map(Action::id).toList();
      for (int i = 0; i < seq.getValue().size(); i++) {
        Node item = seq.getValue().get(i);
        String id = scalar(item, at + ".actions[" + i + "]");
        if (id == null) {
          continue;
        }
        Optional<Action> a = Action.byId(id);
        if (a.isEmpty()) {
          error(item, at + ".actions[" + i + "]", "unknown action \"" + id + "\""
              + suggestion(id, known));
        } else if (!actions.add(a.get())) {
          error(item, at + ".actions[" + i + "]", "action \"" + id + "\" listed twice");
        }
      }
    } else if (actionsNode != null) {
      error(actionsNode, at + ".actions", "expected a list of actions or the word all");
    }
    boolean passthrough = false;
    Node p = f.get("passthrough");
    if (p != null) {
      String v = scalar(p, at + ".passthrough");
      if ("true".equals(v) || "false".equals(v)) {
        passthrough = Boolean.parseBoolean(v);
      } else if (v != null) {
        error(p, at + ".passthrough", "expected true or false");
      }
    }
    Scope scope = passthrough ? Scope.ALL : Scope.OWN;
    Node sc = f.get("scope");
    if (sc != null) {
      String v = scalar(sc, at + ".scope");
      Optional<Scope> parsed = v == null ? Optional.empty() : Scope.byId(v);
      if (parsed.isPresent()) {
        scope = parsed.get();
      } else if (v != null) {
        error(sc, at + ".scope", "expected own, group or all");
      }
      if (passthrough && scope != Scope.ALL) {
        error(sc, at + ".scope", "a passthrough role reaches every object; drop scope or "
            + "use scope: all");
      }
    }
    boolean auditOnly = false;
    Node md = f.get("mode");
    if (md != null) {
      String v = scalar(md, at + ".mode");
      if ("audit-only".equals(v)) {
        auditOnly = true;
      } else if (v != null && !"enforce".equals(v)) {
        error(md, at + ".mode", "expected enforce or audit-only" + suggestion(v,
            List.of("enforce", "audit-only")));
      }
    }
    String namePrefix = "";
    Node np = f.get("name_prefix");
    if (np != null) {
      String v = scalar(np, at + ".name_prefix");
      if (v != null && v.replace("{user}", "alice").replace("{uid}", "1001")
          .matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")
          && !v.replace("{user}", "").replace("{uid}", "").contains("{")) {
        namePrefix = v;
      } else if (v != null) {
        error(np, at + ".name_prefix", "expected letters, digits, '_', '.', '-', {user} and "
            + "{uid}");
      }
    }
    List<String> roots = new ArrayList<>();
    Node r = f.get("bind_roots");
    if (r instanceof SequenceNode seq) {
      for (int i = 0; i < seq.getValue().size(); i++) {
        Node item = seq.getValue().get(i);
        String root = scalar(item, at + ".bind_roots[" + i + "]");
        if (root != null && validRoot(item, at + ".bind_roots[" + i + "]", root)) {
          roots.add(root);
        }
      }
    } else if (r != null) {
      error(r, at + ".bind_roots", "expected a list of directories");
    }
    Limits limits = section(f.get("limits"), at + ".limits", Limits.NONE, this::limits,
        "memory, cpus and pids");
    Set<String> granted = new java.util.LinkedHashSet<>();
    List<String> asked = strings(f.get("profiles"), at + ".profiles");
    for (int i = 0; i < asked.size(); i++) {
      if (!profiles.containsKey(asked.get(i))) {
        error(f.get("profiles"), at + ".profiles[" + i + "]", "unknown profile \""
            + asked.get(i) + "\"" + suggestion(asked.get(i), List.copyOf(profiles.keySet())));
      } else {
        granted.add(asked.get(i));
      }
    }
    Quota quota = section(f.get("quota"), at + ".quota", Quota.NONE, this::quota,
        "containers, memory, cpus and pids");
    Allowances allow = section(f.get("allow"), at + ".allow", Allowances.BASELINE,
        this::allowances, "cap_add, sysctls, annotations, log_drivers, min_host_port");
    return new Role(name, actions, passthrough, scope, roots, limits, allow, granted, quota,
        auditOnly, namePrefix);
  }

  /** An optional mapping read by {@code reader}; {@code absent} when not given or invalid. */
  private <T> T section(Node node, String at, T absent,
      java.util.function.BiFunction<MappingNode, String, T> reader, String keys) {
    if (node instanceof MappingNode m) {
      return reader.apply(m, at);
    }
    if (node != null) {
      error(node, at, "expected a mapping of " + keys);
    }
    return absent;
  }

  /** The role's allowlists; each key not given keeps the baseline. */
  private Allowances allowances(MappingNode m, String at) {
    Map<String, Node> f = fields(m, at, ALLOW_KEYS);
    Allowances base = Allowances.BASELINE;
    Set<String> caps = new LinkedHashSet<>();
    List<String> capNames = strings(f.get("cap_add"), at + ".cap_add");
    for (int i = 0; i < capNames.size(); i++) {
      String c = capNames.get(i).toUpperCase(java.util.Locale.ROOT);
      c = c.startsWith("CAP_") ? c.substring(4) : c;
      Node item = ((SequenceNode) f.get("cap_add")).getValue().get(i);
      if (!CAPABILITY.matcher(c).matches() || c.equals("ALL")) {
        error(item, at + ".cap_add[" + i + "]", "expected a capability name such as "
            + "NET_BIND_SERVICE (ALL is never allowed)");
      } else {
        caps.add(c);
      }
    }
    Set<String> logDrivers = f.containsKey("log_drivers")
        ? new LinkedHashSet<>(strings(f.get("log_drivers"), at + ".log_drivers"))
        : base.logDrivers();
    int minPort = base.minHostPort();
    Node p = f.get("min_host_port");
    if (p != null) {
      String v = scalar(p, at + ".min_host_port");
      long n = v == null ? -1 : count(v);
      if (n < 1 || n > 65535) {
        error(p, at + ".min_host_port", "expected a port number 1-65535");
      } else {
        minPort = (int) n;
      }
    }
    return new Allowances(caps,
        new LinkedHashSet<>(strings(f.get("sysctls"), at + ".sysctls")),
        new LinkedHashSet<>(strings(f.get("annotations"), at + ".annotations")),
        logDrivers, minPort);
  }

  private Limits limits(MappingNode m, String at) {
    Map<String, Node> f = fields(m, at, LIMIT_KEYS);
    long[] memory = bounds(f.get("memory"), at + ".memory", this::bytes);
    long[] cpus = bounds(f.get("cpus"), at + ".cpus", this::nanoCpus);
    long[] pids = bounds(f.get("pids"), at + ".pids", this::count);
    try {
      return new Limits(memory[0], memory[1], cpus[0], cpus[1], pids[0], pids[1]);
    } catch (IllegalArgumentException e) {
      error(m, at, e.getMessage());
      return Limits.NONE;
    }
  }

  private Quota quota(MappingNode m, String at) {
    Map<String, Node> f = fields(m, at, QUOTA_KEYS);
    return new Quota(amount(f.get("containers"), at + ".containers", this::count),
        amount(f.get("memory"), at + ".memory", this::bytes),
        amount(f.get("cpus"), at + ".cpus", this::nanoCpus),
        amount(f.get("pids"), at + ".pids", this::count));
  }

  /** One positive amount, or 0 when not given (or invalid, which is reported). */
  private long amount(Node node, String at, Parser parser) {
    String text = node == null ? null : scalar(node, at);
    if (text == null) {
      return 0;
    }
    long parsed = parser.parse(text.strip().toLowerCase(java.util.Locale.ROOT));
    if (parsed <= 0) {
      error(node, at, "expected a positive amount, got \"" + text + "\"");
      return 0;
    }
    return parsed;
  }

  /** {default, max} of one limit; zeros where not given. */
  private long[] bounds(Node node, String at, Parser parser) {
    long[] out = new long[2];
    if (node == null) {
      return out;
    }
    if (!(node instanceof MappingNode m)) {
      error(node, at, "expected a mapping with default and/or max");
      return out;
    }
    Map<String, Node> f = fields(m, at, BOUND_KEYS);
    String[] keys = {"default", "max"};
    for (int i = 0; i < 2; i++) {
      Node v = f.get(keys[i]);
      String text = v == null ? null : scalar(v, at + "." + keys[i]);
      if (text != null) {
        long parsed = parser.parse(text.strip().toLowerCase(java.util.Locale.ROOT));
        if (parsed <= 0) {
          error(v, at + "." + keys[i], "expected a positive amount, got \"" + text + "\"");
        } else {
          out[i] = parsed;
        }
      }
    }
    return out;
  }

  @FunctionalInterface
  private interface Parser {
    /** The value, or -1 when the text is not one. */
    long parse(String text);
  }

  private long bytes(String text) {
    var m = SIZE.matcher(text);
    if (!m.matches()) {
      return -1;
    }
    int shift = switch (m.group(2)) {
      case "k" -> 10;
      case "m" -> 20;
      case "g" -> 30;
      case "t" -> 40;
      default -> 0;
    };
    try {
      long v = Long.parseLong(m.group(1));
      return v > (Long.MAX_VALUE >> shift) ? -1 : v << shift;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private long nanoCpus(String text) {
    if (!DECIMAL.matcher(text).matches()) {
      return -1;
    }
    try {
      return new java.math.BigDecimal(text).movePointRight(9).longValueExact();
    } catch (ArithmeticException e) {
      return -1;
    }
  }

  private long count(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private boolean validRoot(Node node, String at, String root) {
    var m = TEMPLATE.matcher(root);
    while (m.find()) {
      if (!m.group(1).equals("home") && !m.group(1).equals("user")) {
        error(node, at, "unknown placeholder {" + m.group(1) + "} (use {home} or {user})");
        return false;
      }
    }
    String expanded = root.replace("{home}", "/home/x").replace("{user}", "x");
    if (!expanded.startsWith("/") || expanded.contains("/../") || expanded.endsWith("/..")
        || expanded.equals("/")) {
      error(node, at, "must be an absolute directory other than / (or start with {home})");
      return false;
    }
    for (String forbidden : List.of("/proc", "/sys", "/dev", "/run", "/var/run")) {
      if (expanded.equals(forbidden) || expanded.startsWith(forbidden + "/")) {
        error(node, at, forbidden + " cannot be a bind root");
        return false;
      }
    }
    return true;
  }

  private Binding binding(String at, Node node, Map<String, Role> roles) {
    if (!(node instanceof MappingNode m)) {
      error(node, at, "expected a mapping with role and users or groups");
      return null;
    }
    Map<String, Node> f = fields(m, at, BINDING_KEYS);
    Node roleNode = require(f, "role", m, at);
    String role = roleNode == null ? null : scalar(roleNode, at + ".role");
    if (role != null && !roles.containsKey(role)) {
      error(roleNode, at + ".role", "unknown role \"" + role + "\""
          + suggestion(role, List.copyOf(roles.keySet())));
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
      Node item = ((SequenceNode) groupsNode).getValue().get(i);
      try {
        Optional<Integer> gid = groups.gidOf(g);
        if (gid.isEmpty()) {
          error(item, at + ".groups[" + i + "]", "no such group \"" + g + "\" (NSS)");
        } else {
          gids.add(gid.get());
        }
      } catch (Exception e) {
        error(item, at + ".groups[" + i + "]", "cannot look up group \"" + g + "\": "
            + e.getMessage());
      }
    }
    if (!f.containsKey("users") && !f.containsKey("groups")) {
      error(m, at, "a binding needs users or groups");
    }
    return role == null ? null : new Binding(role, users, gids, everyone);
  }

  private Map<String, Profile> profiles(Node node) {
    Map<String, Profile> out = new LinkedHashMap<>();
    if (node == null) {
      return out;
    }
    if (!(node instanceof MappingNode pm)) {
      error(node, "profiles", "expected a mapping of profile names to profiles");
      return out;
    }
    for (NodeTuple t : pm.getValue()) {
      String name = scalar(t.getKeyNode(), "profiles");
      if (name == null) {
        continue;
      }
      String at = "profiles." + name;
      if (!ROLE_NAME.matcher(name).matches()) {
        error(t.getKeyNode(), at, "profile names are lower-case letters, digits, '_' and '-'");
      }
      if (!(t.getValueNode() instanceof MappingNode m)) {
        error(t.getValueNode(), at, "expected a mapping with " + PROFILE_KEYS);
        continue;
      }
      Map<String, Node> f = fields(m, at, PROFILE_KEYS);
      List<String> mounts = strings(f.get("mounts"), at + ".mounts");
      for (int i = 0; i < mounts.size(); i++) {
        if (!MOUNT.matcher(mounts.get(i)).matches() || mounts.get(i).contains("/..")) {
          error(f.get("mounts"), at + ".mounts[" + i + "]", "expected /host/path:/container/path"
              + " or /host/path:/container/path:ro");
        }
      }
      List<String> devices = strings(f.get("devices"), at + ".devices");
      for (int i = 0; i < devices.size(); i++) {
        if (!devices.get(i).startsWith("/dev/") || devices.get(i).contains("..")) {
          error(f.get("devices"), at + ".devices[" + i + "]", "expected a path under /dev/");
        }
      }
      List<String> env = strings(f.get("env"), at + ".env");
      for (int i = 0; i < env.size(); i++) {
        if (!ENV.matcher(env.get(i)).matches()) {
          error(f.get("env"), at + ".env[" + i + "]", "expected NAME=value");
        }
      }
      List<Profile.DeviceRequest> requests = new ArrayList<>();
      Node dr = f.get("device_requests");
      if (dr instanceof SequenceNode seq) {
        for (int i = 0; i < seq.getValue().size(); i++) {
          String rat = at + ".device_requests[" + i + "]";
          if (!(seq.getValue().get(i) instanceof MappingNode rm)) {
            error(seq.getValue().get(i), rat, "expected a mapping with " + DEVICE_REQUEST_KEYS);
            continue;
          }
          Map<String, Node> rf = fields(rm, rat, DEVICE_REQUEST_KEYS);
          String driver = rf.get("driver") == null ? "" : scalar(rf.get("driver"), rat + ".driver");
          String count = rf.get("count") == null ? "all" : scalar(rf.get("count"), rat + ".count");
          int n = -1;
          if (count != null && !count.equals("all")) {
            try {
              n = Integer.parseInt(count);
            } catch (NumberFormatException e) {
              n = 0;
            }
            if (n <= 0) {
              error(rf.get("count"), rat + ".count", "expected a positive number or all");
            }
          }
          requests.add(new Profile.DeviceRequest(driver == null ? "" : driver, n,
              strings(rf.get("capabilities"), rat + ".capabilities")));
        }
      } else if (dr != null) {
        error(dr, at + ".device_requests", "expected a list of device requests");
      }
      out.put(name, new Profile(name, mounts, devices, requests, env));
    }
    return out;
  }

  private List<String> strings(Node node, String at) {
    List<String> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    if (!(node instanceof SequenceNode seq)) {
      error(node, at, "expected a list");
      return out;
    }
    for (int i = 0; i < seq.getValue().size(); i++) {
      String s = scalar(seq.getValue().get(i), at + "[" + i + "]");
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  private Map<String, Node> fields(MappingNode m, String at, Set<String> allowed) {
    Map<String, Node> out = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      String key = scalar(t.getKeyNode(), at);
      if (key == null) {
        continue;
      }
      String path = at.isEmpty() ? key : at + "." + key;
      if (!allowed.contains(key)) {
        error(t.getKeyNode(), path, "unknown key \"" + key + "\""
            + suggestion(key, List.copyOf(allowed)));
      } else if (out.put(key, t.getValueNode()) != null) {
        error(t.getKeyNode(), path, "key given twice");
      }
    }
    return out;
  }

  private Node require(Map<String, Node> fields, String key, Node parent, String at) {
    Node n = fields.get(key);
    if (n == null) {
      error(parent, at.isEmpty() ? key : at + "." + key, "missing (required)");
    }
    return n;
  }

  private String scalar(Node node, String at) {
    if (node instanceof ScalarNode s) {
      return s.getValue();
    }
    error(node, at, "expected a single value");
    return null;
  }

  private void error(Node node, String at, String message) {
    Optional<Mark> mark = node.getStartMark();
    String where = mark.map(m -> source + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1))
        .orElse(source);
    errors.add(where + " " + at + ": " + message);
  }

  /** " (did you mean "x"?)" for the closest candidate within a small edit distance. */
  static String suggestion(String word, List<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(word, c);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(2, word.length() / 4)
        ? " (did you mean \"" + best + "\"?)" : "";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
