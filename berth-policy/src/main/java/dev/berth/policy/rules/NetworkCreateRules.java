package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnerLabels.checkBerthLabels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.Owner;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** {@code POST /networks/create}: a plain bridge network labelled for its owner. */
final class NetworkCreateRules {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private NetworkCreateRules() {}

  /**
   * {@code docker network create}: a plain bridge network the daemon addresses from its own pools.
   * Custom subnets could shadow host routes (the host's DNS server or LAN), driver options can
   * attach to host interfaces or existing bridges, and other drivers reach the host's network
   * (macvlan, ipvlan) or need swarm. Keys are matched case-insensitively, as Go's decoder does; the
   * body is rebuilt from the known ones.
   */
  static Decision evaluate(Owner owner, CanonicalRequest request) {
    JsonNode in = request.body() instanceof Body.Json j ? j.value() : NODES.objectNode();
    if (!in.isObject()) {
      return Decision.badRequest("network_create", "berth: body: expected a JSON object");
    }
    ObjectNode out = NODES.objectNode();
    ObjectNode labels = NODES.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      String refusal =
          switch (e.getKey().toLowerCase(Locale.ROOT)) {
            case "name" -> {
              out.put("Name", v.asText(""));
              yield null;
            }
            case "driver" ->
                oneOf(v, Set.of("", "bridge"), "--driver: only bridge networks are " + "allowed");
            case "scope" ->
                oneOf(v, Set.of("", "local"), "--scope: only local networks are allowed");
            case "internal", "enableipv6", "enableipv4" -> {
              if (!v.isNull()) {
                out.put(
                    e.getKey().equalsIgnoreCase("internal")
                        ? "Internal"
                        : e.getKey().equalsIgnoreCase("enableipv6") ? "EnableIPv6" : "EnableIPv4",
                    v.asBoolean(false));
              }
              yield null;
            }
            case "checkduplicate" -> null;
            case "attachable", "ingress", "configonly" ->
                v.asBoolean(false)
                    ? "--" + e.getKey().toLowerCase(Locale.ROOT) + " networks are not allowed"
                    : null;
            case "configfrom" -> v.isNull() || v.isEmpty() ? null : "--config-from is not allowed";
            case "options" ->
                v.isNull() || v.isEmpty()
                    ? null
                    : "-o/--opt: network driver options are not allowed";
            case "ipam" ->
                v.isNull()
                        || (v.path("Config").isEmpty()
                            && v.path("Options").isEmpty()
                            && Set.of("", "default").contains(v.path("Driver").asText("")))
                    ? null
                    : "--subnet/--ip-range/--gateway/--ipam-*: addresses come from the daemon's "
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
      checkBerthLabels(labels, owner, "network labels");
    } catch (Refusal r) {
      return Decision.forbidden("network_create", "berth: " + r.getMessage());
    }
    owner.labels().forEach(labels::put);
    out.put("Driver", "bridge");
    out.put("CheckDuplicate", true);
    out.set("Labels", labels);
    return new Decision.Allow(
        "network_create",
        request.withBody(new Body.Json(out)),
        List.of("labelled as yours (" + Owner.UID_LABEL + "=" + owner.uid() + ")"));
  }

  private static @Nullable String oneOf(JsonNode v, Set<String> allowed, String refusal) {
    return v.isNull() || allowed.contains(v.asText("")) ? null : refusal;
  }
}
