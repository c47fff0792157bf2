package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Owner;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The answer of {@code GET /system/df} narrowed to what one caller may see.
 *
 * <p>The daemon has no filter for this endpoint, so the answer is rewritten: containers and volumes
 * the caller may not reach are dropped, images are those the caller sees ({@link ImageAccess}) and
 * count only the caller's containers, the build cache (other users' build steps) is emptied, and
 * any field berth does not know is dropped, so that a newer daemon's additions cannot leak other
 * users' objects.
 */
final class DataUsage {
  private DataUsage() {}

  static JsonNode narrow(
      JsonNode df, Predicate<Optional<Owner>> reaches, UnaryOperator<JsonNode> seenImages) {
    if (!(df instanceof ObjectNode in)) {
      return df;
    }
    ObjectNode out = in.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      switch (e.getKey()) {
        case "LayersSize" -> out.set(e.getKey(), e.getValue());
        case "Images" -> out.set(e.getKey(), seenImages.apply(e.getValue()));
        case "Containers", "Volumes" -> out.set(e.getKey(), owned(e.getValue(), reaches));
        case "BuildCache" -> out.putArray("BuildCache");
        default -> {}
      }
    }
    if (out.get("Images") instanceof ArrayNode images) {
      Map<String, Integer> uses = new HashMap<>();
      out.path("Containers")
          .forEach(c -> uses.merge(c.path("ImageID").asText(""), 1, Integer::sum));
      ArrayNode counted = images.arrayNode();
      for (JsonNode image : images) {
        ObjectNode copy = image.deepCopy();
        if (copy.has("Containers")) {
          copy.put("Containers", uses.getOrDefault(copy.path("Id").asText(""), 0));
        }
        counted.add(copy);
      }
      out.set("Images", counted);
    }
    return out;
  }

  private static JsonNode owned(JsonNode list, Predicate<Optional<Owner>> reaches) {
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    if (!list.isArray()) {
      return out; // null or a shape berth does not know: nothing to show
    }
    for (JsonNode item : list) {
      Map<String, String> labels = new HashMap<>();
      item.path("Labels")
          .fields()
          .forEachRemaining(l -> labels.put(l.getKey(), l.getValue().asText("")));
      if (reaches.test(Owner.fromLabels(labels))) {
        out.add(item);
      }
    }
    return out;
  }
}
