package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.docker.BodyKind;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.DockerSchemas;
import dev.berth.policy.docker.RouteMatch;
import dev.berth.policy.docker.RouteTable;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Decides every request, for every entry point.
 *
 * <p>Contract: {@link #evaluate} never throws and fails closed. An unknown route, a body that is
 * missing, unparsable or ambiguous, an API version berth does not judge, and any exception inside
 * a rule all end in a {@link Decision.Deny} or {@link Decision.Indeterminate}; only an explicit
 * rule produces {@link Decision.Allow}, and the Allow carries the request to forward.
 *
 * <p>Thread-safe and immutable.
 */
public final class PolicyEngine {
  /** Oldest API version berth judges; older ones had other body shapes (HostConfig on start). */
  static final String MIN_API_VERSION = "1.24";
  /** Refusals a role in audit-only mode lets through; malformed requests stay refused. */
  private static final java.util.Set<Decision.Status> AUDIT_ONLY_WAIVES = java.util.EnumSet.of(
      Decision.Status.FORBIDDEN, Decision.Status.NOT_FOUND, Decision.Status.CONFLICT);

  private final Policy policy;
  private final RouteTable routes;
  private final ContainerRules containers;
  private final OwnershipRules ownership = new OwnershipRules();

  public PolicyEngine(Policy policy, HostPaths hostPaths) {
    this.policy = requireNonNull(policy, "policy");
    this.routes = RouteTable.docker();
    this.containers = new ContainerRules(policy.profiles(), requireNonNull(hostPaths, "hostPaths"));
  }

  public Policy policy() {
    return policy;
  }

  /** The route of a request, or empty when the Docker API has no such endpoint. */
  public Optional<RouteMatch> route(CanonicalRequest head) {
    return routes.match(head.method(), head.path());
  }

  /**
   * Whether deciding this request for this caller asks the daemon about existing objects, so
   * that a caller on an event loop evaluates it elsewhere ({@link ObjectDirectory} may block).
   */
  public boolean consultsDirectory(Principal who, CanonicalRequest head) {
    return route(head).map(r -> consultsDirectory(who, r)).orElse(false);
  }

  /** The same, for a request whose route the caller has matched already. */
  public boolean consultsDirectory(Principal who, RouteMatch route) {
    if (!OwnershipRules.consultsDirectory(route.route().action())) {
      return false;
    }
    Optional<Grant> grant = policy.grantOf(who);
    return grant.isPresent() && grant.get().role().scope() != Scope.ALL;
  }

  /** Decides a request that names no existing object (or for a caller who reaches all). */
  public Decision evaluate(Principal who, CanonicalRequest head, byte[] body) {
    return evaluate(who, head, body, ObjectDirectory.UNAVAILABLE);
  }

  /**
   * Decides a request.
   *
   * @param who the caller
   * @param head the request line, already canonical
   * @param body the complete body for routes whose body is inspected ({@link BodyKind#JSON},
   *     {@link BodyKind#JSON_OPAQUE}, {@link BodyKind#NONE}); ignored for {@link BodyKind#STREAM}
   * @param objects where existing objects are looked up (see {@link #consultsDirectory})
   */
  public Decision evaluate(Principal who, CanonicalRequest head, byte[] body,
      ObjectDirectory objects) {
    return evaluate(who, head, body, objects, true);
  }

  /**
   * Decides a request that will reach the daemon exactly as sent (plugin mode): container,
   * network and volume names are not mapped into the caller's namespace ({@link PrivateNames}),
   * since neither the request nor the answer can be renamed.
   */
  public Decision evaluateAsSent(Principal who, CanonicalRequest head, byte[] body,
      ObjectDirectory objects) {
    return evaluate(who, head, body, objects, false);
  }

  private Decision evaluate(Principal who, CanonicalRequest head, byte[] body,
      ObjectDirectory objects, boolean mapNames) {
    try {
      return decide(who, head, body, objects, mapNames);
    } catch (RuntimeException e) {
      return new Decision.Indeterminate("internal_error",
          "berth could not evaluate this request (" + e.getClass().getSimpleName() + ")");
    }
  }

  private Decision decide(Principal who, CanonicalRequest head, byte[] body,
      ObjectDirectory objects, boolean mapNames) {
    Optional<RouteMatch> match = route(head);
    if (match.isEmpty()) {
      return Decision.forbidden("unknown_route", "berth: " + head.method() + " " + head.path()
          + " is not an endpoint of the Docker API that berth allows");
    }
    RouteMatch route = match.get();
    if (!head.apiVersion().isEmpty() && compareVersions(head.apiVersion(), MIN_API_VERSION) < 0) {
      return Decision.badRequest("api_version", "berth: API version " + head.apiVersion()
          + " is too old; berth accepts " + MIN_API_VERSION + " and newer");
    }
    CanonicalRequest request;
    try {
      request = head.withBody(readBody(route, body));
    } catch (RequestException e) {
      return new Decision.Deny("request_body", e.status(), "berth: " + e.getMessage());
    }
    Optional<Grant> grant = policy.grantOf(who);
    if (grant.isEmpty()) {
      return Decision.forbidden("no_role", "berth: no role is granted to " + who.name()
          + "; ask an administrator");
    }
    Role role = grant.get().role();
    Decision d = judge(who, grant.get(), route, request, objects, mapNames);
    if (role.auditOnly() && d instanceof Decision.Deny deny && AUDIT_ONLY_WAIVES.contains(
        deny.status())) {
      return new Decision.Allow("audit_only", request, java.util.List.of("audit-only: would be "
          + "refused by " + deny.rule() + ": " + deny.reason()));
    }
    return d;
  }

  /** The rules for a caller with a role, on a request whose body is parsed. */
  private Decision judge(Principal who, Grant grant, RouteMatch route, CanonicalRequest request,
      ObjectDirectory objects, boolean mapNames) {
    Role role = grant.role();
    if (!role.actions().contains(route.route().action())) {
      return Decision.forbidden("action_not_granted", "berth: " + route.route().action().id()
          + " is not granted to your role (" + role.name() + ")");
    }
    if (role.passthrough()) {
      return route.route().action() == Action.CONTAINER_CREATE
          ? nobodysContainer(request) : new Decision.Allow("passthrough", request,
          java.util.List.of());
    }
    Optional<String> refused = QueryAllowlist.firstRefused(route.route().action(),
        request.query());
    if (refused.isPresent()) {
      return Decision.forbidden("query_parameter", "berth: query parameter '" + refused.get()
          + "' is not allowed on " + route.route().action().id());
    }
    Decision d = containers.evaluate(who, grant, request, route);
    return d instanceof Decision.Allow allow
        ? ownership.evaluate(who, grant, allow, route, objects, mapNames) : d;
  }

  /**
   * An administrator's container is nobody's: a container takes its image's labels, and an image
   * a user committed (or anyone published) may carry {@code dev.berth.owner.uid}, which would
   * hand the administrator's container to that user. Unless the administrator names an owner,
   * both owner labels are set empty, which owns nothing.
   */
  private static Decision nobodysContainer(CanonicalRequest request) {
    if (!(request.body() instanceof Body.Json json) || !json.value().isObject()) {
      return new Decision.Allow("passthrough", request, java.util.List.of());
    }
    com.fasterxml.jackson.databind.node.ObjectNode body =
        (com.fasterxml.jackson.databind.node.ObjectNode) json.value().deepCopy();
    com.fasterxml.jackson.databind.node.ObjectNode labels = body.get("Labels")
        instanceof com.fasterxml.jackson.databind.node.ObjectNode o ? o : body.putObject("Labels");
    if (labels.has(Owner.UID_LABEL)) {
      return new Decision.Allow("passthrough", request, java.util.List.of());
    }
    labels.put(Owner.UID_LABEL, "");
    if (!labels.has(Owner.GID_LABEL)) {
      labels.put(Owner.GID_LABEL, "");
    }
    return new Decision.Allow("passthrough", request.withBody(new Body.Json(body)),
        java.util.List.of("owner labels set empty (an administrator's container is nobody's, "
            + "whatever its image carries)"));
  }

  private static Body readBody(RouteMatch route, byte[] body) throws RequestException {
    BodyKind kind = route.route().body();
    if (kind == BodyKind.STREAM) {
      return Body.Stream.opaque();
    }
    byte[] bytes = body == null ? new byte[0] : body;
    String text = kind == BodyKind.NONE ? new String(bytes, StandardCharsets.UTF_8).strip() : "";
    return switch (kind) {
      case NONE -> {
        if (!(text.isEmpty() || text.equals("{}") || text.equals("null"))) {
          throw RequestException.bad("this endpoint takes no request body");
        }
        yield Body.NONE;
      }
      case JSON -> {
        if (bytes.length == 0) {
          throw RequestException.bad("this endpoint needs a JSON body and none was sent");
        }
        yield new Body.Json(DockerJson.read(bytes,
            DockerSchemas.forAction(route.route().action())));
      }
      case JSON_OPAQUE -> bytes.length == 0 ? Body.NONE : new Body.Json(DockerJson.parse(bytes));
      case STREAM -> throw new AssertionError("handled above");
    };
  }

  /** Compares dotted API versions numerically ({@code 1.9 < 1.24}). */
  static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      long p = i < x.length ? Long.parseLong(x[i]) : 0;
      long q = i < y.length ? Long.parseLong(y[i]) : 0;
      if (p != q) {
        return Long.compare(p, q);
      }
    }
    return 0;
  }
}
