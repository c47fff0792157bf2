package dev.berth.policy.rules;

import static dev.berth.policy.rules.BodyFields.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.Limits;
import dev.berth.policy.Role;
import java.util.List;

/** {@code POST /containers/{id}/update}: only resources, within the role's maximums. */
final class UpdateRules {
  private UpdateRules() {}

  static Decision evaluate(Role role, CanonicalRequest request) {
    JsonNode body = ((Body.Json) request.body()).value();
    for (String field :
        List.of(
            "CgroupParent",
            "Devices",
            "DeviceCgroupRules",
            "DeviceRequests",
            "OomKillDisable",
            "BlkioWeightDevice",
            "BlkioDeviceReadBps",
            "BlkioDeviceWriteBps",
            "BlkioDeviceReadIOps",
            "BlkioDeviceWriteIOps",
            "Ulimits")) {
      JsonNode v = body.get(field);
      if (v != null
          && !v.isNull()
          && !(v.isArray() && v.isEmpty())
          && !(v.isBoolean() && !v.booleanValue())
          && !(v.isTextual() && v.asText().isEmpty())) {
        return Decision.forbidden(
            "container_update", "berth: docker update of " + field + " is not allowed");
      }
    }
    Limits limits = role.limits();
    long memory = body.path("Memory").asLong(0);
    long pids = body.path("PidsLimit").asLong(0);
    long cpus = effectiveNanoCpus(body);
    if (limits.memoryMax() > 0 && (memory > limits.memoryMax() || memory < 0)) {
      return Decision.forbidden(
          "container_update",
          "berth: --memory exceeds your role's " + "maximum of " + limits.memoryMax() + " bytes");
    }
    if (limits.nanoCpusMax() > 0 && cpus > limits.nanoCpusMax()) {
      return Decision.forbidden(
          "container_update",
          "berth: --cpus exceeds your role's maximum " + "of " + limits.nanoCpusMax() / 1e9);
    }
    if (limits.pidsMax() > 0 && (pids > limits.pidsMax() || pids < 0)) {
      return Decision.forbidden(
          "container_update",
          "berth: --pids-limit exceeds your role's " + "maximum of " + limits.pidsMax());
    }
    return new Decision.Allow("container_update", request, List.of());
  }
}
