package dev.berth.policy.yaml;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.Action;
import dev.berth.policy.AddressPool;
import dev.berth.policy.Allowances;
import dev.berth.policy.Bounds;
import dev.berth.policy.ImagePolicy;
import dev.berth.policy.Ipv4Block;
import dev.berth.policy.Limits;
import dev.berth.policy.Placement;
import dev.berth.policy.Profile;
import dev.berth.policy.Quota;
import dev.berth.policy.Role;
import dev.berth.policy.Scope;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads one role of a policy file: actions, scope, mode, bind roots, limits, quota, profiles and
 * allowances.
 */
final class RoleReader extends NodeReader {
  private static final Set<String> ROLE_KEYS =
      Set.of(
          "actions",
          "passthrough",
          "scope",
          "mode",
          "bind_roots",
          "limits",
          "quota",
          "bounds",
          "profiles",
          "name_prefix",
          "allow",
          "placement",
          "cgroup_driver",
          "images");

  private static final Set<String> ALLOW_KEYS =
      Set.of(
          "cap_add",
          "sysctls",
          "annotations",
          "log_drivers",
          "min_host_port",
          "build_remote",
          "build_frontends",
          "address_pools");

  private static final Set<String> POOL_KEYS = Set.of("base", "size");

  private static final Pattern CAPABILITY = Pattern.compile("^[A-Z][A-Z_]*$");

  private static final Set<String> LIMIT_KEYS =
      Set.of("memory", "cpus", "pids", "shm", "tmpfs", "ulimits");

  /** The names Docker's {@code --ulimit} knows (go-units), as {@code RLIMIT_<NAME>}. */
  private static final Set<String> ULIMIT_NAMES =
      Set.of(
          "core",
          "cpu",
          "data",
          "fsize",
          "locks",
          "memlock",
          "msgqueue",
          "nice",
          "nofile",
          "nproc",
          "rss",
          "rtprio",
          "rttime",
          "sigpending",
          "stack");

  private static final Set<String> QUOTA_KEYS = Set.of("containers", "memory", "cpus", "pids");

  private static final Set<String> BOUND_KEYS = Set.of("default", "max");

  private static final Set<String> BOUNDS_KEYS = Set.of("connections", "requests_in_flight");

  private static final Pattern SIZE = Pattern.compile("^([0-9]+)([kmgt]?)b?$");

  private static final Pattern DECIMAL = Pattern.compile("^[0-9]+(\\.[0-9]{1,9})?$");

  private static final Pattern TEMPLATE = Pattern.compile("\\{([^}]*)}");

  RoleReader(String source, List<String> errors) {
    super(source, errors);
  }

