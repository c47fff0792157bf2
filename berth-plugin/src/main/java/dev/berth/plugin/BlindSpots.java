package dev.berth.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.daemon.DaemonClient;
import dev.berth.policy.docker.DockerJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this daemon does without asking any authorization plugin, found at start-up so the
 * administrator reads it in berth's log rather than in an incident report.
 *
 * <ul>
 *   <li>Engine 29.2 and later (API 1.52+) serve HTTP/2 gRPC (BuildKit) straight from the listener,
 *       around the authorization middleware.
 *   <li>With swarm active, the swarm executor creates task containers itself; a plugin sees the
 *       service request (berth refuses swarm to users) but never those containers.
 * </ul>
 *
 * The daemon starts after its plugin, so the probe retries for a while on a virtual thread.
 */
final class BlindSpots {
  private static final Logger LOG = LoggerFactory.getLogger(BlindSpots.class);
  private static final ObjectMapper JSON = DockerJson.mapper();

  private BlindSpots() {}

  /** The warnings for a daemon that answered {@code /version} and {@code /info} like this. */
  static List<String> of(JsonNode version, JsonNode info) {
    List<String> out = new ArrayList<>();
    String api = version.path("ApiVersion").asText("");
    if (atLeast(api, 1, 52)) {
      out.add(
          "this daemon (API "
              + api
              + ", Engine "
              + version.path("Version").asText("?")
              + ") serves native HTTP/2 gRPC without asking authorization plugins: BuildKit "
              + "sessions bypass berth; keep the daemon's TCP endpoint for berth's users only "
              + "through berth's own listener, or use the proxy mode");
    }
    if (info.path("Swarm").path("LocalNodeState").asText("").equals("active")) {
      out.add(
          "swarm is active: the swarm executor creates task containers without asking "
              + "authorization plugins (berth refuses swarm and services to users; keep it so)");
    }
    return out;
  }

  /** Probes the daemon in the background and logs what it finds. */
  static void probe(DaemonClient daemon) {
    Thread.ofVirtual()
        .name("berth-blind-spots")
        .start(
            () -> {
              for (int attempt = 0; attempt < 60; attempt++) {
                try {
                  DaemonClient.Answer version = daemon.call("GET", "/version", null);
                  DaemonClient.Answer info = daemon.call("GET", "/info", null);
                  if (version.status() == 200 && info.status() == 200) {
                    for (String w : of(JSON.readTree(version.body()), JSON.readTree(info.body()))) {
                      LOG.atWarn().log("plugin blind spot: {}", w);
                    }
                    return;
                  }
                } catch (IOException e) {
                  // the daemon is not up yet
                }
                try {
                  Thread.sleep(5000);
                } catch (InterruptedException e) {
                  return;
                }
              }
              LOG.atWarn()
                  .log("could not ask the daemon about plugin blind spots (is it running?)");
            });
  }

  private static boolean atLeast(String version, int major, int minor) {
    String[] p = version.split("\\.");
    try {
      int a = Integer.parseInt(p[0]);
      int b = p.length > 1 ? Integer.parseInt(p[1]) : 0;
      return a > major || (a == major && b >= minor);
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
