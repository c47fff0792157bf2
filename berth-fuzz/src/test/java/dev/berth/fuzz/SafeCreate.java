package dev.berth.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a container-create body berth forwards for alice (default policy) must satisfy, whatever
 * the request was. Field names are matched exactly: the forwarded body is berth's own
 * serialisation, and a key in another case would itself be a finding (the daemon folds case).
 */
final class SafeCreate {
  private SafeCreate() {}

  /** The violations of the invariants; empty when the body is safe. */
  static List<String> violations(JsonNode body) {
    List<String> bad = new ArrayList<>();
    if (!body.isObject()) {
      bad.add("forwarded body is not an object");
      return bad;
    }
    body.fieldNames().forEachRemaining(k -> {
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
    if (!hc.path("CapAdd").isMissingNode() && !hc.path("CapAdd").isNull()
        && !hc.path("CapAdd").isEmpty()) {
      bad.add("CapAdd " + hc.path("CapAdd"));
    }
    if (!hc.path("SecurityOpt").toString().equals("[\"no-new-privileges\"]")) {
      bad.add("SecurityOpt " + hc.path("SecurityOpt"));
    }
    // Another container's namespaces, mounts and links: only alice's own, by the full id judged.
    String alices = "a".repeat(64);
    for (String ns : List.of("NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode",
        "CgroupnsMode")) {
      String v = hc.path(ns).asText("").toLowerCase(Locale.ROOT);
      boolean ownContainer = v.equals("container:" + alices)
          && List.of("NetworkMode", "PidMode", "IpcMode").contains(ns);
      if (v.equals("host") || v.startsWith("container:") && !ownContainer) {
        bad.add(ns + " " + v);
      }
    }
    hc.path("VolumesFrom").forEach(v -> {
      if (!v.asText().equals(alices) && !v.asText().startsWith(alices + ":")) {
        bad.add("VolumesFrom " + v);
      }
    });
    hc.path("Links").forEach(l -> {
      if (!l.asText().startsWith(alices + ":")) {
        bad.add("Links " + l);
      }
    });
    for (String list : List.of("Devices", "DeviceRequests", "DeviceCgroupRules")) {
      if (hc.path(list).size() > 0) {
        bad.add(list + " " + hc.path(list));
      }
    }
    for (String scalar : List.of("CgroupParent", "Runtime", "VolumeDriver")) {
      if (!hc.path(scalar).asText("").isEmpty()) {
        bad.add(scalar + " " + hc.path(scalar));
      }
    }
    if (hc.path("Sysctls").size() > 0) {
      bad.add("Sysctls " + hc.path("Sysctls"));
    }
    hc.path("Binds").forEach(b -> {
      // One part is an anonymous volume at that path; two or more start with the source.
      String[] parts = b.asText().split(":", 2);
      String src = parts[0];
      if (parts.length > 1 && src.startsWith("/") && !underAlicesHome(src)) {
        bad.add("bind " + b);
      }
    });
    hc.path("Mounts").forEach(m -> {
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
    return bad;
  }

  private static boolean isCanonical(String key) {
    return !key.isEmpty() && Character.isUpperCase(key.charAt(0)) && key.chars().allMatch(c -> c < 128);
  }

  private static boolean underAlicesHome(String source) {
    Path p = Path.of(source).normalize();
    return p.startsWith("/home/alice") && !p.startsWith("/home/alice/evil");
  }
}
