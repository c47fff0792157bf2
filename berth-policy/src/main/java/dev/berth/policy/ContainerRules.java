package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.docker.RouteMatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules for an ordinary user's requests: containers run as the caller, with no way to reach
 * the host's root.
 *
 * <p>Design note. Every body arrives canonical (see {@code DockerJson}): known fields only, under
 * Docker's names. The rules then either refuse with a message that names the field and what to do
 * instead, or rewrite: {@code User} becomes the caller's numeric {@code uid:gid},
 * {@code SecurityOpt} exactly {@code no-new-privileges}, {@code CapDrop} {@code ALL}, and the owner
 * label is stamped. Host paths are resolved once on the host and the resolved path is forwarded.
 *
 * <p>Check-then-mount race: between berth resolving a bind source and dockerd mounting it, the
 * user can swap a directory they own for a symlink. berth forwards the real path, so only
 * components the user controls inside an allowed root can be swapped; dockerd resolves symlinks
 * again at mount time. Closing the window fully needs the daemon to mount by file descriptor,
 * which Docker cannot; the allowed roots should therefore hold nothing the user could point at
 * that is more sensitive than the root itself (a home directory qualifies).
 */
final class ContainerRules {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Pattern VOLUME_NAME = Pattern.compile("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  private static final List<String> FORBIDDEN_TARGETS = List.of("/proc", "/sys", "/dev");
  private static final Set<String> BIND_OPTIONS =
      Set.of("ro", "rw", "nocopy", "private", "rprivate", "consistent", "cached", "delegated");
  private static final Set<String> LOG_OPTIONS = Set.of("max-size", "max-file", "compress");

  private final HostPaths hostPaths;
  private final Map<String, Profile> profiles;

  ContainerRules(Map<String, Profile> profiles, HostPaths hostPaths) {
    this.profiles = Map.copyOf(profiles);
    this.hostPaths = requireNonNull(hostPaths, "hostPaths");
  }

  Decision evaluate(Principal who, Grant grant, CanonicalRequest request, RouteMatch route) {
    Role role = grant.role();
    return switch (route.route().action()) {
      case CONTAINER_CREATE -> containerCreate(who, grant, request);
      case EXEC_CREATE -> execCreate(who, request);
      case CONTAINER_UPDATE -> containerUpdate(role, request);
      case CONTAINER_ARCHIVE_PUT -> archivePut(who, request);
      case IMAGE_CREATE -> imageCreate(request);
      case VOLUME_CREATE -> volumeCreate(grant.ownerFor(who), request);
      case NETWORK_CREATE -> networkCreate(grant.ownerFor(who), request);
      default -> new Decision.Allow("user_action", request, List.of());
    };
  }

  // ---- POST /containers/create -------------------------------------------------------------

  private Decision containerCreate(Principal who, Grant grant, CanonicalRequest request) {
    Role role = grant.role();
    ObjectNode body = ((Body.Json) request.body()).value().deepCopy();
    Rewrites rw = new Rewrites();
    try {
      forceUser(body, who, rw);
      List<Profile> asked = askedProfiles(body, role);
      ObjectNode hc = object(body, "HostConfig");
      checkHostConfig(hc, who, role, rw);
      checkAnonymousVolumes(body);
      applyProfiles(body, hc, asked, rw);
      checkNetworking(body);
      stampOwner(body, grant.ownerFor(who), rw);
    } catch (Refusal r) {
      return Decision.forbidden("container_create", "berth: " + r.getMessage());
    }
    return new Decision.Allow("container_create", request.withBody(new Body.Json(body)), rw.notes);
  }

  /**
   * {@code -v /data} arrives as {@code Config.Volumes}; its targets are judged as every other
   * mount target is. (Found by fuzzing: a relative target was let through here, and then refused
   * when berth's own forwarded body, where it had become a labelled mount, was judged again.)
   */
  private static void checkAnonymousVolumes(ObjectNode body) throws Refusal {
    for (Iterator<String> it = body.path("Volumes").fieldNames(); it.hasNext(); ) {
      String target = it.next();
      checkTarget(target, "-v " + target);
    }
  }

  private void checkHostConfig(ObjectNode hc, Principal who, Role role, Rewrites rw)
      throws Refusal {
    if (isTrue(hc, "Privileged")) {
      throw new Refusal("HostConfig.Privileged: privileged containers are not allowed; "
          + "drop --privileged");
    }
    requireOneOf(hc, "PidMode", Set.of(""), "--pid: only the container's own PID namespace "
        + "is allowed; drop --pid");
    requireOneOf(hc, "IpcMode", Set.of("", "private", "shareable", "none"),
        "--ipc: only a private IPC namespace is allowed; drop --ipc");
    requireOneOf(hc, "UTSMode", Set.of(""), "--uts: the host UTS namespace is not allowed; "
        + "drop --uts");
    requireOneOf(hc, "UsernsMode", Set.of(""), "--userns: leaving the daemon's user namespace "
        + "setting is not allowed; drop --userns");
    requireOneOf(hc, "CgroupnsMode", Set.of("", "private"), "--cgroupns: only a private cgroup "
        + "namespace is allowed; drop --cgroupns");
    requireOneOf(hc, "Cgroup", Set.of(""), "HostConfig.Cgroup: joining another cgroup is not "
        + "allowed");
    String net = text(hc, "NetworkMode");
    if (net.equals("host") || net.startsWith("container:") || net.startsWith("ns:")) {
      throw new Refusal("--network " + net + ": the host's or another container's network "
          + "namespace is not allowed; use the default network or one of your networks");
    }
    requireEmpty(hc, "Devices", "--device: host devices are not allowed");
    requireEmpty(hc, "DeviceRequests", "--gpus/--device: device requests are not allowed");
    requireEmpty(hc, "DeviceCgroupRules", "--device-cgroup-rule is not allowed");
    checkCapAdd(hc, role.allow());
    checkKeys(hc, "Sysctls", role.allow().sysctls(), "--sysctl");
    requireEmpty(hc, "StorageOpt", "--storage-opt is not allowed");
    requireEmpty(hc, "VolumesFrom", "--volumes-from is not allowed");
    requireEmpty(hc, "Links", "--link is not allowed; use a network of your own");
    checkKeys(hc, "Annotations", role.allow().annotations(), "--annotation");
    requireEmpty(hc, "CgroupParent", "--cgroup-parent is not allowed");
    requireEmpty(hc, "VolumeDriver", "--volume-driver is not allowed");
    if (hc.hasNonNull("MaskedPaths") || hc.hasNonNull("ReadonlyPaths")) {
      throw new Refusal("HostConfig.MaskedPaths/ReadonlyPaths: unmasking kernel paths is not "
          + "allowed");
    }
    if (isTrue(hc, "OomKillDisable")) {
      throw new Refusal("--oom-kill-disable is not allowed");
    }
    if (hc.path("OomScoreAdj").asLong(0) < 0) {
      throw new Refusal("--oom-score-adj below 0 is not allowed");
    }
    requireOneOf(hc, "Runtime", Set.of("", "runc"), "--runtime: only runc is allowed");
    requireOneOf(hc, "Isolation", Set.of("", "default"), "--isolation is not allowed");
    // Explicit private namespaces: older API versions default to the host's cgroup namespace
    // (API < 1.41 on cgroup v1) and to shareable IPC (API < 1.40). Corpus LEGACY-03.
    if (text(hc, "CgroupnsMode").isEmpty()) {
      hc.put("CgroupnsMode", "private");
    }
    if (text(hc, "IpcMode").isEmpty()) {
      hc.put("IpcMode", "private");
    }
    applyLimits(hc, role.limits(), rw);
    checkSecurityOpt(hc, rw);
    forceCapDrop(hc, rw);
    checkGroupAdd(hc, who);
    checkLogConfig(hc, role.allow());
    checkPorts(hc, role.allow());
    checkBinds(hc, who, role, rw);
    checkMounts(hc, who, role, rw);
    checkTmpfs(hc);
    checkDistinctTargets(hc);
  }

  /**
   * One mount per target (HC-07): runc's mount-target races (CVE-2021-30465) used several mounts
   * on one path. Nested targets stay allowed: {@code -v $HOME:$HOME -v data:$HOME/data} is common.
   */
  private static void checkDistinctTargets(JsonNode hc) throws Refusal {
    Set<Path> seen = new java.util.HashSet<>();
    List<String> targets = new ArrayList<>();
    for (String bind : strings(hc, "Binds")) {
      String[] parts = bind.split(":", -1);
      targets.add(parts.length == 1 ? parts[0] : parts[1]);
    }
    hc.path("Mounts").forEach(m -> targets.add(m.path("Target").asText("")));
    hc.path("Tmpfs").fieldNames().forEachRemaining(targets::add);
    for (String t : targets) {
      if (!seen.add(Path.of(t).normalize())) {
        throw new Refusal("mount target " + t + " is used more than once");
      }
    }
  }

  /**
   * Memory, CPUs and PIDs within the role's maxima, defaults where the caller asked for nothing
   * (HC-27). "Unlimited" (-1 PIDs, 0 memory) counts as asking for nothing when there is a default,
   * and as too much when there is only a maximum.
   */
  private static void applyLimits(ObjectNode hc, Limits limits, Rewrites rw) throws Refusal {
    long memory = hc.path("Memory").asLong(0);
    if (limits.memoryMax() > 0 && memory > limits.memoryMax()) {
      throw new Refusal("--memory " + memory + " exceeds your role's maximum of "
          + limits.memoryMax() + " bytes");
    }
    if (memory <= 0 && limits.memoryDefault() > 0) {
      hc.put("Memory", limits.memoryDefault());
      rw.note("HostConfig.Memory set to the default " + limits.memoryDefault());
    } else if (memory <= 0 && limits.memoryMax() > 0) {
      hc.put("Memory", limits.memoryMax());
      rw.note("HostConfig.Memory set to the maximum " + limits.memoryMax());
    }
    long cpus = effectiveNanoCpus(hc);
    if (limits.nanoCpusMax() > 0 && cpus > limits.nanoCpusMax()) {
      throw new Refusal("--cpus " + cpus / 1e9 + " exceeds your role's maximum of "
          + limits.nanoCpusMax() / 1e9);
    }
    long cpuDefault = limits.nanoCpusDefault() > 0 ? limits.nanoCpusDefault()
        : limits.nanoCpusMax();
    if (cpus <= 0 && cpuDefault > 0) {
      hc.put("NanoCpus", cpuDefault);
      rw.note("HostConfig.NanoCpus set to " + cpuDefault);
    }
    long pids = hc.path("PidsLimit").asLong(0);
    if (limits.pidsMax() > 0 && (pids > limits.pidsMax() || pids < 0 && limits.pidsDefault() == 0)) {
      throw new Refusal("--pids-limit " + pids + " exceeds your role's maximum of "
          + limits.pidsMax());
    }
    long pidsDefault = limits.pidsDefault() > 0 ? limits.pidsDefault() : limits.pidsMax();
    if (pids <= 0 && pidsDefault > 0) {
      hc.put("PidsLimit", pidsDefault);
      rw.note("HostConfig.PidsLimit set to " + pidsDefault);
    }
  }

  /** CPUs asked for, as NanoCpus; a CFS quota counts as quota / period CPUs. */
  private static long effectiveNanoCpus(JsonNode hc) {
    long nano = hc.path("NanoCpus").asLong(0);
    long quota = hc.path("CpuQuota").asLong(0);
    if (quota > 0) {
      long period = hc.path("CpuPeriod").asLong(0);
      long fromQuota = quota * 1_000_000_000L / (period > 0 ? period : 100_000L);
      return Math.max(nano, fromQuota);
    }
    return nano;
  }

  private static void checkSecurityOpt(ObjectNode hc, Rewrites rw) throws Refusal {
    for (String opt : strings(hc, "SecurityOpt")) {
      String o = opt.strip().toLowerCase(Locale.ROOT);
      if (!(o.equals("no-new-privileges") || o.equals("no-new-privileges=true")
          || o.equals("no-new-privileges:true"))) {
        throw new Refusal("--security-opt " + opt + ": only no-new-privileges is allowed");
      }
    }
    ArrayNode forced = NODES.arrayNode().add("no-new-privileges");
    if (!forced.equals(hc.get("SecurityOpt"))) {
      rw.note("HostConfig.SecurityOpt set to [no-new-privileges]");
    }
    hc.set("SecurityOpt", forced);
  }

  private static void forceCapDrop(ObjectNode hc, Rewrites rw) {
    ArrayNode forced = NODES.arrayNode().add("ALL");
    if (!forced.equals(hc.get("CapDrop"))) {
      rw.note("HostConfig.CapDrop set to [ALL]");
    }
    hc.set("CapDrop", forced);
  }

  private static void checkGroupAdd(ObjectNode hc, Principal who) throws Refusal {
    for (String g : strings(hc, "GroupAdd")) {
      int gid;
      try {
        gid = Integer.parseInt(g);
      } catch (NumberFormatException e) {
        throw new Refusal("--group-add " + g + ": give a numeric gid (names resolve inside the "
            + "image)");
      }
      if (!g.equals(Integer.toString(gid)) || !who.groups().contains(gid)) {
        throw new Refusal("--group-add " + g + ": you may add only your own groups "
            + who.groups());
      }
    }
  }

  /**
   * Capabilities added back after {@code CapDrop: ALL}, from the role's allowlist only (HC-09).
   * Names are compared in ASCII upper case without the {@code CAP_} prefix, the way moby
   * normalises them; non-ASCII letters that Go's upper-casing would turn into ASCII
   * ({@code ſ}, {@code ı}) are refused outright. Forwarded as {@code CAP_NAME}.
   */
  private static void checkCapAdd(ObjectNode hc, Allowances allow) throws Refusal {
    List<String> asked = strings(hc, "CapAdd");
    if (asked.isEmpty()) {
      return;
    }
    ArrayNode out = NODES.arrayNode();
    for (String cap : asked) {
      if (!cap.chars().allMatch(c -> c < 0x80)) {
        throw new Refusal("--cap-add " + cap + ": capability names are ASCII");
      }
      String name = cap.strip().toUpperCase(Locale.ROOT);
      if (name.startsWith("CAP_")) {
        name = name.substring(4);
      }
      if (!allow.capAdd().contains(name)) {
        throw new Refusal("--cap-add " + cap + ": adding this capability is not allowed"
            + (allow.capAdd().isEmpty() ? "" : " (allowed: " + new java.util.TreeSet<>(
                allow.capAdd()) + ")"));
      }
      out.add("CAP_" + name);
    }
    hc.set("CapAdd", out);
  }

  /** Keys of a map field (Sysctls, Annotations) from the role's allowlist only. */
  private static void checkKeys(ObjectNode hc, String field, Set<String> allowed, String flag)
      throws Refusal {
    for (Iterator<String> it = hc.path(field).fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        throw new Refusal(flag + " " + key + ": not allowed" + (allowed.isEmpty() ? ""
            : " (allowed: " + new java.util.TreeSet<>(allowed) + ")"));
      }
    }
  }

