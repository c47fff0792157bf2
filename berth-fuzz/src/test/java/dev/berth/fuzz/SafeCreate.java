package dev.berth.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a container-create body berth forwards for alice (default policy) must satisfy, whatever the
 * request was. Field names are matched exactly: the forwarded body is berth's own serialisation,
 * and a key in another case would itself be a finding (the daemon folds case).
 */
final class SafeCreate {
  private static final long GIB = 1L << 30;
  private static final Map<String, Long> ULIMITS =
      Map.of(
          "nofile", 1048576L, "nproc", 32768L, "core", 0L, "memlock", 64L << 20, "stack",
          64L << 20);

  private SafeCreate() {}

  /** The violations of the invariants; empty when the body is safe. */
  static List<String> violations(JsonNode body) {
    List<String> bad = new ArrayList<>();
    if (!body.isObject()) {
      bad.add("forwarded body is not an object");
      return bad;
    }
    body.fieldNames()
        .forEachRemaining(
            k -> {
              if (!k.equals(k.strip()) || !isCanonical(k)) {
                bad.add("top-level key not canonical: " + k);
              }
            });
    if (!"1001:1001".equals(body.path("User").asText())) {
      bad.add("User is " + body.path("User"));
    }
    JsonNode hc = body.path("HostConfig");
    if (!hc.isObject()) {
      bad.add("no HostConfig");
      return bad;
    }
    if (hc.path("Privileged").asBoolean(false)) {
      bad.add("Privileged");
    }
    if (!hc.path("CapDrop").toString().equals("[\"ALL\"]")) {
      bad.add("CapDrop " + hc.path("CapDrop"));
    }
    if (!hc.path("CapAdd").isMissingNode()
        && !hc.path("CapAdd").isNull()
        && !hc.path("CapAdd").isEmpty()) {
      bad.add("CapAdd " + hc.path("CapAdd"));
    }
    if (!hc.path("SecurityOpt").toString().equals("[\"no-new-privileges\"]")) {
      bad.add("SecurityOpt " + hc.path("SecurityOpt"));
    }
    // Another container's namespaces, mounts and links: only alice's own, by the full id judged.
    String alices = "a".repeat(64);
    for (String ns :
        List.of("NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode")) {
      String v = hc.path(ns).asText("").toLowerCase(Locale.ROOT);
      boolean ownContainer =
          v.equals("container:" + alices)
              && List.of("NetworkMode", "PidMode", "IpcMode").contains(ns);
      if (v.equals("host") || v.startsWith("container:") && !ownContainer) {
        bad.add(ns + " " + v);
      }
    }
    hc.path("VolumesFrom")
        .forEach(
            v -> {
              if (!v.asText().equals(alices) && !v.asText().startsWith(alices + ":")) {
                bad.add("VolumesFrom " + v);
              }
            });
    hc.path("Links")
        .forEach(
            l -> {
              if (!l.asText().startsWith(alices + ":")) {
                bad.add("Links " + l);
              }
            });
    for (String list : List.of("Devices", "DeviceRequests", "DeviceCgroupRules")) {
      if (hc.path(list).size() > 0) {
        bad.add(list + " " + hc.path(list));
      }
    }
    for (String scalar : List.of("CgroupParent", "VolumeDriver")) {
      if (!hc.path(scalar).asText("").isEmpty()) {
        bad.add(scalar + " " + hc.path(scalar));
      }
    }
    // runc, named, is the daemon's own default runtime; any other is refused.
    if (!List.of("", "runc").contains(hc.path("Runtime").asText(""))) {
      bad.add("Runtime " + hc.path("Runtime"));
    }
    if (hc.path("Sysctls").size() > 0) {
      bad.add("Sysctls " + hc.path("Sysctls"));
    }
    hc.path("Binds")
        .forEach(
            b -> {
              // One part is an anonymous volume at that path; two or more start with the source.
              String[] parts = b.asText().split(":", 2);
              String src = parts[0];
              if (parts.length > 1 && src.startsWith("/") && !underAlicesHome(src)) {
                bad.add("bind " + b);
              }
            });
    hc.path("Mounts")
        .forEach(
            m -> {
              String type = m.path("Type").asText("");
              String src = m.path("Source").asText("");
              if (type.equals("bind") && !underAlicesHome(src)) {
                bad.add("bind mount " + m);
              }
              if (!type.equals("bind") && !type.equals("volume") && !type.equals("tmpfs")) {
                bad.add("mount type " + m);
              }
              if (m.path("VolumeOptions").path("DriverConfig").path("Options").size() > 0) {
                bad.add("volume driver options " + m);
              }
            });
    checkSizes(hc, bad);
    checkTargets(body, hc, bad);
    return bad;
  }

