package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.DockerJson;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * The {@code filters} query parameter of list, prune and events endpoints, narrowed to what a
 * caller may see.
 *
 * <p>dockerd reads {@code filters} as a JSON object of filter name to either a set ({@code
 * {"label":{"a=b":true}}}) or, from old clients, a list ({@code {"label":["a=b"]}}). Label filters
 * are conjunctive on every endpoint berth narrows (an object must carry every listed label), so
 * adding berth's owner label can only narrow what the caller's own filters select. The caller's
 * filters are parsed strictly (duplicate or case-folded keys, wrong types and trailing data are
 * refused) and re-serialised in the set form.
 */
final class Filters {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Filters() {}

  /** {@code raw} (absent or "" for none) with {@code label} added to its label filters. */
  static String withLabel(Optional<String> raw, String label) throws RequestException {
    ObjectNode out = canonical(raw);
    JsonNode labels = out.get("label");
    ObjectNode l = labels instanceof ObjectNode o ? o : out.putObject("label");
    l.put(label, true);
    return new String(DockerJson.write(out), StandardCharsets.UTF_8);
  }

  /**
   * The caller's network filters selecting only the daemon's predefined networks ({@code
   * type=builtin} in place of the caller's type filter), or empty when the caller's type filter
   * excludes them.
   */
  static Optional<String> builtinNetworks(Optional<String> raw) throws RequestException {
    ObjectNode out = canonical(raw);
    JsonNode type = out.get("type");
    if (type != null && !type.has("builtin")) {
      return Optional.empty();
    }
    out.putObject("type").put("builtin", true);
    return Optional.of(new String(DockerJson.write(out), StandardCharsets.UTF_8));
  }

  /** {@code raw} (absent or "" for none) parsed strictly and written in the set form. */
  static String canonicalText(Optional<String> raw) throws RequestException {
    return new String(DockerJson.write(canonical(raw)), StandardCharsets.UTF_8);
  }

  /** {@code raw} parsed strictly, in the set form. */
  private static ObjectNode canonical(Optional<String> raw) throws RequestException {
    ObjectNode out = NODES.objectNode();
    String text = raw.orElse("");
    if (!text.isEmpty()) {
      JsonNode in = DockerJson.parse(text.getBytes(StandardCharsets.UTF_8));
      if (!in.isObject()) {
        throw RequestException.bad("filters: expected a JSON object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        ObjectNode values = out.putObject(e.getKey());
        JsonNode v = e.getValue();
        if (v.isArray()) {
          for (JsonNode item : v) {
            values.put(text(item, e.getKey()), true);
          }
        } else if (v.isObject()) {
          for (Iterator<Map.Entry<String, JsonNode>> vs = v.fields(); vs.hasNext(); ) {
            Map.Entry<String, JsonNode> item = vs.next();
            if (!item.getValue().isBoolean()) {
              throw RequestException.bad("filters: " + e.getKey() + ": expected true or false");
            }
            values.put(item.getKey(), true);
          }
        } else {
          throw RequestException.bad("filters: " + e.getKey() + ": expected a list or an object");
        }
      }
    }
    return out;
  }

  /**
   * {@code filters} (as {@link #withLabel} wrote them) where each value of the {@code keys} also
   * selects its daemon name ({@code container=web} also {@code u1001_web}): values of one key are
   * alternatives, and the owner label still narrows to the caller's objects, so the added names can
   * select nothing of anyone else's.
   */
  static String alsoAs(String filters, Set<String> keys, BinaryOperator<String> daemonName)
      throws RequestException {
    ObjectNode out = (ObjectNode) DockerJson.parse(filters.getBytes(StandardCharsets.UTF_8));
    for (String key : keys) {
      if (out.get(key) instanceof ObjectNode values) {
        List<String> given = new ArrayList<>();
        values.fieldNames().forEachRemaining(given::add);
        given.forEach(v -> values.put(daemonName.apply(key, v), true));
      }
    }
    return new String(DockerJson.write(out), StandardCharsets.UTF_8);
  }

  /** The values of {@code key} in {@code filters} (as {@link #withLabel} wrote them). */
  static List<String> values(String filters, String key) throws RequestException {
    List<String> out = new ArrayList<>();
    if (DockerJson.parse(filters.getBytes(StandardCharsets.UTF_8)).get(key)
        instanceof ObjectNode values) {
      values.fieldNames().forEachRemaining(out::add);
    }
    return out;
  }

  /** {@code filters} (as {@link #withLabel} wrote them) with {@code value} added to {@code key}. */
  static String with(String filters, String key, String value) throws RequestException {
    ObjectNode out = (ObjectNode) DockerJson.parse(filters.getBytes(StandardCharsets.UTF_8));
    JsonNode values = out.get(key);
    (values instanceof ObjectNode o ? o : out.putObject(key)).put(value, true);
    return new String(DockerJson.write(out), StandardCharsets.UTF_8);
  }

  /** {@code filters} (as {@link #withLabel} wrote them) without {@code key}. */
  static String without(String filters, String key) throws RequestException {
    ObjectNode out = (ObjectNode) DockerJson.parse(filters.getBytes(StandardCharsets.UTF_8));
    out.remove(key);
    return new String(DockerJson.write(out), StandardCharsets.UTF_8);
  }

  private static String text(JsonNode item, String key) throws RequestException {
    if (!item.isTextual()) {
      throw RequestException.bad("filters: " + key + ": expected strings");
    }
    return item.asText();
  }
}
