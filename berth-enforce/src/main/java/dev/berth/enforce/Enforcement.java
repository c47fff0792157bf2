package dev.berth.enforce;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditResult;
import dev.berth.audit.DecisionIds;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerObject;
import dev.berth.policy.DockerfileVerdict;
import dev.berth.policy.Effect;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Owner;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.PullMode;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.ApiVersions;
import dev.berth.policy.docker.DockerApi;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.ImageRef;
import dev.berth.policy.docker.ImageRefs;
import dev.berth.policy.docker.RegistryAuths;
import dev.berth.policy.docker.RouteMatch;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enforcement of one request (see {@link Enforcer}): its caller, its policy snapshot, its
 * decision id, and the steps every front end takes in this order: {@link #parse}, {@link #decide}
 * (or a refusal of the front end's own), {@link #commit}, then after forwarding {@link #claim} and
 * {@link #result}.
 */
public final class Enforcement {
  private static final Logger LOG = LoggerFactory.getLogger(Enforcement.class);
  private static final String DOCKERFILE_RULE = "image_build_dockerfile";

  /** The first engine API whose BuildKit (v0.12) applies a Solve's source policy. */
  static final String SOURCE_POLICY_API = "1.44";

  private final Enforcer core;
  private final Caller caller;
  private final PolicyEngine engine;
  private final String id = DecisionIds.next();
  private final long startedNanos = System.nanoTime();
  private String method = "?";
  private @Nullable CanonicalRequest request;
  private @Nullable RouteMatch route;
  private long decisionNanos;

  /** The caller as the engine sees them: their grant, looked up once per request. */
  private PolicyEngine.@Nullable Caller judged;

  private boolean resultDue;

  /** A push's hold and temporary tag to undo once its answer ended ({@link #release}). */
  private final AtomicReference<Decision.FollowUp.@Nullable ReleaseTag> releaseDue =
      new AtomicReference<>();

  Enforcement(Enforcer core, Caller caller, PolicyEngine engine) {
    this.core = core;
    this.caller = caller;
    this.engine = engine;
  }

  public String id() {
    return id;
  }

  public Caller caller() {
    return caller;
  }

  /** The policy this request is judged by, read once when the request arrived. */
  public PolicyEngine engine() {
    return engine;
  }

  public long startedNanos() {
    return startedNanos;
  }

  /**
   * Reads the request line as a canonical Docker API request and matches its route (once).
   *
   * @return a refusal when the line cannot be read; the caller commits it
   */
  public Optional<Decision.Deny> parse(String rawMethod, String uri) {
    method = rawMethod;
    try {
      request = CanonicalRequest.parse(rawMethod, uri);
    } catch (RequestException e) {
      return Optional.of(Refusals.request(String.valueOf(e.getMessage())));
    }
    route = engine.route(request).orElse(null);
    return Optional.empty();
  }

  /** The canonical request, once {@link #parse} succeeded. */
  public CanonicalRequest request() {
    return requireNonNull(request, "parse first");
  }

  /** The matched route, or empty for a request no route matches (the engine refuses it). */
  public Optional<RouteMatch> route() {
    return Optional.ofNullable(route);
  }

  /** Whether deciding asks the daemon who owns an object (then decide off any event loop). */
  public boolean needsLookups() {
    return caller.principal().isPresent()
        && route != null
        && judged().consultsDirectory(route, request());
  }

  private PolicyEngine.Caller judged() {
    if (judged == null) {
      judged = engine.caller(caller.principal().orElseThrow());
    }
    return judged;
  }

  /** Whether the daemon's answer names an object the request created. */
  public boolean creates() {
    return route != null && DockerApi.spec(route.route().action()).creates().isPresent();
  }

  /**
   * Decides the parsed request with this request's policy snapshot. May block on lookups (see
   * {@link #needsLookups}).
   *
   * @param body the complete body for routes whose body is judged, or null
   */
  public Decision decide(byte @Nullable [] body) {
    return decide(body, false);
  }

  /**
   * Decides as {@link #decide}, for a front end that cannot rename the request or its answer (the
   * plugin): container, network and volume names are judged as sent.
   */
  public Decision decideAsSent(byte @Nullable [] body) {
    return decide(body, true);
  }

  /**
   * The request with its body read, once (strict JSON against the action's schema: see {@link
   * PolicyEngine#read}), for a front end that cannot rewrite the request and so compares what was
   * sent with what was judged (the plugin); {@link #decideAsSent(CanonicalRequest)} judges exactly
   * this.
   *
   * @throws RequestException what is wrong with the body ({@link PolicyEngine#bodyRefused})
   */
  public CanonicalRequest readAsSent(byte @Nullable [] body) throws RequestException {
    RouteMatch matched = requireNonNull(route, "a body is read for a request with a route");
    return PolicyEngine.read(matched, request(), body);
  }

  /** Decides as {@link #decideAsSent(byte[])} a request {@link #readAsSent} read. */
  public Decision decideAsSent(CanonicalRequest read) {
    if (caller.principal().isEmpty()) {
      return Refusals.identity(caller.identityError());
    }
    long t0 = System.nanoTime();
    RouteMatch matched = requireNonNull(route, "a body is read for a request with a route");
    Decision d = judged().evaluateReadAsSent(matched, read, core.objects);
    decisionNanos = System.nanoTime() - t0;
    return d;
  }

  private Decision decide(byte @Nullable [] body, boolean asSent) {
    if (caller.principal().isEmpty()) {
      return Refusals.identity(caller.identityError());
    }
    long t0 = System.nanoTime();
    CanonicalRequest parsed = requireNonNull(request, "a request is parsed before it is decided");
    RouteMatch matched = route;
    Decision d;
    if (matched == null) {
      d =
          asSent
              ? engine.evaluateAsSent(caller.principal().get(), parsed, body, core.objects)
              : engine.evaluate(caller.principal().get(), parsed, body, core.objects);
    } else {
      PolicyEngine.Caller judging = judged();
      d =
          asSent
              ? judging.evaluateAsSent(matched, parsed, body, core.objects)
              : judging.evaluate(matched, parsed, body, core.objects);
    }
    decisionNanos = System.nanoTime() - t0;
    return d;
  }

  /**
   * Records {@code d} and completes with what the front end must do: a refusal at once; an allow of
   * a read at once (its record follows in the same group commit); any other allow only when its
   * record is durable and its effects are performed. It completes with a refusal instead when the
   * record cannot be written (503) or an effect fails.
   */
  public CompletableFuture<Decision> commit(Decision d) {
    if (!(d instanceof Decision.Allow allow)
        || allow.effects().isEmpty() && readsOnly(allow.forward(), route)) {
      record(d);
      return CompletableFuture.completedFuture(d);
    }
    CompletableFuture<Long> written = recordAwaited(d);
    CompletableFuture<Decision> out = new CompletableFuture<>();
    CompletableFuture<List<Effect>> left = effectsLeft(allow);
    written.whenComplete(
        (seq, error) -> {
          if (error != null) {
            LOG.atError()
                .addKeyValue("audit", core.auditFile())
                .addKeyValue("cause", error.toString())
                .log("audit record not written; request refused");
            Decision refusal = Refusals.auditUnavailable();
            record(refusal);
            out.complete(refusal);
          } else if (allow.effects().isEmpty()) {
            out.complete(allow);
          } else {
            left.thenAcceptAsync(effects -> out.complete(perform(allow, effects)), core.blocking);
          }
        });
    return out;
  }

  /**
   * The allow's effects that a look at the daemon, taken while the record is being made durable,
   * does not show done already ({@link Effect#foundDone}: only looks; the effects themselves are
   * performed after the record). The create of {@code docker run} waited for its network's inspect
   * after its {@code fdatasync}; now the two overlap. All of them when the look failed.
   */
  private CompletableFuture<List<Effect>> effectsLeft(Decision.Allow allow) {
    List<Effect> all = allow.effects();
    if (all.isEmpty()) {
      return CompletableFuture.completedFuture(all);
    }
    return CompletableFuture.supplyAsync(
            () -> all.stream().filter(e -> !e.foundDone(core.objects)).toList(), core.blocking)
        .exceptionally(t -> all);
  }

  /**
   * Whether the forwarded request changes nothing in the daemon, so that it may go on before its
   * record is durable (the record follows in the writer's next group commit): a {@code GET} or
   * {@code HEAD}, a container wait (a {@code POST} that only waits for a state), or an attach that
   * does not ask for the container's stdin (it only streams output, as {@code logs} does). The
   * {@code docker run} path sends both after its create; each waited for one {@code fdatasync}. An
   * attach with stdin, by {@code POST} or by {@code GET} (the websocket), writes into the container
   * and waits for its record.
   */
  static boolean readsOnly(CanonicalRequest forward, @Nullable RouteMatch route) {
    Action action = route == null ? null : route.route().action();
    if (action == Action.CONTAINER_ATTACH || action == Action.CONTAINER_ATTACH_WEBSOCKET) {
      return !forward.query().bool("stdin");
    }
    String m = forward.method();
    return m.equals("GET") || m.equals("HEAD") || action == Action.CONTAINER_WAIT;
  }

  /**
   * Performs {@code effects}, the allow's effects not found done (after its record); the allow, or
   * the refusal that replaces it.
   */
  private Decision perform(Decision.Allow allow, List<Effect> effects) {
    if (allow.followUp() instanceof Decision.FollowUp.ReleaseTag r) {
      releaseDue.set(r); // due from the first effect on, whatever happens next
    }
    for (Effect e : effects) {
      Optional<? extends Decision> refusal;
      try {
        refusal = e.perform(core.objects);
      } catch (LookupException ex) {
        refusal = Optional.of(Refusals.upstream(String.valueOf(ex.getMessage())));
      }
      if (refusal.isPresent()) {
        record(refusal.get());
        release();
        return refusal.get();
      }
    }
    return allow;
  }

  /**
   * Appends {@code d}, which nobody waits for (a refusal, a read), to the audit trail (and the log,
   * and the observer): written with the next record someone waits for or after the trail's linger.
   */
  public CompletableFuture<Long> record(Decision d) {
    return core.audit.appendLazily(event(d));
  }

  /** Appends {@code d} as {@link #record}, for a caller that waits until it is durable. */
  private CompletableFuture<Long> recordAwaited(Decision d) {
    return core.audit.append(event(d));
  }

  private AuditEvent event(Decision d) {
    Optional<Principal> p = caller.principal();
    String action = route == null ? "" : route.route().action().id();
    log(d, p);
    core.observer.decided(action, d, decisionNanos);
    String outcome =
        switch (d) {
          case Decision.Allow a -> "allow";
          case Decision.Deny x -> "deny";
          case Decision.Indeterminate i -> "error";
        };
    String reason =
        switch (d) {
          case Decision.Allow a -> "";
          case Decision.Deny x -> x.reason();
          case Decision.Indeterminate i -> i.detail();
        };
    List<String> rewrites = d instanceof Decision.Allow a ? a.rewrites() : List.of();
    return event(
        id,
        outcome,
        d.rule(),
        reason,
        request == null ? method : request.method(),
        request == null ? "(unparsed)" : request.path(),
        rewrites);
  }

  /** A decision record of the caller, with this request's action and the policy's digest. */
  private AuditEvent event(
      String decisionId,
      String outcome,
      String rule,
      String reason,
      String method,
      String path,
      List<String> notes) {
    Optional<Principal> p = caller.principal();
    return new AuditEvent(
        decisionId,
        outcome,
        rule,
        reason,
        p.map(Principal::uid).orElse(-1),
        p.map(Principal::name).orElse(caller.claimedName()),
        p.map(Principal::gid).orElse(-1),
        p.map(Principal::pid).orElse(-1),
        p.filter(x -> x.loginUid() != x.uid()).map(Principal::loginUid).orElse(-1),
        route == null ? "" : route.route().action().id(),
        method,
        path,
        notes,
        engine.policy().digest(),
        p.map(Principal::tlsSubject).orElse(""));
  }

  private void log(Decision d, Optional<Principal> p) {
    var event = d instanceof Decision.Allow ? LOG.atDebug() : LOG.atInfo();
    event
        .addKeyValue("user", p.map(Principal::name).orElse("?"))
        .addKeyValue("uid", p.map(Principal::uid).orElse(-1))
        .addKeyValue("method", request == null ? method : request.method())
        .addKeyValue("path", request == null ? "?" : request.path())
        .addKeyValue("decision", d.getClass().getSimpleName().toLowerCase(Locale.ROOT))
        .addKeyValue("rule", d.rule())
        .log("decision");
  }

  /** The request went to the daemon: a result record is due (see {@link #result}). */
  public void forwarded() {
    resultDue = true;
  }

  /**
   * Appends the daemon's result once: its status (0 when it never answered), the id of a created
   * object, and the time taken since the request arrived.
   */
  public void result(int status, String createdId) {
    if (!resultDue) {
      return;
    }
    resultDue = false;
    core.audit.appendLazily(
        new AuditResult(id, status, createdId, (System.nanoTime() - startedNanos) / 1_000_000));
  }

  /** Whether a push's hold waits for {@link #release}. */
  public boolean releaseDue() {
    return releaseDue.get() != null;
  }

  /**
   * Undoes a push's hold and temporary tag ({@link Decision.FollowUp.ReleaseTag}), once: when the
   * push's answer ended, with success or failure, when the connection closed first, or when one of
   * its effects failed. May block on the daemon (call it off any event loop). If the daemon cannot
   * be asked, the tag stays held: hidden from everyone but the caller.
   */
  public void release() {
    Decision.FollowUp.ReleaseTag r = releaseDue.getAndSet(null);
    if (r == null) {
      return;
    }
    try {
      core.objects.releaseTag(r.tag(), r.imageId());
    } catch (LookupException e) {
      LOG.atWarn()
          .addKeyValue("image", r.tag())
          .addKeyValue("cause", e.getMessage())
          .log("pushed tag not released; it stays held, hidden from other users");
    }
  }

  /**
   * Claims what a successful request created for its caller: the exec the answer names, or the
   * image now tagged (or named) by it. Runs after the decision's record; may block on a lookup.
   *
   * @throws ClaimException when the answer names no exec (the caller must not learn of it)
   */
  public void claim(Decision.FollowUp followUp, int status, String createdId)
      throws ClaimException {
    release();
    if (status / 100 != 2) {
      return;
    }
    switch (followUp) {
      case Decision.FollowUp.ClaimExec c -> {
        if (createdId.isEmpty()) {
          throw new ClaimException("an exec create answer without an Id");
        }
        core.owners.claimExec(createdId, c.owner());
      }
      case Decision.FollowUp.ClaimImage c -> {
        try {
          if (c.ref().isEmpty()) {
            if (!createdId.isEmpty()) {
              core.owners.claimImage(createdId, c.owner());
            }
          } else {
            core.objects
                .image(c.ref())
                .filter(i -> i.tags().containsKey(c.ref()))
                .ifPresent(i -> core.owners.claimTag(c.ref(), i.id(), c.owner()));
          }
        } catch (LookupException e) {
          LOG.atWarn()
              .addKeyValue("image", c.ref())
              .addKeyValue("cause", e.getMessage())
              .log("image not claimed; it stays nobody's");
        }
      }
      case Decision.FollowUp.ClaimBuild b -> {
        // The image the build's progress announced, and every tag it was asked for that points
        // at an image now (a failed build made none; its tags were judged the caller's or free).
        if (!createdId.isEmpty()) {
          core.owners.claimImage(createdId, b.owner());
        }
        for (String tag : b.tags()) {
          try {
            core.objects
                .image(tag)
                .filter(i -> i.tags().containsKey(tag))
                .ifPresent(i -> core.owners.claimTag(tag, i.id(), b.owner()));
          } catch (LookupException e) {
            LOG.atWarn()
                .addKeyValue("image", tag)
                .addKeyValue("cause", e.getMessage())
                .log("built image not claimed; it stays nobody's");
          }
        }
      }
      default -> {}
    }
  }

  /**
   * Claims what a successful load or import made for its caller: each image {@code made} names (a
   * name the answer says was loaded, or an image id) whose every tag is in the caller's namespace,
   * so that an image that also holds a shared name (the same content as a pulled image) is not
   * taken from the others. Runs after the decision's record; may block on a lookup.
   */
  public void claimMade(Decision.FollowUp.ClaimLoaded claim, int status, List<String> made) {
    if (status / 100 != 2) {
      return;
    }
    int uid = caller.principal().map(Principal::uid).orElse(-1);
    for (String ref : made) {
      try {
        Optional<DockerObject> image = core.objects.image(ref);
        if (image.isPresent()
            && image.get().tagNames().stream()
                .allMatch(t -> ImageNamespace.parse(t).map(p -> p.uid() == uid).orElse(false))) {
          core.owners.claimImage(image.get().id(), claim.owner());
        }
      } catch (LookupException e) {
        LOG.atWarn()
            .addKeyValue("image", ref)
            .addKeyValue("cause", e.getMessage())
            .log("loaded image not claimed; it stays nobody's");
      }
    }
  }

  /**
   * Records one gRPC call of the BuildKit connection this request opened (judged in berth-buildkit
   * after the hand-off): a decision record of its own, with the call's path.
   */
  public CompletableFuture<Long> recordCall(
      String path, boolean allowed, String rule, String reason, List<String> notes) {
    return recordPart("GRPC", path, allowed, rule, reason, notes);
  }

  /** A decision record of its own for a part of this request judged after its head. */
  private CompletableFuture<Long> recordPart(
      String method, String path, boolean allowed, String rule, String reason, List<String> notes) {
    return core.audit.append(
        event(DecisionIds.next(), allowed ? "allow" : "deny", rule, reason, method, path, notes));
  }

  /**
   * Judges the Dockerfile held from the caller's classic build context (may block: it asks the
   * daemon about images; run it off any event loop) and records the verdict: an allow names each
   * judged reference, and completes only once its record is durable, so the daemon gets the
   * context's end (and builds) only after the record; a refusal completes at once (its record
   * follows in the writer's next group commit) and must end the request.
   *
   * <p>When the Dockerfile names registry images to pull first ({@link DockerfileVerdict.Pull}),
   * that verdict and each pull's allow (the caller's own {@code docker pull}, as the engine judged
   * it) are recorded, then, once durable, berth pulls them ({@link Effect.PullImage}, with the
   * build's credentials for each registry), claims them as a pull's answer would, and judges the
   * Dockerfile again with nothing more to pull: what the daemon gets is that second verdict. A
   * failed pull completes with {@link DockerfileVerdict.PullFailed} (recorded as a refusal).
   *
   * @param refresh whether the build asked for {@code --pull}
   * @param registryConfig the build request's {@code X-Registry-Config} ("" for none)
   */
  public CompletableFuture<DockerfileVerdict> judgeDockerfile(
      byte[] content, String buildArgs, boolean refresh, String registryConfig) {
    Optional<Principal> p = caller.principal();
    if (p.isEmpty()) {
      return recorded(new DockerfileVerdict.Refused(Refusals.identity(caller.identityError())));
    }
    DockerfileVerdict v =
        engine.dockerfile(
            p.get(),
            content,
            buildArgs,
            refresh ? PullMode.REFRESH : PullMode.MISSING,
            core.objects);
    if (!(v instanceof DockerfileVerdict.Pull pull)) {
      return recorded(v);
    }
    CompletableFuture<Long> written =
        recordPart("POST", dockerfilePath(), true, DOCKERFILE_RULE, "", pull.judged());
    for (Decision.Allow a : pull.pulls()) {
      written =
          written.thenCombine(
              recordPart("POST", a.forward().target(), true, a.rule(), "", a.rewrites()),
              (x, y) -> y);
    }
    return written.thenComposeAsync(
        seq -> pullThenJudge(p.get(), pull, content, buildArgs, registryConfig), core.blocking);
  }

  private CompletableFuture<DockerfileVerdict> pullThenJudge(
      Principal who,
      DockerfileVerdict.Pull pull,
      byte[] content,
      String buildArgs,
      String registryConfig) {
    for (Decision.Allow a : pull.pulls()) {
      String from = a.forward().query().get("fromImage").orElse("");
      String tag = a.forward().query().get("tag").orElse("");
      String image = ImageRef.ofPull(from, tag).toString();
      Effect.PullImage effect =
          new Effect.PullImage(from, tag, RegistryAuths.forImage(registryConfig, image));
      Optional<Decision.Deny> failed;
      try {
        failed = effect.perform(core.objects);
      } catch (LookupException e) {
        failed = Optional.of(Refusals.upstream(String.valueOf(e.getMessage())));
      }
      if (failed.isPresent()) {
        Decision.Deny d = failed.get();
        recordPart("POST", a.forward().target(), false, d.rule(), d.reason(), List.of());
        return CompletableFuture.completedFuture(new DockerfileVerdict.PullFailed(d.reason()));
      }
      try {
        claim(a.followUp(), 200, "");
      } catch (ClaimException e) {
        LOG.atWarn().addKeyValue("image", image).log("pulled image not claimed");
      }
    }
    return recorded(engine.dockerfile(who, content, buildArgs, PullMode.NONE, core.objects));
  }

  /**
   * Records a Dockerfile verdict: a refusal completes at once, an allow once its record is durable.
   */
  private CompletableFuture<DockerfileVerdict> recorded(DockerfileVerdict v) {
    return switch (v) {
      case DockerfileVerdict.Refused r -> {
        record(r.refusal());
        yield CompletableFuture.completedFuture(v);
      }
      case DockerfileVerdict.Forward f ->
          recordPart("POST", dockerfilePath(), true, DOCKERFILE_RULE, "", f.judged())
              .thenApply(seq -> v);
      case DockerfileVerdict.Pull pull -> {
        // a second judgement that still needs a pull: the image vanished in between
        Decision.Deny d =
            new Decision.Deny(
                DOCKERFILE_RULE,
                Decision.Status.CONFLICT,
                "berth: the images this build names changed while berth pulled them; build again");
        record(d);
        yield CompletableFuture.completedFuture(new DockerfileVerdict.Refused(d));
      }
      case DockerfileVerdict.PullFailed failed -> CompletableFuture.completedFuture(v);
    };
  }

  private String dockerfilePath() {
    return (request == null ? "/build" : request.path()) + " (Dockerfile)";
  }

  /**
   * The daemon's name for the image name {@code name} the caller's BuildKit build exports ({@link
   * PolicyEngine#buildTag}).
   *
   * @throws IllegalArgumentException with the reason when the name cannot be the caller's
   */
  public String buildTag(String name) {
    Principal p =
        caller
            .principal()
            .orElseThrow(() -> new IllegalArgumentException("you could not be identified"));
    return engine.buildTag(p, name);
  }

  /**
   * Why the daemon's BuildKit may not run the caller's builds, or empty when it may (issue 13).
   * Only an engine whose BuildKit applies the source policy berth sends with each Solve (engine API
   * {@value #SOURCE_POLICY_API} and later, BuildKit 0.12) confines a build to what its caller may
   * read; an older one (Debian's 20.10) reads whatever the build names, in ways berth cannot see in
   * any request: a name assembled from build-args ({@code FROM ${REG}/...}), a base image's {@code
   * ONBUILD COPY --from=}. The classic builder is mediated on every engine. Asks the daemon, so
   * never on an event loop.
   */
  public Optional<String> buildKitRefusal() {
    String api;
    try {
      api = core.objects.apiVersion();
    } catch (LookupException e) {
      return Optional.of(
          "berth could not ask the daemon which BuildKit it runs ("
              + e.getMessage()
              + "); try again, or build with the classic builder: DOCKER_BUILDKIT=0 docker build");
    }
    if (ApiVersions.compare(api, SOURCE_POLICY_API) >= 0) {
      return Optional.empty();
    }
    return Optional.of(
        "BuildKit on this engine (API "
            + api
            + " < "
            + SOURCE_POLICY_API
            + ") cannot be confined to your own images; build with the classic builder:"
            + " DOCKER_BUILDKIT=0 docker build ... (DOCKER_BUILDKIT=0 docker compose build), or ask"
            + " your administrator for a newer engine (Docker 25 or later)");
  }

  /** Claims an image a BuildKit build exported, and its names, for {@code owner}. */
  public void claimBuilt(String imageId, List<String> names, Owner owner) {
    core.owners.claimImage(imageId, owner);
    names.forEach(n -> core.owners.claimTag(ImageRefs.familiar(n), imageId, owner));
  }

  /** Whether claiming after {@code followUp} may ask the daemon (then claim off any loop). */
  public static boolean claimLooksUp(Decision.FollowUp followUp) {
    return followUp instanceof Decision.FollowUp.ClaimImage
        || followUp instanceof Decision.FollowUp.ClaimBuild
        || followUp instanceof Decision.FollowUp.ReleaseTag
        || followUp instanceof Decision.FollowUp.ClaimLoaded;
  }

  /** The id of the object a create answer names ({@code Id}, or a volume's {@code Name}), or "". */
  public static String createdId(byte[] answer) {
    if (answer == null || answer.length == 0) {
      return "";
    }
    try {
      JsonNode json = DockerJson.parse(answer);
      return json.path("Id").asText(json.path("Name").asText(""));
    } catch (RequestException e) {
      return ""; // not the JSON a create answers with (or cut where berth stopped keeping it)
    }
  }

  /** A created object that cannot be claimed; the caller must not learn of it. */
  public static final class ClaimException extends Exception {
    ClaimException(String message) {
      super(message, null, false, false);
    }
  }
}
