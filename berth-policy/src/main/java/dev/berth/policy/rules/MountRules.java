package dev.berth.policy.rules;

import static dev.berth.policy.rules.BodyFields.*;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.HostPaths;
import dev.berth.policy.Principal;
import dev.berth.policy.Role;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Mounts a new container asks for: {@code -v} binds, {@code --mount}, {@code --tmpfs}. Host sources
 * must resolve (on the host, once) under one of the caller's roots, and the resolved path is what
 * is forwarded; targets must not cover {@code /proc}, {@code /sys}, {@code /dev} or {@code /}, and
 * targets neither repeat nor nest.
 */
final class MountRules {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static final Pattern VOLUME_NAME = Pattern.compile("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");

  private static final List<String> FORBIDDEN_TARGETS = List.of("/proc", "/sys", "/dev");

  private static final Set<String> BIND_OPTIONS =
      Set.of("ro", "rw", "nocopy", "private", "rprivate", "consistent", "cached", "delegated");

  private final HostPaths hostPaths;

  MountRules(HostPaths hostPaths) {
    this.hostPaths = requireNonNull(hostPaths, "hostPaths");
  }

  void checkBinds(ObjectNode hc, Principal who, Role role, Rewrites rw) throws Refusal {
    if (!hc.hasNonNull("Binds")) {
      return;
    }
    ArrayNode out = NODES.arrayNode();
    for (String bind : strings(hc, "Binds")) {
      String[] parts = bind.split(":", -1);
      if (parts.length < 1 || parts.length > 3) {
        throw new Refusal("-v " + bind + ": expected source:target[:options]");
      }
      if (parts.length == 1) {
        checkTarget(parts[0], "-v " + bind);
        out.add(bind);
        continue;
      }
      String source = parts[0];
      String target = parts[1];
      checkTarget(target, "-v " + bind);
      if (parts.length == 3) {
        for (String opt : parts[2].split(",", -1)) {
          if (!BIND_OPTIONS.contains(opt)) {
            throw new Refusal(
                "-v "
                    + bind
                    + ": option '"
                    + opt
                    + "' is not allowed (allowed: "
                    + BIND_OPTIONS
                    + ")");
          }
        }
      }
      if (source.startsWith("/")) {
        String real = checkHostSource(source, who, role, "-v " + bind);
        if (!real.equals(source)) {
          rw.note("bind source " + source + " resolved to " + real);
        }
        source = real;
      } else if (!VOLUME_NAME.matcher(source).matches()) {
        throw new Refusal(
            "-v "
                + bind
                + ": '"
                + source
                + "' is neither an absolute host path "
                + "nor a volume name");
      }
      out.add(source + ":" + target + (parts.length == 3 ? ":" + parts[2] : ""));
    }
    hc.set("Binds", out);
  }

  void checkMounts(ObjectNode hc, Principal who, Role role, Rewrites rw) throws Refusal {
    JsonNode mounts = hc.get("Mounts");
    if (mounts == null || mounts.isNull()) {
      return;
    }
    for (JsonNode node : mounts) {
      ObjectNode m = (ObjectNode) node;
      String type = m.path("Type").asText("");
      String what = "--mount type=" + type + ",target=" + m.path("Target").asText("");
      checkTarget(m.path("Target").asText(""), what);
      switch (type) {
        case "bind" -> {
          JsonNode opts = m.path("BindOptions");
          String propagation = opts.path("Propagation").asText("");
          if (!propagation.isEmpty()
              && !propagation.equals("private")
              && !propagation.equals("rprivate")) {
            throw new Refusal(what + ": bind propagation '" + propagation + "' is not allowed");
          }
          if (opts.path("CreateMountpoint").asBoolean(false)) {
            throw new Refusal(what + ": creating host mount points is not allowed");
          }
          String source = m.path("Source").asText("");
          String real = checkHostSource(source, who, role, what);
          if (!real.equals(source)) {
            rw.note("mount source " + source + " resolved to " + real);
          }
          m.put("Source", real);
        }
        case "volume" -> {
          String source = m.path("Source").asText("");
          if (!source.isEmpty() && !VOLUME_NAME.matcher(source).matches()) {
            throw new Refusal(what + ": '" + source + "' is not a volume name");
          }
          if (m.path("VolumeOptions").hasNonNull("DriverConfig")) {
            throw new Refusal(what + ": volume driver options are not allowed");
          }
        }
        case "tmpfs" -> {}
        default -> throw new Refusal(what + ": mount type '" + type + "' is not allowed");
      }
    }
  }

  static void checkTmpfs(ObjectNode hc) throws Refusal {
    for (Iterator<String> it = hc.path("Tmpfs").fieldNames(); it.hasNext(); ) {
      String target = it.next();
      checkTarget(target, "--tmpfs " + target);
    }
  }

