package dev.berth.plugin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditLog;
import dev.berth.audit.AuditResult;
import dev.berth.audit.DecisionIds;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.docker.BodyKind;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.DockerSchemas;
import dev.berth.policy.docker.RouteMatch;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judges the daemon's AuthZReq and AuthZRes with berth's engine.
 *
 * <p>Design note. The plugin sees what the daemon chose to show it, so it refuses whatever it
 * cannot see whole: a JSON endpoint whose body did not arrive (non-JSON Content-Type, a
 * {@code Content-Length} the body does not match, chunked with nothing forwarded, bodies of
 * 1 MiB and more, which daemons before Engine 29.3.1 silently leave out: CVE-2024-41110,
 * CVE-2026-34040), streamed bodies it would have to rewrite ({@code docker cp} into a
 * container), answers it would have to filter ({@code system df}), and the endpoints that would
 * switch authorization off or bypass it ({@code /plugins}, {@code /grpc}, {@code /session}).
 * Then the engine decides exactly as for the proxy; an allow that the proxy would have
 * rewritten becomes a refusal naming the flags to add (see {@link RequiredFlags}).
 *
 * <p>Identity is the TLS client certificate's common name, which the daemon has verified
 * against its CA, resolved through NSS and checked against berth's CRL. An empty user is a
 * caller of the daemon's unix socket: never a real user, it is treated as {@code socketUser}
 * (root by default: keep that socket root-only) or refused.
 *
 * <p>Ownership: containers, volumes and networks carry the owner labels the caller had to add;
 * execs and images are claimed from the AuthZRes of their creation, before the daemon answers
 * the caller.
 */
final class PluginJudge {
  private static final Logger LOG = LoggerFactory.getLogger(PluginJudge.class);
  /** Daemons before 29.3.1 forward bodies below 1 MiB only; berth judges no more than that. */
  static final int MAX_JUDGED_BODY = 1024 * 1024 - 1;
  private static final Set<Action> NEVER = Set.of(Action.PLUGIN, Action.GRPC, Action.SESSION);

  private final Supplier<PolicyEngine> engines;
  private final UserDirectory users;
  private final ObjectDirectory objects;
  private final OwnerStore owners;
  private final AuditLog audit;
  private final Revocations revocations;
  private final Optional<String> socketUser;
  /**
   * Follow-ups of allowed requests, by request, until their AuthZRes arrives; identical
   * concurrent requests queue in arrival order.
   */
  private final Map<String, java.util.Deque<Pending>> pending = new ConcurrentHashMap<>();
  private static final long PENDING_TTL_NANOS = java.util.concurrent.TimeUnit.HOURS.toNanos(1);

  private record Pending(String decisionId, Decision.FollowUp followUp, long startedNanos) {}

  PluginJudge(Supplier<PolicyEngine> engines, UserDirectory users, ObjectDirectory objects,
      OwnerStore owners, AuditLog audit, Revocations revocations, Optional<String> socketUser) {
    this.engines = requireNonNull(engines, "engines");
    this.users = requireNonNull(users, "users");
    this.objects = requireNonNull(objects, "objects");
    this.owners = requireNonNull(owners, "owners");
    this.audit = requireNonNull(audit, "audit");
    this.revocations = requireNonNull(revocations, "revocations");
    this.socketUser = requireNonNull(socketUser, "socketUser");
  }

