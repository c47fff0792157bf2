package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Small readers and checks of JSON body fields, shared by the body rules. */
final class BodyFields {
  private BodyFields() {}

  static ObjectNode object(ObjectNode parent, String field) {
    JsonNode n = parent.get(field);
    if (n instanceof ObjectNode o) {
      return o;
    }
    return parent.putObject(field);
  }

  static boolean isTrue(JsonNode node, String field) {
    return node.path(field).asBoolean(false);
  }

  static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }

  static List<String> strings(JsonNode node, String field) {
    List<String> out = new ArrayList<>();
    node.path(field).forEach(v -> out.add(v.asText()));
    return out;
  }

  static void requireOneOf(JsonNode hc, String field, Set<String> allowed, String why)
      throws Refusal {
    if (!allowed.contains(text(hc, field))) {
      throw new Refusal(why);
    }
  }

  static void requireEmpty(JsonNode hc, String field, String why) throws Refusal {
    JsonNode v = hc.get(field);
    if (v == null || v.isNull()) {
      return;
    }
    if ((v.isContainerNode() && !v.isEmpty()) || (v.isTextual() && !v.asText().isEmpty())) {
      throw new Refusal(why);
    }
  }

  /** CPUs asked for, as NanoCpus; a CFS quota counts as quota / period CPUs. */
  static long effectiveNanoCpus(JsonNode hc) {
    long nano = hc.path("NanoCpus").asLong(0);
    long quota = hc.path("CpuQuota").asLong(0);
    if (quota > 0) {
      long period = hc.path("CpuPeriod").asLong(0);
      long fromQuota = quota * 1_000_000_000L / (period > 0 ? period : 100_000L);
      return Math.max(nano, fromQuota);
    }
    return nano;
  }
}
