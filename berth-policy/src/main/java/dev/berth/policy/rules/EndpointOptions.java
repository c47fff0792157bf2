package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Endpoint driver options ({@code docker network connect --driver-opt}, {@code docker run --network
 * name=N,driver-opt=K=V}, {@code NetworkingConfig.EndpointsConfig.*.DriverOpts}), each key judged.
 * The bridge driver reads {@code com.docker.network.endpoint.ifname} (moby 28: the interface's name
 * inside the container's own network namespace, nothing on the host), which is allowed as a plain
 * interface name. {@code com.docker.network.endpoint.sysctls} sets sysctls that the role's {@code
 * allow.sysctls} would otherwise judge, so it is refused with that pointer; any other key is
 * refused by name (unknown to berth, it is not judged).
 */
final class EndpointOptions {
  static final String IFNAME = "com.docker.network.endpoint.ifname";
  private static final String SYSCTLS = "com.docker.network.endpoint.sysctls";

  /** A Linux interface name: at most 15 bytes (IFNAMSIZ 16), no '/', ':' or spaces. */
  private static final Pattern INTERFACE = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$");

  private EndpointOptions() {}

  /**
   * Checks the driver options of one endpoint's settings, found under any spelling Go's decoder
   * folds to {@code DriverOpts}.
   */
  static void checkEndpoint(JsonNode endpoint, String where) throws Refusal {
    for (Iterator<Map.Entry<String, JsonNode>> it = endpoint.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equalsIgnoreCase("DriverOpts")) {
        check(e.getValue(), where);
      }
    }
  }

  /**
   * Checks the options of one endpoint.
   *
   * @param where what the user typed, for the message ({@code --network N})
   */
  static void check(JsonNode opts, String where) throws Refusal {
    if (opts.isNull() || opts.isMissingNode()) {
      return;
    }
    if (!opts.isObject()) {
      throw new Refusal(where + ": endpoint driver options: expected names and values");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = opts.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      if (key.equals(IFNAME)) {
        if (!e.getValue().isTextual() || !INTERFACE.matcher(e.getValue().asText()).matches()) {
          throw new Refusal(
              where
                  + ": driver option "
                  + IFNAME
                  + " must be an interface name "
                  + "(letters, digits, '_', '.', '-'; at most 15)");
        }
      } else if (key.equals(SYSCTLS)) {
        throw new Refusal(
            where
                + ": driver option "
                + SYSCTLS
                + " is not allowed; use "
                + "--sysctl, which your role's allow.sysctls judges");
      } else {
        throw new Refusal(
            where
                + ": endpoint driver options: '"
                + key
                + "' is not allowed "
                + "(allowed: "
                + IFNAME
                + ")");
      }
    }
  }
}
