package dev.berth.plugin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.enforce.Caller;
import dev.berth.enforce.Enforcement;
import dev.berth.enforce.Enforcer;
import dev.berth.enforce.Refusals;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Effect;
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Owner;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.docker.BodyKind;
import dev.berth.policy.docker.DockerApi;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.PluginMode;
import dev.berth.policy.docker.RouteMatch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judges the daemon's AuthZReq and AuthZRes with berth's engine.
 *
 * <p>Design note. The plugin sees what the daemon chose to show it, so it refuses whatever it
 * cannot see whole: a JSON endpoint whose body did not arrive (non-JSON Content-Type, a {@code
 * Content-Length} the body does not match, chunked with nothing forwarded, bodies of 1 MiB and
 * more, which daemons before Engine 29.3.1 silently leave out: CVE-2024-41110, CVE-2026-34040),
 * streamed bodies it would have to rewrite ({@code docker cp} into a container), answers it would
 * have to filter ({@code system df}), and the endpoints that would switch authorization off or
 * bypass it ({@code /plugins}, {@code /grpc}, {@code /session}). Then the engine decides exactly as
 * for the proxy; an allow that the proxy would have rewritten becomes a refusal naming the flags to
 * add (see {@link RequiredFlags}).
 *
 * <p>Identity is the TLS client certificate's common name, which the daemon has verified against
 * its CA, resolved through NSS and checked against berth's CRL. An empty user is a caller of the
 * daemon's unix socket: never a real user, it is treated as {@code socketUser} (root by default:
 * keep that socket root-only) or refused.
 *
 * <p>Enforcement is the proxy's ({@link Enforcer}): one policy snapshot per request, and an allow
 * of a state-changing request is answered only once its audit record is durable, since the daemon
 * acts as soon as it reads the answer. The record names the certificate subject the daemon
 * verified.
 *
 * <p>Ownership: containers, volumes and networks carry the owner labels the caller had to add;
 * execs and images are claimed from the AuthZRes of their creation, before the daemon answers the
 * caller.
 */
final class PluginJudge {
  private static final Logger LOG = LoggerFactory.getLogger(PluginJudge.class);

  /** Daemons before 29.3.1 forward bodies below 1 MiB only; berth judges no more than that. */
  static final int MAX_JUDGED_BODY = 1024 * 1024 - 1;

  private final Enforcer core;
  private final UserDirectory users;
  private final Revocations revocations;
  private final Optional<String> socketUser;

  /**
   * Follow-ups of allowed requests, by request, until their AuthZRes arrives; identical concurrent
   * requests queue in arrival order.
   */
  private final Map<String, Deque<Pending>> pending = new ConcurrentHashMap<>();

  private static final long PENDING_TTL_NANOS = TimeUnit.HOURS.toNanos(1);

  private record Pending(Enforcement enforcement, Decision.FollowUp followUp) {
    long startedNanos() {
      return enforcement.startedNanos();
    }
  }

  PluginJudge(
      Supplier<PolicyEngine> engines,
      UserDirectory users,
      ObjectDirectory objects,
      OwnerStore owners,
      AuditLog audit,
      Revocations revocations,
      Optional<String> socketUser) {
    // Judging runs on a virtual thread per request, so effects may run where they are due.
    this.core =
        new Enforcer(engines, audit, objects, owners, Runnable::run, Enforcer.Observer.NONE);
    this.users = requireNonNull(users, "users");
    this.revocations = requireNonNull(revocations, "revocations");
    this.socketUser = requireNonNull(socketUser, "socketUser");
  }

  /**
   * {@code /AuthZPlugin.AuthZReq}: may the daemon run this request? An allow of a state-changing
   * request is answered only once its record is durable (the daemon acts on the answer).
   */
  AuthzAnswer request(AuthzMessage m) {
    Enforcement e = core.begin(identify(m));
    if (e.caller().principal().isEmpty()) {
      return answer(e.commit(Refusals.identity(e.caller().identityError())).join());
    }
    Optional<Decision.Deny> unreadable = e.parse(m.requestMethod(), m.requestUri());
    if (unreadable.isPresent()) {
      return answer(e.commit(unreadable.get()).join());
    }
    Decision d;
    try {
      d = e.route().flatMap(r -> pluginRefusal(r, m)).orElse(null);
      if (d == null) {
        d = e.route().isPresent() ? decideOnce(e, m) : e.decideAsSent(m.requestBody());
      }
    } catch (RuntimeException ex) {
      LOG.atError().addKeyValue("cause", ex.toString()).log("plugin evaluation failed");
      d = new Decision.Indeterminate("internal_error", "berth could not evaluate this request");
    }
    Decision outcome = e.commit(d).join();
    if (outcome instanceof Decision.Allow a) {
      remember(key(m), new Pending(e, a.followUp()));
    }
    return answer(outcome);
  }