  /** {@code /AuthZPlugin.AuthZReq}: may the daemon run this request? */
  AuthzAnswer request(AuthzMessage m) {
    String decisionId = DecisionIds.next();
    PolicyEngine engine = engines.get();
    Principal who;
    try {
      who = identify(m);
    } catch (Refusal r) {
      record(decisionId, engine, null, m, null, "deny", "identity", r.getMessage(), List.of());
      return AuthzAnswer.denied(r.getMessage());
    }
    CanonicalRequest head;
    try {
      head = CanonicalRequest.parse(m.requestMethod(), m.requestUri());
    } catch (RequestException e) {
      String msg = "berth: " + e.getMessage();
      record(decisionId, engine, who, m, null, "deny", "request", msg, List.of());
      return AuthzAnswer.denied(msg);
    }
    Optional<RouteMatch> route = engine.route(head);
    Decision d;
    try {
      d = route.isPresent() ? pluginRefusal(route.get(), m).orElse(null) : null;
      if (d == null) {
        d = engine.evaluateAsSent(who, head, m.requestBody(), objects);
      }
      if (d instanceof Decision.Allow allow && route.isPresent()) {
        d = withoutRewrites(allow, route.get(), m, who);
      }
    } catch (RuntimeException e) {
      LOG.atError().addKeyValue("cause", e.toString()).log("plugin evaluation failed");
      d = new Decision.Indeterminate("internal_error", "berth could not evaluate this request");
    }
    String action = route.map(r -> r.route().action().id()).orElse("");
    switch (d) {
      case Decision.Allow a -> {
        record(decisionId, engine, who, m, head, "allow", a.rule(), "", a.rewrites(), action);
        remember(key(m), new Pending(decisionId, a.followUp(), System.nanoTime()));
        return AuthzAnswer.allowed();
      }
      case Decision.Deny x -> {
        record(decisionId, engine, who, m, head, "deny", x.rule(), x.reason(), List.of(), action);
        return AuthzAnswer.denied(x.reason());
      }
      case Decision.Indeterminate i -> {
        record(decisionId, engine, who, m, head, "error", i.rule(), i.detail(), List.of(),
            action);
        return AuthzAnswer.error(i.detail());
      }
    }
  }

  /**
   * {@code /AuthZPlugin.AuthZRes}: the daemon has acted. Records the result, and claims the exec
   * or image the request created for its caller, before the daemon answers the caller.
   */
  AuthzAnswer response(AuthzMessage m) {
    java.util.Deque<Pending> queue = pending.get(key(m));
    Pending p = queue == null ? null : queue.pollFirst();
    if (p == null) {
      return AuthzAnswer.allowed(); // a request refused before (nothing to claim)
    }
    audit.append(new AuditResult(p.decisionId(), m.responseStatusCode(), createdId(m),
        (System.nanoTime() - p.startedNanos()) / 1_000_000));
    if (m.responseStatusCode() / 100 != 2) {
      return AuthzAnswer.allowed();
    }
    switch (p.followUp()) {
      case Decision.FollowUp.ClaimExec c -> {
        String id = createdId(m);
        if (id.isEmpty()) {
          return AuthzAnswer.error("berth: the exec create answer names no exec");
        }
        owners.claimExec(id, c.owner());
      }
      case Decision.FollowUp.ClaimImage c -> {
        try {
          if (c.ref().isEmpty()) {
            String id = createdId(m);
            if (!id.isEmpty()) {
              owners.claimImage(id, c.owner());
            }
          } else {
            objects.image(c.ref()).filter(i -> i.tags().containsKey(c.ref()))
                .ifPresent(i -> owners.claimTag(c.ref(), i.id(), c.owner()));
          }
        } catch (ObjectDirectory.LookupException e) {
          LOG.atWarn().addKeyValue("image", c.ref()).addKeyValue("cause", e.getMessage())
              .log("image not claimed; it stays nobody's");
        }
      }
      default -> { }
    }
    return AuthzAnswer.allowed();
  }

  private Principal identify(AuthzMessage m) throws Refusal {
    String name = m.user();
    if (name.isEmpty()) {
      name = socketUser.orElseThrow(() -> new Refusal("berth: the daemon's unix socket is not "
          + "for users; connect with your TLS certificate"));
    } else {
      if (!m.userAuthNMethod().equals("TLS")) {
        throw new Refusal("berth: unknown authentication method '" + m.userAuthNMethod() + "'");
      }
      Optional<String> revoked = revocations.refusal(m.requestPeerCertificates());
      if (revoked.isPresent()) {
        throw new Refusal("berth: " + revoked.get());
      }
    }
    UserDirectory.Account a;
    try {
      String lookup = name;
      a = users.byName(name).orElseThrow(() -> new Refusal("berth: the certificate names '"
          + lookup + "', who is not a user of this host"));
    } catch (UserDirectory.LookupException e) {
      throw new Refusal("berth: cannot look up user '" + name + "': " + e.getMessage());
    }
    return new Principal(a.uid(), a.gid(), -1, a.name(), a.home(), a.groups(), -1);
  }

