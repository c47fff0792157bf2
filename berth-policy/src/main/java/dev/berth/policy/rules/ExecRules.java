package dev.berth.policy.rules;

import static dev.berth.policy.rules.BodyFields.*;
import static dev.berth.policy.rules.RunAs.forceUser;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.Principal;

/** {@code POST /containers/{id}/exec}: the process runs as the caller, never privileged. */
final class ExecRules {
  private ExecRules() {}

  static Decision evaluate(Principal who, CanonicalRequest request) {
    ObjectNode body = ((Body.Json) request.body()).value().deepCopy();
    if (isTrue(body, "Privileged")) {
      return Decision.forbidden(
          "exec_create", "berth: exec --privileged is not allowed; drop --privileged");
    }
    Rewrites rw = new Rewrites();
    try {
      forceUser(body, who, rw);
    } catch (Refusal r) {
      return Decision.forbidden("exec_create", "berth: " + r.getMessage());
    }
    body.put("Privileged", false);
    return new Decision.Allow("exec_create", request.withBody(new Body.Json(body)), rw.notes);
  }
}
