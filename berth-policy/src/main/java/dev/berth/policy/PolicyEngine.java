package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.docker.ActionSpec;
import dev.berth.policy.docker.ApiVersions;
import dev.berth.policy.docker.BodyKind;
import dev.berth.policy.docker.DockerApi;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.DockerSchemas;
import dev.berth.policy.docker.ImageRef;
import dev.berth.policy.docker.Ownership;
import dev.berth.policy.docker.QueryParam;
import dev.berth.policy.docker.RouteMatch;
import dev.berth.policy.docker.RouteTable;
import dev.berth.policy.rules.BodyRules;
import dev.berth.policy.rules.BuildRules;
import dev.berth.policy.rules.DockerfileRules;
import dev.berth.policy.rules.ImageFilters;
import dev.berth.policy.rules.ImagePolicyRules;
import dev.berth.policy.rules.OwnershipRules;
import dev.berth.policy.rules.PrivateNames;
import dev.berth.policy.rules.ProtectedRepositories;
import dev.berth.policy.rules.QueryAllowlist;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Decides every request, for every entry point.
 *
 * <p>Contract: {@link #evaluate} never throws and fails closed. An unknown route, a body that is
 * missing, unparsable or ambiguous, an API version berth does not judge, and any exception inside a
 * rule all end in a {@link Decision.Deny} or {@link Decision.Indeterminate}; only an explicit rule
 * produces {@link Decision.Allow}, and the Allow carries the request to forward.
 *
 * <p>Design note. A request is decided in one pass on one policy: the caller matches the route once
 * ({@link #route}) and takes the caller's {@link Caller} once (the grant, looked up once on this
 * engine's policy), then asks {@link Caller#consultsDirectory} and {@link Caller#evaluate} with
 * them. Deciding has no side effects: the directory is only read, and what berth must do on the
 * daemon before forwarding (create a named volume for its owner) is planned as an {@link Effect} on
 * the Allow, performed by the enforcement core once the decision is recorded.
 *
 * <p>Thread-safe and immutable.
 */
public final class PolicyEngine {
  /** Refusals a role in audit-only mode lets through; malformed requests stay refused. */
  private static final Set<Decision.Status> AUDIT_ONLY_WAIVES =
      EnumSet.of(Decision.Status.FORBIDDEN, Decision.Status.NOT_FOUND, Decision.Status.CONFLICT);

  private final Policy policy;
  private final RouteTable routes;
  private final BodyRules bodies;
  private final OwnershipRules ownership = new OwnershipRules();
  private final BuildRules builds = new BuildRules();

  /** An engine on this host's processes, batch jobs and routes. */
  public PolicyEngine(Policy policy, HostPaths hostPaths) {
    this(policy, hostPaths, HostJobs.local(), HostRoutes.local());
  }

  /** An engine on this host's routes ({@link HostRoutes#local()}) and the given jobs. */
  public PolicyEngine(Policy policy, HostPaths hostPaths, HostJobs hostJobs) {
    this(policy, hostPaths, hostJobs, HostRoutes.local());
  }

  /** An engine on this host's batch jobs ({@link HostJobs#local()}) and the given routes. */
  public PolicyEngine(Policy policy, HostPaths hostPaths, HostRoutes hostRoutes) {
    this(policy, hostPaths, HostJobs.local(), hostRoutes);
  }

  public PolicyEngine(
      Policy policy, HostPaths hostPaths, HostJobs hostJobs, HostRoutes hostRoutes) {
    this.policy = requireNonNull(policy, "policy");
    this.routes = RouteTable.docker();
    this.bodies =
        new BodyRules(
            policy.profiles(),
            requireNonNull(hostPaths, "hostPaths"),
            requireNonNull(hostJobs, "hostJobs"),
            requireNonNull(hostRoutes, "hostRoutes"));
  }

  public Policy policy() {
    return policy;
  }

  /** The route of a request, or empty when the Docker API has no such endpoint. */
  public Optional<RouteMatch> route(CanonicalRequest head) {
    return routes.match(head.method(), head.path());
  }

  /** A caller of this engine, with their grant looked up once on this engine's policy. */
  public Caller caller(Principal who) {
    return new Caller(who, policy.grantOf(who));
  }

  /**
   * Whether deciding this request for this caller asks the daemon about existing objects, so that a
   * caller on an event loop evaluates it elsewhere ({@link ObjectDirectory} may block).
   */
  public boolean consultsDirectory(Principal who, CanonicalRequest head) {
    return route(head).map(r -> caller(who).consultsDirectory(r, head)).orElse(false);
  }

  /** The same, for a request whose route the caller has matched already. */
  public boolean consultsDirectory(Principal who, RouteMatch route) {
    return caller(who).consultsDirectory(route);
  }

  /** Decides a request that names no existing object (or for a caller who reaches all). */
  public Decision evaluate(Principal who, CanonicalRequest head, byte @Nullable [] body) {
    return evaluate(who, head, body, ObjectDirectory.UNAVAILABLE);
  }

  /**
   * Decides a request.
   *
   * @param who the caller
   * @param head the request line, already canonical
   * @param body the complete body for routes whose body is inspected ({@link BodyKind#JSON}, {@link
   *     BodyKind#JSON_OPAQUE}, {@link BodyKind#NONE}); ignored for {@link BodyKind#STREAM}
   * @param objects where existing objects are looked up, and only looked up (see {@link
   *     #consultsDirectory})
   */
  public Decision evaluate(
      Principal who, CanonicalRequest head, byte @Nullable [] body, ObjectDirectory objects) {
    return evaluate(who, head, body, objects, false);
  }

  /**
   * Decides a request that will reach the daemon exactly as sent (plugin mode): container, network
   * and volume names are not mapped into the caller's namespace ({@link
   * dev.berth.policy.rules.PrivateNames}), since neither the request nor the answer can be renamed.
   */
  public Decision evaluateAsSent(
      Principal who, CanonicalRequest head, byte @Nullable [] body, ObjectDirectory objects) {
    return evaluate(who, head, body, objects, true);
  }

  private Decision evaluate(
      Principal who,
      CanonicalRequest head,
      byte @Nullable [] body,
      ObjectDirectory objects,
      boolean asSent) {
    Optional<RouteMatch> match;
    try {
      match = route(head);
    } catch (RuntimeException e) {
      return internalError(e);
    }
    if (match.isEmpty()) {
      return Decision.forbidden(
          "unknown_route",
          "berth: "
              + head.method()
              + " "
              + head.path()
              + " is not an endpoint of the Docker API that berth allows");
    }
    Caller caller;
    try {
      caller = caller(who);
    } catch (RuntimeException e) {
      return internalError(e);
    }
    return asSent
        ? caller.evaluateAsSent(match.get(), head, body, objects)
        : caller.evaluate(match.get(), head, body, objects);
  }

  /** Decides a request whose route the caller has matched already ({@link #route}). */
  public Decision evaluate(
      Principal who,
      RouteMatch route,
      CanonicalRequest head,
      byte @Nullable [] body,
      ObjectDirectory objects) {
    Caller caller;
    try {
      caller = caller(who);
    } catch (RuntimeException e) {
      return internalError(e);
    }
    return caller.evaluate(route, head, body, objects);
  }

  /**
   * One caller of this engine: who they are and the grant this engine's policy gives them, looked
   * up once. Every question about one request goes through one {@code Caller}, so that a request is
   * decided on one policy, whatever reloads happen meanwhile.
   */
  public final class Caller {
    private final Principal who;
    private final Optional<Grant> grant;

    private Caller(Principal who, Optional<Grant> grant) {
      this.who = requireNonNull(who, "who");
      this.grant = grant;
    }

    public Principal who() {
      return who;
    }

    /** The caller's grant, or empty when no binding gives them a role. */
    public Optional<Grant> grant() {
      return grant;
    }

    /** The engine (and so the policy) this caller is judged by. */
    public PolicyEngine engine() {
      return PolicyEngine.this;
    }

    /**
     * Whether deciding a request on {@code route} asks the daemon about existing objects (see
     * {@link PolicyEngine#consultsDirectory(Principal, CanonicalRequest)}), or about its default
     * address pools (a network create under a role that names none).
     */
    public boolean consultsDirectory(RouteMatch route) {
      Action action = route.route().action();
      return grant.isPresent()
          && (DockerApi.spec(action).ownership().consultsDirectory()
                  && grant.get().role().scope() != Scope.ALL
              || ImagePolicyRules.consultsDirectory(grant.get().role(), action)
              || action == Action.NETWORK_CREATE
                  && grant.get().role().allow().addressPools().isEmpty());
    }

    /**
     * {@link #consultsDirectory(RouteMatch)}, or this request's filters name images berth resolves
     * for the caller ({@link ImageFilters#resolvesImages}: {@code docker ps -f ancestor=}).
     */
    public boolean consultsDirectory(RouteMatch route, CanonicalRequest head) {
      return consultsDirectory(route)
          || grant.isPresent()
              && grant.get().role().scope() != Scope.ALL
              && ImageFilters.resolvesImages(route.route().action(), head);
    }

    /**
     * Decides a request on its matched route; never throws (see {@link PolicyEngine}).
     *
     * @param route the request's route, as {@link PolicyEngine#route} matched it
     * @param head the request line, already canonical
     * @param body as for {@link PolicyEngine#evaluate(Principal, CanonicalRequest, byte[],
     *     ObjectDirectory)}
     * @param objects where existing objects are looked up; deciding never writes to it
     */
    public Decision evaluate(
        RouteMatch route, CanonicalRequest head, byte @Nullable [] body, ObjectDirectory objects) {
      return evaluate(route, head, body, objects, true);
    }

    /**
     * Decides as {@link #evaluate(RouteMatch, CanonicalRequest, byte[], ObjectDirectory)} a request
     * that reaches the daemon exactly as sent (plugin mode): names are judged as sent.
     */
    public Decision evaluateAsSent(
        RouteMatch route, CanonicalRequest head, byte @Nullable [] body, ObjectDirectory objects) {
      return evaluate(route, head, body, objects, false);
    }

    private Decision evaluate(
        RouteMatch route,
        CanonicalRequest head,
        byte @Nullable [] body,
        ObjectDirectory objects,
        boolean mapNames) {
      try {
        return decide(this, route, head, body, objects, mapNames);
      } catch (RuntimeException e) {
        return internalError(e);
      }
    }

    /**
     * Decides as {@link #evaluateAsSent(RouteMatch, CanonicalRequest, byte[], ObjectDirectory)} a
     * request whose body {@link PolicyEngine#read} has read: the body is not read again, so what
     * the front end compares with the judged request is what was judged.
     */
    public Decision evaluateReadAsSent(
        RouteMatch route, CanonicalRequest read, ObjectDirectory objects) {
      try {
        Optional<Decision> old = tooOld(read);
        return old.isPresent() ? old.get() : judgeRead(this, route, read, objects, false);
      } catch (RuntimeException e) {
        return internalError(e);
      }
    }
  }

  /**
   * Reads a request's body the one way every decision reads it: a JSON body strictly and against
   * its action's schema (duplicate or case-variant keys, trailing data and wrong types refused), a
   * body-less endpoint's body as empty, a stream as opaque.
   *
   * @throws RequestException what is wrong with the body (the decision refuses it as {@code
   *     request_body}, with the exception's status)
   */
  public static CanonicalRequest read(
      RouteMatch route, CanonicalRequest head, byte @Nullable [] body) throws RequestException {
    return head.withBody(readBody(route, body));
  }

  private static Optional<Decision> tooOld(CanonicalRequest head) {
    if (!head.apiVersion().isEmpty()
        && ApiVersions.compare(head.apiVersion(), ApiVersions.MIN) < 0) {
      return Optional.of(
          Decision.badRequest(
              "api_version",
              "berth: API version "
                  + head.apiVersion()
                  + " is too old; berth accepts "
                  + ApiVersions.MIN
                  + " and newer"));
    }
    return Optional.empty();
  }

  private static Decision internalError(RuntimeException e) {
    return new Decision.Indeterminate(
        "internal_error",
        "berth could not evaluate this request (" + e.getClass().getSimpleName() + ")");
  }

  private Decision decide(
      Caller caller,
      RouteMatch route,
      CanonicalRequest head,
      byte @Nullable [] body,
      ObjectDirectory objects,
      boolean mapNames) {
    Optional<Decision> old = tooOld(head);
    if (old.isPresent()) {
      return old.get();
    }
    CanonicalRequest request;
    try {
      request = read(route, head, body);
    } catch (RequestException e) {
      return bodyRefused(e);
    }
    return judgeRead(caller, route, request, objects, mapNames);
  }

  /** The refusal of a body {@link #read} could not read. */
  public static Decision.Deny bodyRefused(RequestException e) {
    return new Decision.Deny("request_body", e.status(), "berth: " + e.getMessage());
  }

  private Decision judgeRead(
      Caller caller,
      RouteMatch route,
      CanonicalRequest request,
      ObjectDirectory objects,
      boolean mapNames) {
    Principal who = caller.who();
    if (caller.grant().isEmpty()) {
      return Decision.forbidden(
          "no_role", "berth: no role is granted to " + who.name() + "; ask an administrator");
    }
    Grant grant = caller.grant().get();
    Role role = grant.role();
    Decision d = withDroppedFields(request, judge(who, grant, route, request, objects, mapNames));
    if (mapNames && d instanceof Decision.Allow a) {
      d = a.withAnswerNames(PrivateNames.of(who, grant).answerNames(route.route().action()));
    }
    if (role.auditOnly()
        && d instanceof Decision.Deny deny
        && AUDIT_ONLY_WAIVES.contains(deny.status())) {
      return new Decision.Allow(
          "audit_only",
          request,
          List.of("audit-only: would be " + "refused by " + deny.rule() + ": " + deny.reason()));
    }
    return d;
  }

  /**
   * An allowed request whose body as sent had fields berth does not know, with one note per field:
   * the daemon accepts such a field in some API version, berth judged the body without it, and the
   * record says it was not forwarded (issue 12: dropped with a note, never a silent change).
   */
  private static Decision withDroppedFields(CanonicalRequest request, Decision d) {
    if (!(request.body() instanceof Body.Json json)
        || json.dropped().isEmpty()
        || !(d instanceof Decision.Allow a)) {
      return d;
    }
    List<String> notes = new ArrayList<>(a.rewrites());
    for (String field : json.dropped()) {
      notes.add(
          "body field " + field + " dropped: berth does not judge it, so it is not forwarded");
    }
    return new Decision.Allow(a.rule(), a.forward(), notes, a.followUp(), a.effects());
  }

  /** The rules for a caller with a role, on a request whose body is parsed. */
  private Decision judge(
      Principal who,
      Grant grant,
      RouteMatch route,
      CanonicalRequest request,
      ObjectDirectory objects,
      boolean mapNames) {
    Role role = grant.role();
    ActionSpec spec = DockerApi.spec(route.route().action());
    if (!role.actions().contains(spec.action())) {
      if (spec.action() == Action.PLUGIN
          && request.method().equals("GET")
          && route.route().template().equals("/plugins/{name*}/json")) {
        // docker inspect NAME tries every kind of object, plugins last; to a role without
        // plugins there are none, so the daemon's own answer for a missing one (moby
        // plugin/store.go: 404 'plugin "x" not found') lets the CLI say "No such object".
        return new Decision.Deny(
            "plugin_not_visible",
            Decision.Status.NOT_FOUND,
            "plugin \"" + route.param("name") + "\" not found");
      }
      Optional<Decision> noSwarm = noSwarm(spec, route, objects);
      if (noSwarm.isPresent()) {
        return noSwarm.get();
      }
      return Decision.forbidden(
          "action_not_granted",
          "berth: "
              + UserCommands.describe(spec.action())
              + " is not granted to your role ("
              + role.name()
              + ")");
    }
    if (role.passthrough()) {
      return spec.action() == Action.CONTAINER_CREATE
          ? nobodysContainer(request)
          : new Decision.Allow("passthrough", request, List.of());
    }
    Optional<String> refused =
        QueryAllowlist.firstRefused(spec, request.apiVersion(), request.query());
    if (refused.isPresent()) {
      String why =
          spec.param(refused.get(), request.apiVersion())
              .map(QueryParam::note)
              .map(n -> ": " + n)
              .orElse("");
      return Decision.forbidden(
          "query_parameter",
          "berth: query parameter '"
              + refused.get()
              + "' is not allowed on "
              + spec.action().id()
              + why);
    }
    switch (spec.action()) {
      case IMAGE_BUILD -> {
        return imagePolicy(
            who, grant, spec.action(), builds.evaluate(who, grant, request), objects);
      }
      case IMAGE_BUILD_CANCEL -> {
        return BuildRules.cancel();
      }
      case GRPC, SESSION -> {
        // The upgrade itself names nothing; berth-buildkit judges every call inside it.
        return imagePolicy(
            who,
            grant,
            spec.action(),
            new Decision.Allow(
                "buildkit_mediated", request, List.of("BuildKit calls judged one by one")),
            objects);
      }
      default -> {}
    }
    List<String> dropped = new ArrayList<>();
    request =
        request.withQuery(
            QueryAllowlist.withoutDropped(spec, request.apiVersion(), request.query(), dropped));
    Decision d = bodies.evaluate(who, grant, request, route, objects);
    if (d instanceof Decision.Allow allow) {
      d = ownership.evaluate(who, grant, allow, route, objects, mapNames);
    }
    if (d instanceof Decision.Allow && spec.action() == Action.IMAGE_CREATE) {
      Optional<Decision.Deny> intoProtected =
          ProtectedRepositories.pull(policy.protectedRepositories(), grant, request);
      if (intoProtected.isPresent()) {
        return intoProtected.get();
      }
    }
    d = imagePolicy(who, grant, spec.action(), d, objects);
    if (!dropped.isEmpty() && d instanceof Decision.Allow a) {
      dropped.addAll(a.rewrites());
      return new Decision.Allow(a.rule(), a.forward(), dropped, a.followUp(), a.effects());
    }
    return d;
  }

  /** An allowed request judged by the caller's image rules ({@link ImagePolicyRules}). */
  private static Decision imagePolicy(
      Principal who, Grant grant, Action action, Decision d, ObjectDirectory objects) {
    return d instanceof Decision.Allow a
        ? ImagePolicyRules.evaluate(who, grant, action, a, objects)
        : d;
  }

  /**
   * Without a swarm, the daemon answers every swarm endpoint with 503 (moby {@code daemon/cluster}:
   * {@code errNoSwarm} for leave, {@code errNoManager} for the rest), and clients rely on it: SDK
   * teardowns call {@code swarm/leave?force=1} and take "not part of a swarm" as success. To a role
   * without swarm actions berth gives the same answer when the node is in no swarm (asked, never
   * assumed); otherwise, or when it cannot tell, the refusal stands.
   */
  private static Optional<Decision> noSwarm(
      ActionSpec spec, RouteMatch route, ObjectDirectory objects) {
    if (spec.ownership() != Ownership.SWARM_STATE) {
      return Optional.empty();
    }
    try {
      if (objects.inSwarm()) {
        return Optional.empty();
      }
    } catch (ObjectDirectory.LookupException e) {
      return Optional.empty();
    }
    String message =
        route.route().template().equals("/swarm/leave")
            ? "This node is not part of a swarm"
            : "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm "
                + "join\" to connect this node to swarm and try again.";
    return Optional.of(new Decision.Deny("no_swarm", Decision.Status.UNAVAILABLE, message));
  }

  /**
   * An administrator's container is nobody's: a container takes its image's labels, and an image a
   * user committed (or anyone published) may carry {@code dev.berth.owner.uid}, which would hand
   * the administrator's container to that user. Unless the administrator names an owner, both owner
   * labels are set empty, which owns nothing.
   */
  private static Decision nobodysContainer(CanonicalRequest request) {
    if (!(request.body() instanceof Body.Json json) || !json.value().isObject()) {
      return new Decision.Allow("passthrough", request, List.of());
    }
    ObjectNode body = (ObjectNode) json.value().deepCopy();
    ObjectNode labels = body.get("Labels") instanceof ObjectNode o ? o : body.putObject("Labels");
    if (labels.has(Owner.UID_LABEL)) {
      return new Decision.Allow("passthrough", request, List.of());
    }
    labels.put(Owner.UID_LABEL, "");
    if (!labels.has(Owner.GID_LABEL)) {
      labels.put(Owner.GID_LABEL, "");
    }
    return new Decision.Allow(
        "passthrough",
        request.withBody(new Body.Json(body)),
        List.of(
            "owner labels set empty (an administrator's container is nobody's, "
                + "whatever its image carries)"));
  }

  private static Body readBody(RouteMatch route, byte @Nullable [] body) throws RequestException {
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
        List<String> dropped = new ArrayList<>();
        ObjectNode value =
            DockerJson.read(bytes, DockerSchemas.forAction(route.route().action()), dropped);
        yield new Body.Json(value, dropped);
      }
      case JSON_OPAQUE -> bytes.length == 0 ? Body.NONE : new Body.Json(DockerJson.parse(bytes));
      case STREAM -> throw new AssertionError("handled above");
    };
  }

  /**
   * The daemon's name for the image name {@code name} a BuildKit build of {@code who} exports: the
   * builder's private name ({@link BuiltImages#daemonTags}, as for classic builds and {@code docker
   * tag}); administrators' names as given.
   *
   * @throws IllegalArgumentException with the reason when {@code name} cannot be the caller's
   */
  public String buildTag(Principal who, String name) {
    Grant grant =
        policy
            .grantOf(who)
            .orElseThrow(() -> new IllegalArgumentException("no role is granted to " + who.name()));
    if (ImageNamespace.isReserved(name)) {
      throw new IllegalArgumentException(
          "the name " + name + " is under " + ImageNamespace.REGISTRY + ", which is berth's");
    }
    return BuiltImages.daemonTags(List.of(name), who, grant).getFirst();
  }

  /**
   * Judges the Dockerfile of {@code who}'s classic build, held from its context ({@link
   * DockerfileRules}): what to forward in its place, the pulls to make first, or the refusal. Each
   * pull is decided as {@code who}'s own {@code docker pull} of the image ({@link #pullRequest}),
   * except that the role's image rules judge it for {@code build}, not {@code pull} ({@link
   * ImagePolicyRules#forBuild}, before the pull is planned): a base the rules allow building from
   * is pulled for the build as BuildKit would pull it, and a name allowed only for pull and run is
   * not.
   */
  public DockerfileVerdict dockerfile(
      Principal who, byte[] content, String buildArgs, PullMode mode, ObjectDirectory objects) {
    Optional<Grant> grant = policy.grantOf(who);
    if (grant.isEmpty()) {
      return new DockerfileVerdict.Refused(
          Decision.forbidden(
              "image_build_dockerfile", "berth: no role is granted to " + who.name()));
    }
    return DockerfileRules.judge(
        content,
        buildArgs,
        who,
        grant.get(),
        objects,
        mode,
        image -> pullForBuild(who, grant.get(), image, objects));
  }

  /** {@code who}'s pull of {@code image} for a build: every rule of a pull but the image rules. */
  private Decision pullForBuild(Principal who, Grant grant, String image, ObjectDirectory objects) {
    CanonicalRequest pull = pullRequest(image);
    Grant judged = new Grant(grant.role().withImages(ImagePolicy.ANY), grant.shareGid());
    Caller caller = new Caller(who, Optional.of(judged));
    return route(pull)
        .map(r -> caller.evaluate(r, pull, null, objects))
        .orElseGet(() -> evaluate(who, pull, null, objects));
  }

  /**
   * {@code POST /images/create} of the canonical image name {@code image}, as the CLI's {@code
   * docker pull} sends it: the repository as {@code fromImage}, its tag or digest as {@code tag}.
   */
  static CanonicalRequest pullRequest(String image) {
    ImageRef ref = ImageRef.parse(image);
    try {
      return CanonicalRequest.parse(
          "POST",
          "/images/create?fromImage="
              + URLEncoder.encode(ref.name(), StandardCharsets.UTF_8)
              + "&tag="
              + URLEncoder.encode(ref.pinned() ? ref.digest() : ref.tag(), StandardCharsets.UTF_8));
    } catch (RequestException e) {
      throw new IllegalArgumentException("not an image name: " + image, e);
    }
  }
}