  @Nullable Role role(String name, Node node, Map<String, Profile> profiles) {
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
          error(
              item,
              at + ".actions[" + i + "]",
              "unknown action \"" + id + "\"" + suggestion(id, known));
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
        error(
            sc,
            at + ".scope",
            "a passthrough role reaches every object; drop scope or " + "use scope: all");
      }
    }
    boolean auditOnly = false;
    Node md = f.get("mode");
    if (md != null) {
      String v = scalar(md, at + ".mode");
      if ("audit-only".equals(v)) {
        auditOnly = true;
      } else if (v != null && !"enforce".equals(v)) {
        error(
            md,
            at + ".mode",
            "expected enforce or audit-only" + suggestion(v, List.of("enforce", "audit-only")));
      }
    }
    String namePrefix = "";
    Node np = f.get("name_prefix");
    if (np != null) {
      String v = scalar(np, at + ".name_prefix");
      if (v != null
          && v.replace("{user}", "alice")
              .replace("{uid}", "1001")
              .matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")
          && !v.replace("{user}", "").replace("{uid}", "").contains("{")) {
        namePrefix = v;
      } else if (v != null) {
        error(
            np,
            at + ".name_prefix",
            "expected letters, digits, '_', '.', '-', {user} and " + "{uid}");
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
    Limits limits =
        section(
            f.get("limits"),
            at + ".limits",
            Limits.NONE,
            this::limits,
            "memory, cpus, pids, shm, tmpfs and ulimits");
    Set<String> granted = new LinkedHashSet<>();
    List<String> asked = strings(f.get("profiles"), at + ".profiles");
    for (int i = 0; i < asked.size(); i++) {
      if (!profiles.containsKey(asked.get(i))) {
        error(
            f.get("profiles"),
            at + ".profiles[" + i + "]",
            "unknown profile \""
                + asked.get(i)
                + "\""
                + suggestion(asked.get(i), List.copyOf(profiles.keySet())));
      } else {
        granted.add(asked.get(i));
      }
    }
    Quota quota =
        section(
            f.get("quota"),
            at + ".quota",
            Quota.NONE,
            this::quota,
            "containers, memory, cpus and pids");
    Bounds bounds =
        section(
            f.get("bounds"),
            at + ".bounds",
            Bounds.NONE,
            this::perUserBounds,
            "connections and requests_in_flight");
    Allowances allow =
        section(
            f.get("allow"),
            at + ".allow",
            Allowances.BASELINE,
            this::allowances,
            "cap_add, sysctls, annotations, log_drivers, min_host_port, build_remote, "
                + "build_frontends, address_pools");
    ImagePolicy images =
        new ImageRulesReader(source, errors).images(f.get("images"), at + ".images");
    if (images.restricts() && passthrough) {
      error(
          f.get("images"),
          at + ".images",
          "a passthrough role is not judged, so image rules "
              + "would not apply; drop passthrough or images");
    }
    for (Action unjudged : List.of(Action.SERVICE, Action.PLUGIN)) {
      if (images.restricts() && actions.contains(unjudged)) {
        error(
            f.get("images"),
            at + ".images",
            unjudged.id()
                + " names images (a service's "
                + "tasks, a plugin's) that image rules do not judge; drop "
                + unjudged.id()
                + " from this role");
      }
    }
    return new Role(
        name,
        actions,
        passthrough,
        scope,
        roots,
        limits,
        allow,
        granted,
        quota,
        bounds,
        auditOnly,
        namePrefix,
        placement(f, at),
        images);
  }

  /**
   * {@code placement: job | user_slice | none} and {@code cgroup_driver: cgroupfs | systemd} (the
   * daemon's; a job's cgroup is a path, so job needs cgroupfs).
   */
  private Placement placement(Map<String, Node> f, String at) {
    Placement.Mode mode = Placement.Mode.NONE;
    Node pl = f.get("placement");
    if (pl != null) {
      String v = scalar(pl, at + ".placement");
      Optional<Placement.Mode> parsed = v == null ? Optional.empty() : Placement.Mode.byId(v);
      if (parsed.isPresent()) {
        mode = parsed.get();
      } else if (v != null) {
        error(
            pl,
            at + ".placement",
            "expected job, user_slice or none"
                + suggestion(v, List.of("job", "user_slice", "none")));
      }
    }
    Placement.Driver driver = Placement.Driver.CGROUPFS;
    Node dr = f.get("cgroup_driver");
    if (dr != null) {
      String v = scalar(dr, at + ".cgroup_driver");
      Optional<Placement.Driver> parsed = v == null ? Optional.empty() : Placement.Driver.byId(v);
      if (parsed.isPresent()) {
        driver = parsed.get();
      } else if (v != null) {
        error(
            dr,
            at + ".cgroup_driver",
            "expected cgroupfs or systemd (docker info -f " + "'{{.CgroupDriver}}')");
      }
      if (mode == Placement.Mode.JOB && driver == Placement.Driver.SYSTEMD) {
        error(
            dr,
            at + ".cgroup_driver",
            "placement job needs a daemon with the cgroupfs "
                + "driver: a job's cgroup is not a systemd slice");
      }
    }
    return new Placement(mode, driver);
  }

  /** An optional mapping read by {@code reader}; {@code absent} when not given or invalid. */
  private <T> T section(
      @Nullable Node node,
      String at,
      T absent,
      BiFunction<MappingNode, String, T> reader,
      String keys) {
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
      String c = capNames.get(i).toUpperCase(Locale.ROOT);
      c = c.startsWith("CAP_") ? c.substring(4) : c;
      // strings() lists the items of a sequence only
      Node item = ((SequenceNode) requireNonNull(f.get("cap_add"))).getValue().get(i);
      if (!CAPABILITY.matcher(c).matches() || c.equals("ALL")) {
        error(
            item,
            at + ".cap_add[" + i + "]",
            "expected a capability name such as " + "NET_BIND_SERVICE (ALL is never allowed)");
      } else {
        caps.add(c);
      }
    }
    Set<String> logDrivers =
        f.containsKey("log_drivers")
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
    return new Allowances(
        caps,
        new LinkedHashSet<>(strings(f.get("sysctls"), at + ".sysctls")),
        new LinkedHashSet<>(strings(f.get("annotations"), at + ".annotations")),
        logDrivers,
        minPort,
        new LinkedHashSet<>(strings(f.get("build_remote"), at + ".build_remote")),
        frontends(f.get("build_frontends"), at + ".build_frontends"),
        f.containsKey("address_pools")
            ? Optional.of(addressPools(f.get("address_pools"), at + ".address_pools"))
            : base.addressPools());
  }

  /** BuildKit frontend images, each pinned by digest. */
  private Set<String> frontends(@Nullable Node node, String at) {
    Set<String> pinned = new LinkedHashSet<>();
    List<String> refs = strings(node, at);
    for (int i = 0; i < refs.size(); i++) {
      if (Allowances.PINNED.matcher(refs.get(i)).matches()) {
        pinned.add(refs.get(i));
      } else if (node instanceof SequenceNode seq) {
        error(
            seq.getValue().get(i),
            at + "[" + i + "]",
            "expected an image "
                + "pinned by digest, such as docker/dockerfile:1.7@sha256:<64 hex digits>");
      }
    }
    return pinned;
  }

  /**
   * {@code address_pools}: a list of {@code {base: 10.20.0.0/16, size: 24}}, as dockerd's {@code
   * default-address-pools}.
   */
  private List<AddressPool> addressPools(Node node, String at) {
    List<AddressPool> out = new ArrayList<>();
    if (!(node instanceof SequenceNode seq)) {
      error(node, at, "expected a list of {base: A.B.C.D/N, size: N}");
      return out;
    }
    for (int i = 0; i < seq.getValue().size(); i++) {
      Node item = seq.getValue().get(i);
      String here = at + "[" + i + "]";
      if (!(item instanceof MappingNode m)) {
        error(item, here, "expected {base: A.B.C.D/N, size: N}");
        continue;
      }
      Map<String, Node> f = fields(m, here, POOL_KEYS);
      Node baseNode = require(f, "base", item, here);
      Node sizeNode = require(f, "size", item, here);
      String base = baseNode == null ? null : scalar(baseNode, here + ".base");
      String size = sizeNode == null ? null : scalar(sizeNode, here + ".size");
      if (base == null || size == null) {
        continue;
      }
      try {
        out.add(new AddressPool(Ipv4Block.parse(base), Integer.parseInt(size)));
      } catch (NumberFormatException e) {
        error(sizeNode, here + ".size", "expected a prefix length");
      } catch (IllegalArgumentException e) {
        error(item, here, String.valueOf(e.getMessage()));
      }
    }
    return out;
  }

  private Limits limits(MappingNode m, String at) {
    Map<String, Node> f = fields(m, at, LIMIT_KEYS);
    long[] memory = bounds(f.get("memory"), at + ".memory", this::bytes);
    long[] cpus = bounds(f.get("cpus"), at + ".cpus", this::nanoCpus);
    long[] pids = bounds(f.get("pids"), at + ".pids", this::count);
    long[] shm = bounds(f.get("shm"), at + ".shm", this::bytes);
    long[] tmpfs = bounds(f.get("tmpfs"), at + ".tmpfs", this::bytes);
    Map<String, Long> ulimits = ulimits(f.get("ulimits"), at + ".ulimits");
    try {
      return new Limits(
          memory[0], memory[1], cpus[0], cpus[1], pids[0], pids[1], shm[0], shm[1], tmpfs[0],
          tmpfs[1], ulimits);
    } catch (IllegalArgumentException e) {
      error(m, at, String.valueOf(e.getMessage()));
      return Limits.NONE;
    }
  }

  /**
   * {@code ulimits: {nofile: 1048576, core: 0, stack: 8m, rtprio: unlimited}}: the ulimits a
   * container may set, each with the most its soft and hard values may be.
   */
  private Map<String, Long> ulimits(@Nullable Node node, String at) {
    Map<String, Long> out = new LinkedHashMap<>();
    if (node == null) {
      return out;
    }
    if (!(node instanceof MappingNode m)) {
      error(node, at, "expected a mapping of ulimit names to maxima");
      return out;
    }
    Map<String, Node> f = fields(m, at, ULIMIT_NAMES);
    f.forEach(
        (name, v) -> {
          String text = scalar(v, at + "." + name);
          if (text == null) {
            return;
          }
          String t = text.strip().toLowerCase(Locale.ROOT);
          long max = t.equals("unlimited") ? Limits.UNLIMITED : bytes(t);
          if (max < -1 || max == -1 && !t.equals("unlimited")) {
            error(
                v,
                at + "." + name,
                "expected a number (k/m/g/t suffixes allowed) or unlimited, "
                    + "got \""
                    + text
                    + "\"");
          } else {
            out.put(name, max);
          }
        });
    return out;
  }

  private Quota quota(MappingNode m, String at) {
    Map<String, Node> f = fields(m, at, QUOTA_KEYS);
    return new Quota(
        amount(f.get("containers"), at + ".containers", this::count),
        amount(f.get("memory"), at + ".memory", this::bytes),
        amount(f.get("cpus"), at + ".cpus", this::nanoCpus),
        amount(f.get("pids"), at + ".pids", this::count));
  }

  /** {@code bounds: {connections: 256, requests_in_flight: 128}}: per user, across connections. */
  private Bounds perUserBounds(MappingNode m, String at) {
    Map<String, Node> f = fields(m, at, BOUNDS_KEYS);
    long connections = amount(f.get("connections"), at + ".connections", this::count);
    long requests = amount(f.get("requests_in_flight"), at + ".requests_in_flight", this::count);
    if (connections > Integer.MAX_VALUE || requests > Integer.MAX_VALUE) {
      error(m, at, "expected at most " + Integer.MAX_VALUE);
      return Bounds.NONE;
    }
    return new Bounds((int) connections, (int) requests);
  }

  /** One positive amount, or 0 when not given (or invalid, which is reported). */
  private long amount(@Nullable Node node, String at, Parser parser) {
    String text = node == null ? null : scalar(node, at);
    if (text == null) {
      return 0;
    }
    long parsed = parser.parse(text.strip().toLowerCase(Locale.ROOT));
    if (parsed <= 0) {
      error(node, at, "expected a positive amount, got \"" + text + "\"");
      return 0;
    }
    return parsed;
  }

  /** {default, max} of one limit; zeros where not given. */
  private long[] bounds(@Nullable Node node, String at, Parser parser) {
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
        long parsed = parser.parse(text.strip().toLowerCase(Locale.ROOT));
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
    int shift =
        switch (m.group(2)) {
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
      return new BigDecimal(text).movePointRight(9).longValueExact();
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
    if (!expanded.startsWith("/")
        || expanded.contains("/../")
        || expanded.endsWith("/..")
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
}