  /** Resolves a host bind source and checks that it lies under one of the caller's roots. */
  private String checkHostSource(String source, Principal who, Role role, String what)
      throws Refusal {
    if (!source.startsWith("/")) {
      throw new Refusal(what + ": the source must be an absolute host path");
    }
    HostPaths.Resolved resolved;
    try {
      resolved = hostPaths.resolve(Path.of(source));
    } catch (IOException | RuntimeException e) {
      throw new Refusal(
          what
              + ": host path "
              + source
              + " does not exist or cannot be "
              + "resolved; create it first");
    }
    Path real = resolved.realPath();
    if (resolved.kind() == HostPaths.Kind.OTHER) {
      throw new Refusal(
          what
              + ": "
              + real
              + " is a socket, device or pipe; only files and "
              + "directories may be mounted");
    }
    for (String template : role.bindRoots()) {
      Path root;
      try {
        root =
            hostPaths
                .resolve(
                    Path.of(template.replace("{home}", who.home()).replace("{user}", who.name())))
                .realPath();
      } catch (IOException | RuntimeException e) {
        continue;
      }
      if (root.getNameCount() > 0 && real.startsWith(root)) {
        return real.toString();
      }
    }
    throw new Refusal(
        what
            + ": host path "
            + source
            + " is outside the directories you may "
            + "mount ("
            + (role.bindRoots().isEmpty()
                ? "none"
                : String.join(", ", role.bindRoots())
                    .replace("{home}", who.home())
                    .replace("{user}", who.name()))
            + ")");
  }

  static void checkTarget(String target, String what) throws Refusal {
    if (!target.startsWith("/")) {
      throw new Refusal(what + ": the mount target must be an absolute path");
    }
    Path t = Path.of(target).normalize();
    if (t.getNameCount() == 0) {
      throw new Refusal(what + ": mounting over / is not allowed");
    }
    for (String forbidden : FORBIDDEN_TARGETS) {
      if (t.startsWith(forbidden)) {
        throw new Refusal(what + ": mounting over " + forbidden + " is not allowed");
      }
    }
  }

  /**
   * One mount per target, and no target inside another (HC-07): runc's mount-target races
   * (CVE-2021-30465) mounted over a path inside another mount the attacker controlled, and several
   * mounts on one path. Targets come from {@code HostConfig.Binds}, {@code Mounts}, {@code Tmpfs}
   * and {@code Config.Volumes} (anonymous {@code -v /data}), compared after canonicalising them as
   * the runtime does (Go's {@code path.Clean}, which for absolute paths is what {@link
   * Path#normalize()} does on Unix). An anonymous volume on the very target of an explicit mount is
   * not a second mount: the daemon lets the explicit mount replace it.
   */
  static void checkTargets(JsonNode body, JsonNode hc) throws Refusal {
    Map<Path, String> explicit = new LinkedHashMap<>();
    List<String> asked = new ArrayList<>();
    for (String bind : strings(hc, "Binds")) {
      String[] parts = bind.split(":", -1);
      asked.add(parts.length == 1 ? parts[0] : parts[1]);
    }
    hc.path("Mounts").forEach(m -> asked.add(m.path("Target").asText("")));
    hc.path("Tmpfs").fieldNames().forEachRemaining(asked::add);
    for (String t : asked) {
      String before = explicit.putIfAbsent(canonical(t), t);
      if (before != null) {
        throw new Refusal(
            "mount targets " + before + " and " + t + " are the same path; " + "mount it once");
      }
    }
    Map<Path, String> all = new LinkedHashMap<>(explicit);
    Map<Path, String> anonymous = new LinkedHashMap<>();
    for (Iterator<String> it = body.path("Volumes").fieldNames(); it.hasNext(); ) {
      String t = it.next();
      String before = anonymous.putIfAbsent(canonical(t), t);
      if (before != null) {
        throw new Refusal(
            "mount targets " + before + " and " + t + " are the same path; " + "mount it once");
      }
      all.putIfAbsent(canonical(t), t);
    }
    List<Path> sorted = new ArrayList<>(all.keySet());
    sorted.sort(null);
    for (int i = 0; i < sorted.size(); i++) {
      for (int j = i + 1; j < sorted.size(); j++) {
        Path outer = sorted.get(i);
        Path inner = sorted.get(j);
        if (inner.startsWith(outer)) {
          throw new Refusal(
              "mount targets "
                  + all.get(outer)
                  + " and "
                  + all.get(inner)
                  + " nest (one is inside the other, the shape of the runc mount race"
                  + " CVE-2021-30465); mount the inner one at a path outside "
                  + all.get(outer)
                  + " instead (for example "
                  + outside(inner)
                  + ") and point the tool at it"
                  + " (for node_modules: NODE_PATH), or mount only "
                  + all.get(outer));
        }
      }
    }
  }

  /** A path for {@code inner} outside every other mount: its last name at the root. */
  private static String outside(Path inner) {
    return "/" + inner.getFileName();
  }

  static Path canonical(String target) {
    return Path.of(target).normalize();
  }
}