  /**
   * Reads the body once, judges it, and compares what was sent with what was judged (the daemon
   * acts on what was sent).
   */
  private static Decision decideOnce(Enforcement e, AuthzMessage m) {
    CanonicalRequest sent;
    try {
      sent = e.readAsSent(m.requestBody());
    } catch (RequestException ex) {
      return PolicyEngine.bodyRefused(ex);
    }
    Decision d = e.decideAsSent(sent);
    return d instanceof Decision.Allow allow ? withoutRewrites(allow, e, sent) : d;
  }

  private static AuthzAnswer answer(Decision d) {
    return switch (d) {
      case Decision.Allow a -> AuthzAnswer.allowed();
      case Decision.Deny x -> AuthzAnswer.denied(x.reason());
      case Decision.Indeterminate i -> AuthzAnswer.error(i.detail());
    };
  }

  /**
   * {@code /AuthZPlugin.AuthZRes}: the daemon has acted. Records the result, and claims the exec or
   * image the request created for its caller, before the daemon answers the caller.
   */
  AuthzAnswer response(AuthzMessage m) {
    Deque<Pending> queue = pending.get(key(m));
    Pending p = queue == null ? null : queue.pollFirst();
    if (p == null) {
      return AuthzAnswer.allowed(); // a request refused before (nothing to claim)
    }
    String created = Enforcement.createdId(m.responseBody());
    p.enforcement().result(m.responseStatusCode(), created);
    try {
      p.enforcement().claim(p.followUp(), m.responseStatusCode(), created);
    } catch (Enforcement.ClaimException ex) {
      return AuthzAnswer.error("berth: the exec create answer names no exec");
    }
    return AuthzAnswer.allowed();
  }

  /** The caller the daemon names, checked against the CRL and resolved through NSS. */
  private Caller identify(AuthzMessage m) {
    try {
      return Caller.of(principal(m));
    } catch (Refusal r) {
      return Caller.unidentified(m.user(), String.valueOf(r.getMessage()));
    }
  }

