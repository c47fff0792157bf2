package dev.berth.cli.doctor;

import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's start-up settings that berth relies on or that back it up: no TCP endpoint without
 * client certificates (it is root for anyone on the network), the build entitlements that let any
 * client ask for a host-network or privileged build step, and user-namespace remapping.
 */
final class DaemonConfigCheck {
  static final String ENDPOINTS = "daemon endpoints";
  static final String ENTITLEMENTS = "build entitlements";
  static final String USERNS = "userns-remap";

  private DaemonConfigCheck() {}

  /**
   * @param listeners the TCP addresses the daemon process listens on (from {@code /proc})
   */
  static List<Finding> check(DaemonSettings s, List<String> listeners, Mode mode) {
    List<Finding> out = new ArrayList<>();
    List<String> tcp = new ArrayList<>(listeners);
    s.hosts().stream().filter(h -> h.startsWith("tcp://")).forEach(tcp::add);
    if (tcp.isEmpty()) {
      out.add(Finding.ok(ENDPOINTS, "no TCP endpoint; hosts " + s.hosts()));
    } else if (!s.tlsVerify()) {
      out.add(
          Finding.fail(
              ENDPOINTS,
              "TCP endpoint without client certificates: "
                  + tcp
                  + "; anyone who can connect is root on this host",
              "remove the tcp:// host, or set tlsverify with a CA (and run berth plugin)"));
    } else if (mode == Mode.PROXY) {
      out.add(
          Finding.warn(
              ENDPOINTS,
              "TCP endpoint with client certificates: "
                  + tcp
                  + "; every certificate of the daemon's CA reaches the raw daemon, around berth",
              "remove it, or run berth plugin so that the daemon asks berth about every request"));
    } else {
      out.add(Finding.ok(ENDPOINTS, "TCP endpoint with client certificates: " + tcp));
    }
    if (s.securityInsecure().orElse(false)) {
      out.add(
          Finding.fail(
              ENTITLEMENTS,
              "builder.Entitlements.security-insecure is on: a build " + "step may run privileged",
              "set \"builder\": {\"Entitlements\": {\"security-insecure\": false}} in daemon.json"));
    }
    List<String> on = new ArrayList<>();
    if (s.networkHost().orElse(true)) {
      on.add("network-host");
    }
    if (s.device().orElse(true)) {
      on.add("device");
    }
    if (on.isEmpty()) {
      out.add(Finding.ok(ENTITLEMENTS, "network-host and device are off"));
    } else {
      out.add(
          Finding.warn(
              ENTITLEMENTS,
              String.join(" and ", on)
                  + " on (dockerd's default "
                  + "when unset); berth refuses them in builds it mediates, the daemon does not",
              "set \"builder\": {\"Entitlements\": {\"network-host\": false, \"device\": false}} in "
                  + s.configFile().map(Object::toString).orElse("/etc/docker/daemon.json")
                  + " as a backstop"));
    }
    out.add(
        s.usernsRemap()
            ? Finding.ok(USERNS, "set")
            : Finding.warn(
                USERNS,
                "not set: root in a container is root on the host if anything "
                    + "lets a container run as root",
                "consider \"userns-remap\": \"default\" (bind mounts of users' files then need "
                    + "matching subordinate ids)"));
    return out;
  }
}