  private static void checkLogConfig(ObjectNode hc, Allowances allow) throws Refusal {
    JsonNode log = hc.get("LogConfig");
    if (log == null || log.isNull()) {
      return;
    }
    String type = log.path("Type").asText("");
    if (!type.isEmpty() && !allow.logDrivers().contains(type)) {
      throw new Refusal("--log-driver " + type + ": only " + new java.util.TreeSet<>(
          allow.logDrivers()) + " are allowed");
    }
    for (Iterator<String> it = log.path("Config").fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!LOG_OPTIONS.contains(k)) {
        throw new Refusal("--log-opt " + k + ": only " + LOG_OPTIONS + " are allowed");
      }
    }
  }

  private static void checkPorts(ObjectNode hc, Allowances allow) throws Refusal {
    for (Iterator<Map.Entry<String, JsonNode>> it = hc.path("PortBindings").fields();
        it.hasNext(); ) {
      for (JsonNode binding : it.next().getValue()) {
        String hostPort = binding.path("HostPort").asText("");
        if (hostPort.isEmpty()) {
          continue;
        }
        String low = hostPort.contains("-") ? hostPort.substring(0, hostPort.indexOf('-'))
            : hostPort;
        try {
          if (Integer.parseInt(low) < allow.minHostPort()) {
            throw new Refusal("--publish " + hostPort + ": host ports below "
                + allow.minHostPort() + " are not allowed");
          }
        } catch (NumberFormatException e) {
          throw new Refusal("--publish " + hostPort + ": not a port number");
        }
      }
    }
  }

  // ---- profiles ----------------------------------------------------------------------------

  /** The profiles the create asks for (label {@code dev.berth.profile=a,b}); each granted. */
  private List<Profile> askedProfiles(ObjectNode body, Role role) throws Refusal {
    String value = body.path("Labels").path(Profile.LABEL).asText("");
    List<Profile> out = new ArrayList<>();
    if (value.isEmpty()) {
      return out;
    }
    for (String name : value.split(",", -1)) {
      if (!role.profiles().contains(name.strip())) {
        throw new Refusal("profile \"" + name.strip() + "\" is not granted to your role ("
            + role.name() + "; granted: " + new java.util.TreeSet<>(role.profiles()) + ")");
      }
      out.add(profiles.get(name.strip()));
    }
    return out;
  }

  /**
   * Adds what the administrator vetted, after the caller's own request was checked: the mounts
   * and devices of a profile are allowed because the policy names them, not because the caller
   * asked. Targets must still be distinct.
   */
  private static void applyProfiles(ObjectNode body, ObjectNode hc, List<Profile> asked,
      Rewrites rw) throws Refusal {
    for (Profile p : asked) {
      ArrayNode binds = hc.get("Binds") instanceof ArrayNode a ? a : hc.putArray("Binds");
      p.mounts().forEach(binds::add);
      ArrayNode devices = hc.get("Devices") instanceof ArrayNode a ? a : hc.putArray("Devices");
      for (String d : p.devices()) {
        devices.addObject().put("PathOnHost", d).put("PathInContainer", d)
            .put("CgroupPermissions", "rwm");
      }
      ArrayNode requests = hc.get("DeviceRequests") instanceof ArrayNode a ? a
          : hc.putArray("DeviceRequests");
      for (Profile.DeviceRequest r : p.deviceRequests()) {
        ObjectNode req = requests.addObject().put("Driver", r.driver()).put("Count", r.count());
        ArrayNode caps = req.putArray("Capabilities").addArray();
        r.capabilities().forEach(caps::add);
      }
      ArrayNode env = body.get("Env") instanceof ArrayNode a ? a : body.putArray("Env");
      p.env().forEach(env::add);
      rw.note("profile " + p.name() + " applied");
    }
    if (!asked.isEmpty()) {
      checkDistinctTargets(hc);
    }
  }

  // ---- mounts ------------------------------------------------------------------------------

  private void checkBinds(ObjectNode hc, Principal who, Role role, Rewrites rw) throws Refusal {
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
            throw new Refusal("-v " + bind + ": option '" + opt + "' is not allowed (allowed: "
                + BIND_OPTIONS + ")");
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
        throw new Refusal("-v " + bind + ": '" + source + "' is neither an absolute host path "
            + "nor a volume name");
      }
      out.add(source + ":" + target + (parts.length == 3 ? ":" + parts[2] : ""));
    }
    hc.set("Binds", out);
  }

  private void checkMounts(ObjectNode hc, Principal who, Role role, Rewrites rw)
      throws Refusal {
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
          if (!propagation.isEmpty() && !propagation.equals("private")
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
        case "tmpfs" -> { }
        default -> throw new Refusal(what + ": mount type '" + type + "' is not allowed");
      }
    }
  }

  private static void checkTmpfs(ObjectNode hc) throws Refusal {
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
      throw new Refusal(what + ": host path " + source + " does not exist or cannot be "
          + "resolved; create it first");
    }
    Path real = resolved.realPath();
    if (resolved.kind() == HostPaths.Kind.OTHER) {
      throw new Refusal(what + ": " + real + " is a socket, device or pipe; only files and "
          + "directories may be mounted");
    }
    for (String template : role.bindRoots()) {
      Path root;
      try {
        root = hostPaths.resolve(Path.of(template.replace("{home}", who.home())
            .replace("{user}", who.name()))).realPath();
      } catch (IOException | RuntimeException e) {
        continue;
      }
      if (root.getNameCount() > 0 && real.startsWith(root)) {
        return real.toString();
      }
    }
    throw new Refusal(what + ": host path " + source + " is outside the directories you may "
        + "mount (" + (role.bindRoots().isEmpty() ? "none"
        : String.join(", ", role.bindRoots()).replace("{home}", who.home())
            .replace("{user}", who.name())) + ")");
  }

  private static void checkTarget(String target, String what) throws Refusal {
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

  // ---- other bodies -------------------------------------------------------------------------

  private static Decision execCreate(Principal who, CanonicalRequest request) {
    ObjectNode body = ((Body.Json) request.body()).value().deepCopy();
    if (isTrue(body, "Privileged")) {
      return Decision.forbidden("exec_create",
          "berth: exec --privileged is not allowed; drop --privileged");
    }
    Rewrites rw = new Rewrites();
    try {
      forceUser(body, who, rw);
    } catch (Refusal r) {
      return Decision.forbidden("exec_create", "berth: " + r.getMessage());
    }
    body.put("Privileged", false);
    return new Decision.Allow("exec_create", request.withBody(new Body.Json(body)), rw.notes);
  }

  private static Decision containerUpdate(Role role, CanonicalRequest request) {
    JsonNode body = ((Body.Json) request.body()).value();
    for (String field : List.of("CgroupParent", "Devices", "DeviceCgroupRules", "DeviceRequests",
        "OomKillDisable", "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
        "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps")) {
      JsonNode v = body.get(field);
      if (v != null && !v.isNull() && !(v.isArray() && v.isEmpty())
          && !(v.isBoolean() && !v.booleanValue()) && !(v.isTextual() && v.asText().isEmpty())) {
        return Decision.forbidden("container_update",
            "berth: docker update of " + field + " is not allowed");
      }
    }
    Limits limits = role.limits();
    long memory = body.path("Memory").asLong(0);
    long pids = body.path("PidsLimit").asLong(0);
    long cpus = effectiveNanoCpus(body);
    if (limits.memoryMax() > 0 && (memory > limits.memoryMax() || memory < 0)) {
      return Decision.forbidden("container_update", "berth: --memory exceeds your role's "
          + "maximum of " + limits.memoryMax() + " bytes");
    }
    if (limits.nanoCpusMax() > 0 && cpus > limits.nanoCpusMax()) {
      return Decision.forbidden("container_update", "berth: --cpus exceeds your role's maximum "
          + "of " + limits.nanoCpusMax() / 1e9);
    }
    if (limits.pidsMax() > 0 && (pids > limits.pidsMax() || pids < 0)) {
      return Decision.forbidden("container_update", "berth: --pids-limit exceeds your role's "
          + "maximum of " + limits.pidsMax());
    }
    return new Decision.Allow("container_update", request, List.of());
  }

  /**
   * {@code docker cp} into a container: the tar stream is rewritten so that every entry belongs to
   * the caller, without setuid bits or device nodes (see {@code TarSanitizer}). The
   * {@code copyUIDGID} flag is dropped: ownership is already the caller's, and with a numeric user
   * it fails on older engines.
   */
  private static Decision archivePut(Principal who, CanonicalRequest request) {
    CanonicalRequest out = request.withQuery(request.query().without("copyUIDGID"))
        .withBody(new Body.Stream(java.util.Optional.of(
            new CanonicalRequest.Body.TarOwner(who.uid(), who.gid()))));
    return new Decision.Allow("container_archive_put", out,
        List.of("archive entries owned by " + who.uid() + ":" + who.gid()
            + ", special mode bits cleared"));
  }

  /**
   * Pull only. An import ({@code fromSrc}) can give any tag, such as a base image other users
   * run, new content, and from a URL it makes the daemon fetch as root.
   */
  private static Decision imageCreate(CanonicalRequest request) {
    if (request.query().has("fromSrc")) {
      return Decision.forbidden("image_create", "berth: docker import is reserved for "
          + "administrators (an import can replace an image other users run)");
    }
    return new Decision.Allow("image_create", request, List.of());
  }

  private static Decision volumeCreate(Owner owner, CanonicalRequest request) {
    JsonNode in = request.body() instanceof Body.Json j ? j.value() : NODES.objectNode();
    ObjectNode out = NODES.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey().toLowerCase(Locale.ROOT);
      JsonNode v = e.getValue();
      switch (key) {
        case "name" -> out.set("Name", v);
        case "labels" -> out.set("Labels", v);
        case "driver" -> {
          if (!v.isNull() && !v.asText().isEmpty() && !v.asText().equals("local")) {
            return Decision.forbidden("volume_create", "berth: volume driver '" + v.asText()
                + "' is not allowed; use the local driver");
          }
        }
        case "driveropts" -> {
          if (!v.isNull() && !v.isEmpty()) {
            return Decision.forbidden("volume_create", "berth: volume driver options (-o) are "
                + "not allowed: a local volume with o=bind is a host bind mount");
          }
        }
        default -> { }
      }
    }
    if (out.has("Labels") && !out.get("Labels").isObject() && !out.get("Labels").isNull()) {
      return Decision.badRequest("volume_create", "berth: body: Labels: expected an object");
    }
    ObjectNode labels = out.has("Labels") && out.get("Labels").isObject()
        ? (ObjectNode) out.get("Labels") : out.putObject("Labels");
    try {
      OwnershipRules.checkBerthLabels(labels, owner, "volume labels");
    } catch (OwnershipRules.Refusal r) {
      return Decision.forbidden("volume_create", "berth: " + r.getMessage());
    }
    owner.labels().forEach(labels::put);
    return new Decision.Allow("volume_create", request.withBody(new Body.Json(out)),
        List.of("labelled as yours (" + Owner.UID_LABEL + "=" + owner.uid() + ")"));
  }

  /**
   * {@code docker network create}: a plain bridge network the daemon addresses from its own
   * pools. Custom subnets could shadow host routes (the host's DNS server or LAN), driver options
   * can attach to host interfaces or existing bridges, and other drivers reach the host's
   * network (macvlan, ipvlan) or need swarm. Keys are matched case-insensitively, as Go's
   * decoder does; the body is rebuilt from the known ones.
   */
  private static Decision networkCreate(Owner owner, CanonicalRequest request) {
    JsonNode in = request.body() instanceof Body.Json j ? j.value() : NODES.objectNode();
    if (!in.isObject()) {
      return Decision.badRequest("network_create", "berth: body: expected a JSON object");
    }
    ObjectNode out = NODES.objectNode();
    ObjectNode labels = NODES.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      String refusal = switch (e.getKey().toLowerCase(Locale.ROOT)) {
        case "name" -> {
          out.put("Name", v.asText(""));
          yield null;
        }
        case "driver" -> oneOf(v, Set.of("", "bridge"), "--driver: only bridge networks are "
            + "allowed");
        case "scope" -> oneOf(v, Set.of("", "local"), "--scope: only local networks are allowed");
        case "internal", "enableipv6", "enableipv4" -> {
          if (!v.isNull()) {
            out.put(e.getKey().equalsIgnoreCase("internal") ? "Internal"
                : e.getKey().equalsIgnoreCase("enableipv6") ? "EnableIPv6" : "EnableIPv4",
                v.asBoolean(false));
          }
          yield null;
        }
        case "checkduplicate" -> null;
        case "attachable", "ingress", "configonly" -> v.asBoolean(false)
            ? "--" + e.getKey().toLowerCase(Locale.ROOT) + " networks are not allowed" : null;
        case "configfrom" -> v.isNull() || v.isEmpty() ? null : "--config-from is not allowed";
        case "options" -> v.isNull() || v.isEmpty() ? null
            : "-o/--opt: network driver options are not allowed";
        case "ipam" -> v.isNull() || (v.path("Config").isEmpty()
            && v.path("Options").isEmpty()
            && Set.of("", "default").contains(v.path("Driver").asText("")))
            ? null : "--subnet/--ip-range/--gateway/--ipam-*: addresses come from the daemon's "
            + "pools; custom IPAM is not allowed";
        case "labels" -> {
          if (v.isObject()) {
            labels.setAll((ObjectNode) v);
            yield null;
          }
          yield v.isNull() ? null : "--label: expected labels";
        }
        default -> null;
      };
      if (refusal != null) {
        return Decision.forbidden("network_create", "berth: " + refusal);
      }
    }
    if (out.path("Name").asText("").isEmpty()) {
      return Decision.badRequest("network_create", "berth: a network needs a name");
    }
    try {
      OwnershipRules.checkBerthLabels(labels, owner, "network labels");
    } catch (OwnershipRules.Refusal r) {
      return Decision.forbidden("network_create", "berth: " + r.getMessage());
    }
    owner.labels().forEach(labels::put);
    out.put("Driver", "bridge");
    out.put("CheckDuplicate", true);
    out.set("Labels", labels);
    return new Decision.Allow("network_create", request.withBody(new Body.Json(out)),
        List.of("labelled as yours (" + Owner.UID_LABEL + "=" + owner.uid() + ")"));
  }

  private static String oneOf(JsonNode v, Set<String> allowed, String refusal) {
    return v.isNull() || allowed.contains(v.asText("")) ? null : refusal;
  }

  // ---- shared rewrites ----------------------------------------------------------------------

  private static void forceUser(ObjectNode body, Principal who, Rewrites rw) throws Refusal {
    String forced = who.uid() + ":" + who.gid();
    String asked = text(body, "User");
    if (!asked.isEmpty() && !asked.equals(forced) && !asked.equals(Integer.toString(who.uid()))
        && !asked.equals(who.name()) && !asked.equals(who.name() + ":" + who.gid())) {
      throw new Refusal("--user " + asked + ": containers run as you (" + forced + "); drop "
          + "--user or use --user " + forced);
    }
    if (!forced.equals(asked)) {
      rw.note("User set to " + forced);
    }
    body.put("User", forced);
  }

  private void checkNetworking(ObjectNode body) throws Refusal {
    for (Iterator<Map.Entry<String, JsonNode>> it =
        body.path("NetworkingConfig").path("EndpointsConfig").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("host")) {
        throw new Refusal("--network host is not allowed");
      }
      JsonNode opts = e.getValue().path("DriverOpts");
      if (opts.isObject() && !opts.isEmpty()) {
        throw new Refusal("--network " + e.getKey() + ": endpoint driver options are not "
            + "allowed");
      }
    }
  }

  /**
   * Both owner labels are always set (the group one empty when not shared): a container inherits
   * its image's labels, and an image built with {@code LABEL dev.berth.owner.gid=…} must not
   * share the container with that group.
   */
  private static void stampOwner(ObjectNode body, Owner owner, Rewrites rw) throws Refusal {
    ObjectNode labels = object(body, "Labels");
    try {
      OwnershipRules.checkBerthLabels(labels, owner, "--label");
    } catch (OwnershipRules.Refusal r) {
      throw new Refusal(r.getMessage());
    }
    if (owner.labels().entrySet().stream()
        .allMatch(e -> e.getValue().equals(labels.path(e.getKey()).asText(null)))) {
      return; // the caller gave them already
    }
    owner.labels().forEach(labels::put);
    rw.note("label " + Owner.UID_LABEL + "=" + owner.uid()
        + (owner.gid() >= 0 ? ", " + Owner.GID_LABEL + "=" + owner.gid() : ""));
  }

  // ---- small helpers ------------------------------------------------------------------------

  private static ObjectNode object(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n instanceof ObjectNode o) {
      return o;
    }
    return parent.putObject(field);
  }

  private static boolean isTrue(JsonNode node, String field) {
    return node.path(field).asBoolean(false);
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }

  private static List<String> strings(JsonNode node, String field) {
    List<String> out = new ArrayList<>();
    node.path(field).forEach(v -> out.add(v.asText()));
    return out;
  }

  private static void requireOneOf(JsonNode hc, String field, Set<String> allowed, String why)
      throws Refusal {
    if (!allowed.contains(text(hc, field))) {
      throw new Refusal(why);
    }
  }

  private static void requireEmpty(JsonNode hc, String field, String why) throws Refusal {
    JsonNode v = hc.get(field);
    if (v == null || v.isNull()) {
      return;
    }
    if ((v.isContainerNode() && !v.isEmpty()) || (v.isTextual() && !v.asText().isEmpty())) {
      throw new Refusal(why);
    }
  }

  /** A refusal with a message that names the field and what to do instead. */
  private static final class Refusal extends Exception {
    Refusal(String message) {
      super(message, null, false, false);
    }
  }

  /** Notes of what berth changed, for the user's and the auditor's benefit. */
  private static final class Rewrites {
    final List<String> notes = new ArrayList<>();

    void note(String s) {
      notes.add(s);
    }
  }
}