  private Principal principal(AuthzMessage m) throws Refusal {
    String name = m.user();
    if (name.isEmpty()) {
      name =
          socketUser.orElseThrow(
              () ->
                  new Refusal(
                      "berth: the daemon's unix socket is not "
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
      a =
          users
              .byName(name)
              .orElseThrow(
                  () ->
                      new Refusal(
                          "berth: the certificate names '"
                              + lookup
                              + "', who is not a user of this host"));
    } catch (UserDirectory.LookupException e) {
      throw new Refusal("berth: cannot look up user '" + name + "': " + e.getMessage());
    }
    String subject =
        m.user().isEmpty() ? "" : PeerCertificates.subject(m.requestPeerCertificates());
    return new Principal(a.uid(), a.gid(), -1, a.name(), a.home(), a.groups(), -1, subject);
  }

  /** What the plugin refuses before the engine, because it cannot see or change it whole. */
  private static Optional<Decision> pluginRefusal(RouteMatch route, AuthzMessage m) {
    Action action = route.route().action();
    PluginMode mode = DockerApi.spec(action).plugin();
    if (mode == PluginMode.CLOSED) {
      return Optional.of(
          deny(
              "plugin_mode",
              "berth: "
                  + action.id()
                  + " is closed in plugin "
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
      return Optional.of(
          deny(
              "plugin_body",
              "berth: request bodies of 1 MiB and more are not " + "judged in plugin mode"));
    }
    boolean bodyExpected = declared > 0 || (chunked != null && !chunked.isBlank());
    BodyKind kind = route.route().body();
    if (kind == BodyKind.STREAM) {
      if (mode == PluginMode.CLOSED_STREAM_REWRITE) {
        return Optional.of(
            deny(
                "plugin_mode",
                "berth: docker cp into a container is not "
                    + "available in plugin mode (berth would have to rewrite the archive); use a bind "
                    + "mount of your own directory"));
      }
      return Optional.empty();
    }
    if (bodyExpected && seen == 0) {
      return Optional.of(
          deny(
              "plugin_body",
              "berth: the daemon did not show berth the request "
                  + "body (send it as Content-Type: application/json)"));
    }
    if (declared >= 0 && seen > 0 && declared != seen) {
      return Optional.of(
          deny(
              "plugin_body",
              "berth: the body berth was shown is not the body " + "the request declares"));
    }
    return Optional.empty();
  }

  /**
   * An allow whose request the proxy would have rewritten: refused with the flags that make the
   * rewrite unnecessary. List filters must already name the caller's owner label.
   */
  private static Decision withoutRewrites(
      Decision.Allow allow, Enforcement e, CanonicalRequest sent) {
    RouteMatch route = e.route().orElseThrow();
    Principal who = e.caller().principal().orElseThrow();
    if (allow.rule().equals("passthrough")) {
      // Administrators' requests pass as sent (the proxy only empties the owner labels of their
      // containers; see the README's plugin mode section).
      return allow;
    }
    if (allow.forward().body() instanceof CanonicalRequest.Body.Stream s
        && s.buildContext().isPresent()) {
      // The daemon does not show a plugin the build context, so berth could not read the
      // Dockerfile's FROM / COPY --from: another user's image would be a base (issue 13).
      return deny(
          "plugin_mode",
          "berth: docker build with the classic builder is not available in plugin mode (the"
              + " daemon shows a plugin no build context, so berth could not check which images"
              + " the Dockerfile builds from); build through berth's socket (proxy mode)");
    }
    if (allow.forward().body() instanceof CanonicalRequest.Body.Stream s && !s.keepsLength()) {
      // The daemon does not show an authorization plugin a streamed body, so berth could neither
      // read nor rewrite the archive's tags (see ImageArchiveNames).
      return deny(
          "plugin_mode",
          "berth: docker load is not available in plugin mode (berth would have to write the "
              + "archive's tags into your namespace as it streams); load through berth's socket "
              + "(proxy mode)");
    }
    if (allow.followUp() instanceof Decision.FollowUp.ClaimBuild
        || allow.effects().stream().anyMatch(Effect.EnsureNetwork.class::isInstance)) {
      // A build's steps would run on the shared bridge with the caller's own labels and limits:
      // berth chooses the build network, labels and limits, and claims the image from the
      // build's progress stream, none of which a plugin can do.
      return deny(
          "plugin_mode",
          "berth: "
              + route.route().action().id()
              + " is not available "
              + "in plugin mode (berth would have to choose the build's network and limits and "
              + "claim the image it makes); build through berth's socket (proxy mode)");
    }
    if (allow.followUp() instanceof Decision.FollowUp.ReleaseTag) {
      // The daemon would have to hold the name the user gave for the push's duration, tagged and
      // untagged by berth around the request, which a plugin cannot do.
      return deny(
          "plugin_mode",
          "berth: docker push of an image you made is not available in plugin mode (berth would"
              + " have to tag it for the push's duration); push through berth's socket (proxy"
              + " mode)");
    }
    Optional<String> renamed = ImageRenames.needed(route.route().action(), sent, allow.forward());
    if (renamed.isPresent()) {
      return deny(
          "plugin_rewrite",
          "berth cannot change requests in plugin mode; name the "
              + "image as the daemon knows it: "
              + renamed.get());
    }
    if (allow.followUp() instanceof Decision.FollowUp.FilterResponse) {
      return deny(
          "plugin_mode",
          "berth: "
              + route.route().action().id()
              + " is not available "
              + "in plugin mode (berth would have to filter the answer)");
    }
    List<String> flags = new ArrayList<>();
    String judgedFilters = allow.forward().query().get("filters").orElse(null);
    if (judgedFilters != null && !sameFilters(sent, judgedFilters)) {
      Grant grant = e.engine().policy().grantOf(who).orElseThrow();
      flags.add(
          "--filter label="
              + (grant.shareGid() >= 0
                  ? Owner.GID_LABEL + "=" + grant.shareGid()
                  : Owner.UID_LABEL + "=" + who.uid()));
    }
    if (sent.body() instanceof CanonicalRequest.Body.Json given
        && allow.forward().body() instanceof CanonicalRequest.Body.Json judged) {
      flags.addAll(RequiredFlags.missing(given.value(), judged.value()));
    }
    if (flags.isEmpty()) {
      return allow;
    }
    return deny(
        "plugin_rewrite",
        "berth cannot change requests in plugin mode; add "
            + String.join(" ", flags)
            + " (or use berth run, which adds them)");
  }

  /** Whether the caller's own filters already select only what berth would narrow them to. */
  private static boolean sameFilters(CanonicalRequest sent, String judged) {
    try {
      Optional<String> raw = sent.query().get("filters");
      if (raw.isEmpty()) {
        return false;
      }
      JsonNode a = normalise(DockerJson.parse(raw.get().getBytes(StandardCharsets.UTF_8)));
      JsonNode b = normalise(DockerJson.parse(judged.getBytes(StandardCharsets.UTF_8)));
      return a.equals(b);
    } catch (RequestException e) {
      return false;
    }
  }

  /** Filters as name to set of values ({@code ["a"]} and {@code {"a":true}} are the same). */
  private static JsonNode normalise(JsonNode filters) {
    var out = JsonNodeFactory.instance.objectNode();
    filters
        .fields()
        .forEachRemaining(
            e -> {
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

  private void remember(String key, Pending p) {
    if (pending.size() > 10_000) {
      // Answers that never came (a daemon that failed the request): forget the oldest.
      long now = System.nanoTime();
      pending.values().forEach(q -> q.removeIf(x -> now - x.startedNanos() > PENDING_TTL_NANOS));
      pending.values().removeIf(Deque::isEmpty);
    }
    pending.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).addLast(p);
  }

  /** Request and answer share no id; the same caller, method and target pair them up. */
  private static String key(AuthzMessage m) {
    return m.user() + "\n" + m.requestMethod() + "\n" + m.requestUri();
  }

  /** A caller the plugin cannot identify. */
  private static final class Refusal extends Exception {
    Refusal(String message) {
      super(message, null, false, false);
    }
  }
}
