package dev.berth.policy.rules;

import static dev.berth.policy.Action.*;
import static dev.berth.policy.rules.OwnershipRules.notFound;
import static dev.berth.policy.rules.OwnershipRules.reach;
import static dev.berth.policy.rules.OwnershipRules.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Ownership of networks: the network a path names, the container it connects, and the networks a
 * new container joins.
 */
final class NetworkOwnership {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;



  private NetworkOwnership() {}


  static Step onNetwork(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects, Action action) throws Refusal, LookupException, RequestException {
    String ref = segment(request, 1);
    DockerObject net = reach(objects.network(ref), who, grant)
        .orElseThrow(() -> notFound("network " + ref + " not found"));
    CanonicalRequest out = request.withSegment(1, net.id());
    if (action == NETWORK_CONNECT || action == NETWORK_DISCONNECT) {
      out = out.withBody(new Body.Json(connectBody(who, grant, request, objects, action)));
    }
    return new Step(out);
  }

  /**
   * The body of network connect and disconnect, rebuilt from the fields the API defines (keys
   * matched case-insensitively, as Go's decoder does) with the container resolved to its id.
   */
  static ObjectNode connectBody(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects, Action action) throws Refusal, LookupException, RequestException {
    JsonNode in = request.body() instanceof Body.Json j ? j.value() : NODES.objectNode();
    if (!in.isObject()) {
      throw RequestException.bad("body: expected a JSON object");
    }
    String container = "";
    ObjectNode out = NODES.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      switch (e.getKey().toLowerCase(Locale.ROOT)) {
        case "container" -> container = v.asText("");
        case "endpointconfig" -> {
          if (action == NETWORK_CONNECT && v.isObject()) {
            JsonNode opts = v.path("DriverOpts");
            if (opts.isObject() && !opts.isEmpty()) {
              throw new Refusal(Decision.Status.FORBIDDEN,
                  "endpoint driver options are not allowed");
            }
            out.set("EndpointConfig", v);
          }
        }
        case "force" -> {
          if (action == NETWORK_DISCONNECT) {
            out.put("Force", v.asBoolean(false));
          }
        }
        default -> { }
      }
    }
    out.put("Container", ContainerOwnership.container(container, who, grant, objects).id());
    return out;
  }

  /**
   * A network a new container joins. Refused with 403, not 404: the CLI takes a 404 from create
   * for a missing image and would try to pull it.
   */
  static void useNetwork(String ref, Principal who, Grant grant, ObjectDirectory objects)
      throws Refusal, LookupException {
    if (reach(objects.network(ref), who, grant).isEmpty()) {
      throw new Refusal(Decision.Status.FORBIDDEN, "network " + ref + " not found");
    }
  }
}