  /** What the plugin refuses before the engine, because it cannot see or change it whole. */
  private static Optional<Decision> pluginRefusal(RouteMatch route, AuthzMessage m) {
    Action action = route.route().action();
    if (NEVER.contains(action)) {
      return Optional.of(deny("plugin_mode", "berth: " + action.id() + " is closed in plugin "
          + "mode (it would bypass or switch off authorization)"));
    }
    String length = m.header("Content-Length");
    String chunked = m.header("Transfer-Encoding");
    long declared;
    try {
      declared = length == null ? -1 : Long.parseLong(length.strip());
    } catch (NumberFormatException e) {
      return Optional.of(deny("plugin_body", "berth: malformed Content-Length"));
    }
    int seen = m.requestBody().length;
    if (declared > MAX_JUDGED_BODY || seen > MAX_JUDGED_BODY) {
      return Optional.of(deny("plugin_body", "berth: request bodies of 1 MiB and more are not "
          + "judged in plugin mode"));
    }
    boolean bodyExpected = declared > 0 || (chunked != null && !chunked.isBlank());
    BodyKind kind = route.route().body();
    if (kind == BodyKind.STREAM) {
      if (action == Action.CONTAINER_ARCHIVE_PUT) {
        return Optional.of(deny("plugin_mode", "berth: docker cp into a container is not "
            + "available in plugin mode (berth would have to rewrite the archive); use a bind "
            + "mount of your own directory"));
      }
      return Optional.empty();
    }
    if (bodyExpected && seen == 0) {
      return Optional.of(deny("plugin_body", "berth: the daemon did not show berth the request "
          + "body (send it as Content-Type: application/json)"));
    }
    if (declared >= 0 && seen > 0 && declared != seen) {
      return Optional.of(deny("plugin_body", "berth: the body berth was shown is not the body "
          + "the request declares"));
    }
    return Optional.empty();
  }

  /**
   * An allow whose request the proxy would have rewritten: refused with the flags that make the
   * rewrite unnecessary. List filters must already name the caller's owner label.
   */
  private Decision withoutRewrites(Decision.Allow allow, RouteMatch route, AuthzMessage m,
      Principal who) {
    if (allow.rule().equals("passthrough")) {
      // Administrators' requests pass as sent (the proxy only empties the owner labels of their
      // containers; see the README's plugin mode section).
      return allow;
    }
    try {
      Optional<String> renamed = ImageRenames.needed(route.route().action(),
          CanonicalRequest.parse(m.requestMethod(), m.requestUri()), allow.forward(),
          m.requestBody());
      if (renamed.isPresent()) {
        return deny("plugin_rewrite", "berth cannot change requests in plugin mode; name the "
            + "image as the daemon knows it: " + renamed.get());
      }
    } catch (RequestException e) {
      return deny("request_target", "berth: " + e.getMessage());
    }
    if (allow.followUp() instanceof Decision.FollowUp.FilterResponse) {
      return deny("plugin_mode", "berth: " + route.route().action().id() + " is not available "
          + "in plugin mode (berth would have to filter the answer)");
    }
    List<String> flags = new java.util.ArrayList<>();
    String judgedFilters = allow.forward().query().get("filters").orElse(null);
    if (judgedFilters != null && !sameFilters(m, judgedFilters)) {
      Grant grant = engines.get().policy().grantOf(who).orElseThrow();
      flags.add("--filter label=" + (grant.shareGid() >= 0
          ? dev.berth.policy.Owner.GID_LABEL + "=" + grant.shareGid()
          : dev.berth.policy.Owner.UID_LABEL + "=" + who.uid()));
    }
    if (route.route().body() == BodyKind.JSON && allow.forward().body()
        instanceof CanonicalRequest.Body.Json judged) {
      try {
        JsonNode sent = DockerJson.read(m.requestBody(),
            DockerSchemas.forAction(route.route().action()));
        flags.addAll(RequiredFlags.missing(sent, judged.value()));
      } catch (RequestException e) {
        return deny("request_body", "berth: " + e.getMessage());
      }
    } else if (allow.forward().body() instanceof CanonicalRequest.Body.Json judged
        && m.requestBody().length > 0) {
      try {
        flags.addAll(RequiredFlags.missing(DockerJson.parse(m.requestBody()), judged.value()));
      } catch (RequestException e) {
        return deny("request_body", "berth: " + e.getMessage());
      }
    }
    if (flags.isEmpty()) {
      return allow;
    }
    return deny("plugin_rewrite", "berth cannot change requests in plugin mode; add "
        + String.join(" ", flags) + " (or use berth run, which adds them)");
  }

