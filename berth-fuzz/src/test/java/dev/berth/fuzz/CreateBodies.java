package dev.berth.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.util.List;

/**
 * Container-create bodies built from fuzzer input out of the pieces attacks are made of: Docker's
 * field names in every spelling the daemon's decoder folds together (case, the long s and Kelvin
 * signs), and the values of the known escapes. The fuzzer chooses structure and combination;
 * coverage guidance does the rest.
 */
final class CreateBodies {
  private CreateBodies() {}

  private static final List<String> TOP =
      List.of(
          "Image",
          "User",
          "Cmd",
          "Env",
          "Labels",
          "HostConfig",
          "hostconfig",
          "HOSTCONFIG",
          "Ho\u017ftConfig",
          "NetworkingConfig",
          "Volumes",
          "WorkingDir",
          "Entrypoint",
          "user",
          "\u212a",
          "Tty",
          "OpenStdin",
          "StopSignal",
          "Healthcheck",
          "ExposedPorts",
          "Hostname",
          "Domainname",
          "MacAddress",
          "Shell",
          "OnBuild",
          "Privileged",
          "Binds");
  private static final List<String> HOST =
      List.of(
          "Privileged",
          "privileged",
          "PRIVILEGED",
          "Binds",
          "binds",
          "Mounts",
          "mounts",
          "CapAdd",
          "capadd",
          "CapDrop",
          "SecurityOpt",
          "securityopt",
          "NetworkMode",
          "PidMode",
          "pidmode",
          "IpcMode",
          "UTSMode",
          "UsernsMode",
          "CgroupnsMode",
          "Devices",
          "DeviceRequests",
          "DeviceCgroupRules",
          "Sysctls",
          "CgroupParent",
          "Runtime",
          "ReadonlyRootfs",
          "Memory",
          "NanoCpus",
          "PidsLimit",
          "ShmSize",
          "Tmpfs",
          "Ulimits",
          "OomScoreAdj",
          "VolumesFrom",
          "Links",
          "LogConfig",
          "ExtraHosts",
          "Init",
          "GroupAdd",
          "VolumeDriver",
          "Isolation",
          "OomKillDisable",
          "PortBindings",
          "Annotations",
          "MaskedPaths",
          "ReadonlyPaths",
          "AutoRemove",
          "RestartPolicy",
          "Cgroup",
          "ConsoleSize");
  private static final List<String> MOUNT =
      List.of(
          "Type",
          "type",
          "Source",
          "source",
          "Target",
          "target",
          "ReadOnly",
          "BindOptions",
          "VolumeOptions",
          "TmpfsOptions",
          "Consistency");
  private static final List<String> WORDS =
      List.of(
          "host",
          "container:web",
          "container:bobweb",
          "none",
          "bridge",
          "net",
          "bobnet",
          "/",
          "/home/alice",
          "/home/alice/data",
          "/home/alice/evil",
          "/home/alice/evil/etc",
          "/home/alice/../bob",
          "/home/bob",
          "/var/run/docker.sock",
          "/proc",
          "/etc",
          "/:/host",
          "/home/alice:/h",
          "/home/alice/evil:/h",
          "/var/run/docker.sock:/s",
          "data:/d",
          "bobdata:/d",
          "/home/alice:/h:rshared",
          "/home/alice:/h:z",
          "ALL",
          "SYS_ADMIN",
          "CAP_SYS_ADMIN",
          "all",
          "no-new-privileges",
          "no-new-privileges:false",
          "seccomp=unconfined",
          "apparmor=unconfined",
          "label=disable",
          "0:0",
          "root",
          "0",
          "1001:0",
          "bind",
          "volume",
          "tmpfs",
          "npipe",
          "cluster",
          "local",
          "device",
          "o",
          "type",
          "none",
          "rbind",
          "runc",
          "sysbox-runc",
          "/dev/sda",
          "/dev/mem",
          "kernel.core_pattern",
          "net.ipv4.ip_forward",
          "busybox",
          "web",
          "bobweb",
          "private",
          "shareable",
          "",
          "\u0000",
          "1001:1001",
          "/d",
          "/d/",
          "/d/x",
          "/h/sub",
          "/d/../h",
          "data:/d/x",
          "size=2g",
          "size=0",
          "size=64m",
          "size=50%",
          "nr_blocks=9999999",
          "rw,size=1g",
          "nofile",
          "NOFILE",
          "core",
          "rtprio",
          "\u017ftack");

  /** A JSON object text; never throws. */
  static String body(FuzzedDataProvider in) {
    StringBuilder sb = new StringBuilder();
    object(in, sb, TOP, 0);
    return sb.toString();
  }

  private static void object(
      FuzzedDataProvider in, StringBuilder sb, List<String> keys, int depth) {
    sb.append('{');
    int n = in.consumeInt(0, 6);
    for (int i = 0; i < n && in.remainingBytes() > 0; i++) {
      if (i > 0) {
        sb.append(',');
      }
      String key = in.pickValue(keys);
      string(sb, key);
      sb.append(':');
      if (depth < 3 && (key.equalsIgnoreCase("HostConfig") || key.startsWith("Ho\u017f"))) {
        object(in, sb, HOST, depth + 1);
      } else if (depth < 3 && key.equalsIgnoreCase("Mounts")) {
        sb.append('[');
        int m = in.consumeInt(0, 3);
        for (int j = 0; j < m; j++) {
          if (j > 0) {
            sb.append(',');
          }
          object(in, sb, MOUNT, depth + 1);
        }
        sb.append(']');
      } else {
        value(in, sb, depth);
      }
    }
    sb.append('}');
  }

  private static void value(FuzzedDataProvider in, StringBuilder sb, int depth) {
    switch (in.consumeInt(0, 6)) {
      case 0 -> sb.append(in.consumeBoolean());
      case 1 -> sb.append(in.consumeLong());
      case 2 -> string(sb, in.pickValue(WORDS));
      case 3 -> {
        sb.append('[');
        int n = in.consumeInt(0, 3);
        for (int i = 0; i < n; i++) {
          sb.append(i > 0 ? "," : "");
          string(sb, in.pickValue(WORDS));
        }
        sb.append(']');
      }
      case 4 -> {
        if (depth < 3) {
          object(in, sb, WORDS, depth + 1);
        } else {
          sb.append("null");
        }
      }
      case 5 -> sb.append("null");
      default -> string(sb, in.consumeString(40));
    }
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }
}
