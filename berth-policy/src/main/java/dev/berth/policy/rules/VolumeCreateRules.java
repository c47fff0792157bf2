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

/** {@code POST /volumes/create}: a local volume labelled for its owner. */
final class VolumeCreateRules {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private VolumeCreateRules() {}

  static Decision evaluate(Owner owner, CanonicalRequest request) {
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
            return Decision.forbidden(
                "volume_create",
                "berth: volume driver '" + v.asText() + "' is not allowed; use the local driver");
          }
        }
        case "driveropts" -> {
          if (!v.isNull() && !v.isEmpty()) {
            return Decision.forbidden(
                "volume_create",
                "berth: volume driver options (-o) are "
                    + "not allowed: a local volume with o=bind is a host bind mount");
          }
        }
        default -> {}
      }
    }
    if (out.has("Labels") && !out.get("Labels").isObject() && !out.get("Labels").isNull()) {
      return Decision.badRequest("volume_create", "berth: body: Labels: expected an object");
    }
    ObjectNode labels =
        out.has("Labels") && out.get("Labels").isObject()
            ? (ObjectNode) out.get("Labels")
            : out.putObject("Labels");
    try {
      checkBerthLabels(labels, owner, "volume labels");
    } catch (Refusal r) {
      return Decision.forbidden("volume_create", "berth: " + r.getMessage());
    }
    owner.labels().forEach(labels::put);
    return new Decision.Allow(
        "volume_create",
        request.withBody(new Body.Json(out)),
        List.of("labelled as yours (" + Owner.UID_LABEL + "=" + owner.uid() + ")"));
  }
}