  /** Whether the caller's own filters already select only what berth would narrow them to. */
  private static boolean sameFilters(AuthzMessage m, String judged) {
    try {
      CanonicalRequest sent = CanonicalRequest.parse(m.requestMethod(), m.requestUri());
      Optional<String> raw = sent.query().get("filters");
      if (raw.isEmpty()) {
        return false;
      }
      JsonNode a = normalise(DockerJson.parse(raw.get().getBytes(
          java.nio.charset.StandardCharsets.UTF_8)));
      JsonNode b = normalise(DockerJson.parse(judged.getBytes(
          java.nio.charset.StandardCharsets.UTF_8)));
      return a.equals(b);
    } catch (RequestException e) {
      return false;
    }
  }

  /** Filters as name to set of values ({@code ["a"]} and {@code {"a":true}} are the same). */
  private static JsonNode normalise(JsonNode filters) {
    var out = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    filters.fields().forEachRemaining(e -> {
      var values = out.putObject(e.getKey());
      if (e.getValue().isArray()) {
        e.getValue().forEach(v -> values.put(v.asText(), true));
      } else {
        e.getValue().fieldNames().forEachRemaining(v -> values.put(v, true));
      }
    });
    return out;
  }

  private static Decision deny(String rule, String reason) {
    return new Decision.Deny(rule, Decision.Status.FORBIDDEN, reason);
  }

  private static String createdId(AuthzMessage m) {
    if (m.responseBody().length == 0) {
      return "";
    }
    try {
      JsonNode body = DockerJson.parse(m.responseBody());
      return body.path("Id").asText(body.path("Name").asText(""));
    } catch (RequestException e) {
      return "";
    }
  }

  private void remember(String key, Pending p) {
    if (pending.size() > 10_000) {
      // Answers that never came (a daemon that failed the request): forget the oldest.
      long now = System.nanoTime();
      pending.values().forEach(q -> q.removeIf(x -> now - x.startedNanos() > PENDING_TTL_NANOS));
      pending.values().removeIf(java.util.Deque::isEmpty);
    }
    pending.computeIfAbsent(key, k -> new java.util.concurrent.ConcurrentLinkedDeque<>())
        .addLast(p);
  }

  /** Request and answer share no id; the same caller, method and target pair them up. */
  private static String key(AuthzMessage m) {
    return m.user() + "\n" + m.requestMethod() + "\n" + m.requestUri();
  }

  private void record(String decisionId, PolicyEngine engine, Principal who, AuthzMessage m,
      CanonicalRequest head, String decision, String rule, String reason, List<String> rewrites) {
    record(decisionId, engine, who, m, head, decision, rule, reason, rewrites, "");
  }

  private void record(String decisionId, PolicyEngine engine, Principal who, AuthzMessage m,
      CanonicalRequest head, String decision, String rule, String reason, List<String> rewrites,
      String action) {
    audit.append(new AuditEvent(decisionId, decision, rule, reason,
        who == null ? -1 : who.uid(), who == null ? m.user() : who.name(),
        who == null ? -1 : who.gid(), -1, -1, action, m.requestMethod(),
        head == null ? "(unparsed)" : head.path(), rewrites, engine.policy().digest()));
  }

  /** A caller the plugin cannot identify. */
  private static final class Refusal extends Exception {
    Refusal(String message) {
      super(message, null, false, false);
    }
  }
}