  /** HC-27 on the default policy: shm and every tmpfs sized within 1 GiB, ulimits as listed. */
  private static void checkSizes(JsonNode hc, List<String> bad) {
    long shm = hc.path("ShmSize").asLong(0);
    if (shm <= 0 || shm > GIB) {
      bad.add("ShmSize " + hc.path("ShmSize"));
    }
    hc.path("Tmpfs")
        .fields()
        .forEachRemaining(
            e -> {
              List<String> sizes = new ArrayList<>();
              for (String opt : e.getValue().asText("").split(",", -1)) {
                if (opt.startsWith("size=")) {
                  sizes.add(opt.substring(5));
                } else if (opt.startsWith("nr_blocks=")) {
                  bad.add("tmpfs in blocks " + e);
                }
              }
              if (sizes.size() != 1
                  || !sizes.get(0).matches("[1-9][0-9]*[kmgKMG]?")
                  || tmpfsBytes(sizes.get(0)) > GIB) {
                bad.add("tmpfs size " + e);
              }
            });
    hc.path("Mounts")
        .forEach(
            m -> {
              if (m.path("Type").asText("").equals("tmpfs")) {
                long size = m.path("TmpfsOptions").path("SizeBytes").asLong(0);
                if (size <= 0
                    || size > GIB
                    || m.path("TmpfsOptions").path("Options").size() > 0
                        && m.path("TmpfsOptions").path("Options").toString().contains("size")) {
                  bad.add("tmpfs mount size " + m);
                }
              }
            });
    hc.path("Ulimits")
        .forEach(
            u -> {
              Long max = ULIMITS.get(u.path("Name").asText(""));
              long soft = u.path("Soft").asLong(0);
              long hard = u.path("Hard").asLong(0);
              if (max == null || soft < 0 || hard < 0 || soft > max || hard > max) {
                bad.add("ulimit " + u);
              }
            });
  }

  private static long tmpfsBytes(String size) {
    char unit = Character.toLowerCase(size.charAt(size.length() - 1));
    int shift = unit == 'k' ? 10 : unit == 'm' ? 20 : unit == 'g' ? 30 : 0;
    String digits = shift == 0 ? size : size.substring(0, size.length() - 1);
    if (digits.length() > 12) {
      return Long.MAX_VALUE;
    }
    return Long.parseLong(digits) << shift;
  }

  /**
   * HC-07: mount targets neither repeat nor nest, cleaned as the runtime cleans them; an anonymous
   * volume on an explicit mount's own target is merged by the daemon.
   */
  private static void checkTargets(JsonNode body, JsonNode hc, List<String> bad) {
    List<Path> explicit = new ArrayList<>();
    hc.path("Binds")
        .forEach(
            b -> {
              String[] parts = b.asText().split(":", -1);
              explicit.add(Path.of(parts.length == 1 ? parts[0] : parts[1]).normalize());
            });
    hc.path("Mounts").forEach(m -> explicit.add(Path.of(m.path("Target").asText("")).normalize()));
    hc.path("Tmpfs").fieldNames().forEachRemaining(t -> explicit.add(Path.of(t).normalize()));
    Set<Path> all = new HashSet<>();
    for (Path p : explicit) {
      if (!all.add(p)) {
        bad.add("mount target repeated " + p);
      }
    }
    body.path("Volumes").fieldNames().forEachRemaining(t -> all.add(Path.of(t).normalize()));
    for (Path a : all) {
      for (Path b : all) {
        if (!a.equals(b) && b.startsWith(a)) {
          bad.add("mount targets nest " + a + " " + b);
        }
      }
    }
  }

  private static boolean isCanonical(String key) {
    return !key.isEmpty()
        && Character.isUpperCase(key.charAt(0))
        && key.chars().allMatch(c -> c < 128);
  }

  private static boolean underAlicesHome(String source) {
    Path p = Path.of(source).normalize();
    return p.startsWith("/home/alice") && !p.startsWith("/home/alice/evil");
  }
}
