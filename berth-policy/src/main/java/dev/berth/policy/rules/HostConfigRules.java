package dev.berth.policy.rules;

import static dev.berth.policy.rules.BodyFields.*;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Allowances;
import dev.berth.policy.Limits;
import dev.berth.policy.Placement;
import dev.berth.policy.Principal;
import dev.berth.policy.Role;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code HostConfig} of a new container: no privileges, host namespaces, devices or kernel
 * paths; the role's limits applied (tmpfs, shm and ulimits by {@link TmpfsAndUlimitRules});
 * no-new-privileges and {@code CapDrop ALL} forced; group, capability, sysctl, annotation, log and
 * port allowlists; mounts judged by {@link MountRules}.
 */
final class HostConfigRules {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Set<String> LOG_OPTIONS = Set.of("max-size", "max-file", "compress");

  private final MountRules mounts;

  HostConfigRules(MountRules mounts) {
    this.mounts = requireNonNull(mounts, "mounts");
  }

  void checkHostConfig(ObjectNode hc, Principal who, Role role, Rewrites rw) throws Refusal {
    if (isTrue(hc, "Privileged")) {
      throw new Refusal(
          "HostConfig.Privileged: privileged containers are not allowed; " + "drop --privileged");
    }
    // container:NAME (a container of the caller's own: ContainerOwnership checks it)
    requireOneOfOrContainer(
        hc,
        "PidMode",
        Set.of(""),
        "--pid: only the container's own PID "
            + "namespace or one of your containers' is allowed; drop --pid");
    requireOneOfOrContainer(
        hc,
        "IpcMode",
        Set.of("", "private", "shareable", "none"),
        "--ipc: only a private IPC namespace or one of your containers' is allowed; drop --ipc");
    requireOneOf(
        hc, "UTSMode", Set.of(""), "--uts: the host UTS namespace is not allowed; " + "drop --uts");
    requireOneOf(
        hc,
        "UsernsMode",
        Set.of(""),
        "--userns: leaving the daemon's user namespace " + "setting is not allowed; drop --userns");
    requireOneOf(
        hc,
        "CgroupnsMode",
        Set.of("", "private"),
        "--cgroupns: only a private cgroup " + "namespace is allowed; drop --cgroupns");
    requireOneOf(
        hc, "Cgroup", Set.of(""), "HostConfig.Cgroup: joining another cgroup is not " + "allowed");
    String net = text(hc, "NetworkMode");
    if (net.equals("host") || net.startsWith("ns:") || net.equals("container:")) {
      throw new Refusal(
          "--network "
              + net
              + ": the host's network namespace is not allowed; "
              + "use the default network, one of your networks or container:NAME of yours");
    }
    requireEmpty(hc, "Devices", "--device: host devices are not allowed");
    if (role.placement().mode() != Placement.Mode.JOB) {
      requireEmpty(
          hc,
          "DeviceRequests",
          role.placement().mode() == Placement.Mode.NONE
              ? "--gpus/--device: device requests are not allowed"
              : "--gpus: GPUs are given inside a batch job only (placement "
                  + role.placement().mode().id()
                  + ")");
    }
    requireEmpty(hc, "DeviceCgroupRules", "--device-cgroup-rule is not allowed");
    checkCapAdd(hc, role.allow());
    checkKeys(hc, "Sysctls", role.allow().sysctls(), "--sysctl");
    requireEmpty(hc, "StorageOpt", "--storage-opt is not allowed");
    checkKeys(hc, "Annotations", role.allow().annotations(), "--annotation");
    requireEmpty(hc, "CgroupParent", "--cgroup-parent is not allowed");
    requireEmpty(hc, "VolumeDriver", "--volume-driver is not allowed");
    if (hc.hasNonNull("MaskedPaths") || hc.hasNonNull("ReadonlyPaths")) {
      throw new Refusal(
          "HostConfig.MaskedPaths/ReadonlyPaths: unmasking kernel paths is not " + "allowed");
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
    TmpfsAndUlimitRules.apply(hc, role.limits(), rw);
    checkSecurityOpt(hc, rw);
    forceCapDrop(hc, rw);
    checkGroupAdd(hc, who);
    checkLogConfig(hc, role.allow());
    checkPorts(hc, role.allow());
    mounts.checkBinds(hc, who, role, rw);
    mounts.checkMounts(hc, who, role, rw);
    MountRules.checkTmpfs(hc);
  }

  /**
   * Memory, CPUs and PIDs within the role's maxima, defaults where the caller asked for nothing
   * (HC-27). "Unlimited" (-1 PIDs, 0 memory) counts as asking for nothing when there is a default,
   * and as too much when there is only a maximum.
   */
  private static void applyLimits(ObjectNode hc, Limits limits, Rewrites rw) throws Refusal {
    long memory = hc.path("Memory").asLong(0);
    if (limits.memoryMax() > 0 && memory > limits.memoryMax()) {
      throw new Refusal(
          "--memory "
              + memory
              + " exceeds your role's maximum of "
              + limits.memoryMax()
              + " bytes");
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
      throw new Refusal(
          "--cpus " + cpus / 1e9 + " exceeds your role's maximum of " + limits.nanoCpusMax() / 1e9);
    }
    long cpuDefault =
        limits.nanoCpusDefault() > 0 ? limits.nanoCpusDefault() : limits.nanoCpusMax();
    if (cpus <= 0 && cpuDefault > 0) {
      hc.put("NanoCpus", cpuDefault);
      rw.note("HostConfig.NanoCpus set to " + cpuDefault);
    }
    long pids = hc.path("PidsLimit").asLong(0);
    if (limits.pidsMax() > 0
        && (pids > limits.pidsMax() || pids < 0 && limits.pidsDefault() == 0)) {
      throw new Refusal(
          "--pids-limit " + pids + " exceeds your role's maximum of " + limits.pidsMax());
    }
    long pidsDefault = limits.pidsDefault() > 0 ? limits.pidsDefault() : limits.pidsMax();
    if (pids <= 0 && pidsDefault > 0) {
      hc.put("PidsLimit", pidsDefault);
      rw.note("HostConfig.PidsLimit set to " + pidsDefault);
    }
  }

  private static void checkSecurityOpt(ObjectNode hc, Rewrites rw) throws Refusal {
    for (String opt : strings(hc, "SecurityOpt")) {
      String o = opt.strip().toLowerCase(Locale.ROOT);
      if (!(o.equals("no-new-privileges")
          || o.equals("no-new-privileges=true")
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
        throw new Refusal(
            "--group-add " + g + ": give a numeric gid (names resolve inside the " + "image)");
      }
      if (!g.equals(Integer.toString(gid)) || !who.groups().contains(gid)) {
        throw new Refusal(
            "--group-add " + g + ": you may add only your own groups " + who.groups());
      }
    }
  }

  /**
   * Capabilities added back after {@code CapDrop: ALL}, from the role's allowlist only (HC-09).
   * Names are compared in ASCII upper case without the {@code CAP_} prefix, the way moby normalises
   * them; non-ASCII letters that Go's upper-casing would turn into ASCII ({@code ſ}, {@code ı}) are
   * refused outright. Forwarded as {@code CAP_NAME}.
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
        throw new Refusal(
            "--cap-add "
                + cap
                + ": adding this capability is not allowed"
                + (allow.capAdd().isEmpty()
                    ? ""
                    : " (allowed: " + new TreeSet<>(allow.capAdd()) + ")"));
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
        throw new Refusal(
            flag
                + " "
                + key
                + ": not allowed"
                + (allowed.isEmpty() ? "" : " (allowed: " + new TreeSet<>(allowed) + ")"));
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
      throw new Refusal(
          "--log-driver " + type + ": only " + new TreeSet<>(allow.logDrivers()) + " are allowed");
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
        String low =
            hostPort.contains("-") ? hostPort.substring(0, hostPort.indexOf('-')) : hostPort;
        try {
          if (Integer.parseInt(low) < allow.minHostPort()) {
            throw new Refusal(
                "--publish "
                    + hostPort
                    + ": host ports below "
                    + allow.minHostPort()
                    + " are not allowed");
          }
        } catch (NumberFormatException e) {
          throw new Refusal("--publish " + hostPort + ": not a port number");
        }
      }
    }
  }

  /** {@link BodyFields#requireOneOf}, or {@code container:NAME} (its owner is checked later). */
  private static void requireOneOfOrContainer(
      ObjectNode hc, String key, Set<String> allowed, String message) throws Refusal {
    String v = text(hc, key);
    if (v.startsWith("container:") && v.length() > "container:".length()) {
      return;
    }
    requireOneOf(hc, key, allowed, message);
  }
}
