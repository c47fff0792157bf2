package dev.berth.policy.yaml;

import dev.berth.policy.Profile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/** Reads the profiles of a policy file: mounts, devices, device requests and environment. */
final class ProfileReader extends NodeReader {
  private static final Set<String> PROFILE_KEYS =
      Set.of("mounts", "devices", "device_requests", "env");

  private static final Set<String> DEVICE_REQUEST_KEYS = Set.of("driver", "count", "capabilities");

  private static final Pattern MOUNT = Pattern.compile("^(/[^:]*):(/[^:]*)(:ro|:rw)?$");

  private static final Pattern ENV = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*=.*$");

  ProfileReader(String source, List<String> errors) {
    super(source, errors);
  }

  Map<String, Profile> profiles(@Nullable Node node) {
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
          error(
              f.get("mounts"),
              at + ".mounts[" + i + "]",
              "expected /host/path:/container/path" + " or /host/path:/container/path:ro");
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
          requests.add(
              new Profile.DeviceRequest(
                  driver == null ? "" : driver,
                  n,
                  strings(rf.get("capabilities"), rat + ".capabilities")));
        }
      } else if (dr != null) {
        error(dr, at + ".device_requests", "expected a list of device requests");
      }
      out.put(name, new Profile(name, mounts, devices, requests, env));
    }
    return out;
  }
}
