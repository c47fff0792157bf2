package dev.berth.buildkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.berth.policy.ImagePolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import moby.buildkit.v1.ControlOuterClass;
import moby.buildkit.v1.frontend.Gateway;
import org.jspecify.annotations.Nullable;
import pb.Ops;

/**
 * Judges each gRPC request of a BuildKit build on {@code /grpc} (the client calls the daemon).
 *
 * <p>Design note. Default deny on {@code (service, method)}: only what a stock {@code docker build}
 * with buildx needs (buildkit {@code client/build.go}, {@code client/solve.go}; buildx {@code
 * build/build.go}) is listed. Each message is decoded with BuildKit's own schema, any field the
 * schema does not know is refused ({@link UnknownFields}), and a message berth changes is
 * re-encoded from the judged object (never the client's bytes). The rules, by call:
 *
 * <ul>
 *   <li>{@code Control/Solve}: refused first when the caller's engine check says so ({@link
 *       BuildCaller.EngineCheck}: engines whose BuildKit ignores source policies, before API 1.44,
 *       would read whatever a build names, in ways berth cannot see: a name assembled from
 *       build-args, a base image's {@code ONBUILD} triggers); nothing has reached the daemon then
 *       but the session. Otherwise a fresh ref, claimed for the caller ({@link BuildOwners}); the
 *       session (and source-policy session) the caller's own; entitlements none (the daemon grants
 *       {@code network.host} and {@code device} to every client by default, berth grants no role
 *       either, and {@code security.insecure} never); the Dockerfile frontend (or buildx's
 *       gateway-forwarder mode, no definition, or {@code gateway.v0} with a frontend image the
 *       caller's role pins, {@link FrontendPins}), its options judged by {@link FrontendAttrs};
 *       exporters {@code moby}/{@code image} only, without push, their {@code name} tags written in
 *       the builder's namespace like {@code docker tag}'s ({@link TagJudge}): berth judges and
 *       forwards the rewritten names; no cache imports or exports, frontend inputs, source
 *       policies, session exporter or proxy network; berth's own source policy is set ({@link
 *       ImageSourcePolicy}): the image rules, other users' images, and URLs and git repositories
 *       outside the role's {@code allow.build_remote} ({@link RemoteSources}).
 *   <li>{@code Control/Status}, {@code ListenBuildHistory} (with {@code Ref}): the caller's own ref
 *       only; {@code DiskUsage}, {@code Prune}, {@code UpdateBuildHistory}, {@code Control/Session}
 *       and the content store are refused (they show or change every user's builds and cache).
 *   <li>{@code LLBBridge/*}: the {@code buildid} metadata must be the caller's ref (the forwarder
 *       is looked up by it alone, buildkit {@code control/gateway/gateway.go}); {@code
 *       LLBBridge/Solve} follows the Solve rules; a raw definition may not use cache mounts or host
 *       networking; interactive containers ({@code NewContainer}, {@code ExecProcess}) are refused.
 * </ul>
 */
public final class CallJudge {
  static final String CONTROL = "/moby.buildkit.v1.Control/";
  static final String BRIDGE = "/moby.buildkit.v1.frontend.LLBBridge/";

  /** LLBBridge calls a build needs, all bound to the caller's build id. */
  private static final Set<String> BRIDGE_READS =
      Set.of(
          "ResolveImageConfig",
          "ResolveSourceMeta",
          "ReadFile",
          "ReadDir",
          "StatFile",
          "Evaluate",
          "Ping",
          "Return",
          "Inputs",
          "Warn");

  private static final Set<String> EXPORTERS = Set.of("moby", "image");
  private static final Set<String> EXPORTER_ATTRS =
      Set.of("name", "push", "push-by-digest", "prefer-image-digest");

  private final BuildOwners owners;

  public CallJudge(BuildOwners owners) {
    this.owners = owners;
  }

  /** Whether berth would pass this method on at all (before its message arrives). */
  public static boolean known(String path) {
    return message(path).isPresent();
  }

  /**
   * Judges one request message.
   *
   * @param caller who calls, with the rules of their role
   * @param path the HTTP/2 {@code :path}, {@code /package.Service/Method}
   * @param buildId the call's {@code buildid} metadata (empty when absent)
   * @param bytes the message (one gRPC frame's payload, uncompressed)
   */
  public Verdict judge(BuildCaller caller, String path, String buildId, byte[] bytes) {
    int uid = caller.uid();
    Optional<Message> prototype = message(path);
    if (prototype.isEmpty()) {
      return new Verdict.Refuse(
          Verdict.UNIMPLEMENTED,
          "buildkit_method",
          "berth: " + path + " is not allowed through berth");
    }
    Message m;
    try {
      m = prototype.get().getParserForType().parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return new Verdict.Refuse(
          Verdict.INVALID_ARGUMENT,
          "buildkit_message",
          "berth: " + path + ": the message does not decode (" + e.getMessage() + ")");
    }
    Optional<String> unknown = UnknownFields.first(m);
    if (unknown.isPresent()) {
      return new Verdict.Refuse(
          Verdict.INVALID_ARGUMENT,
          "buildkit_unknown_field",
          "berth: " + path + ": " + unknown.get() + " is not known to berth");
    }
    if (path.startsWith(BRIDGE)) {
      Optional<Verdict> refused = ownRef(buildId, uid, "buildid");
      if (refused.isPresent()) {
        return refused.get();
      }
    }
    return switch (m) {
      case ControlOuterClass.SolveRequest s -> solve(caller, s);
      case ControlOuterClass.StatusRequest s ->
          ownRef(s.getRef(), uid, "Status").orElse(forward(bytes));
      case ControlOuterClass.BuildHistoryRequest h -> history(uid, h, bytes);
      case Gateway.SolveRequest s -> bridgeSolve(caller, s);
      default -> forward(bytes);
    };
  }

  /** The request type of a method berth passes, by path. */
  private static Optional<Message> message(String path) {
    if (path.startsWith(CONTROL)) {
      return Optional.ofNullable(
          switch (path.substring(CONTROL.length())) {
            case "Solve" -> ControlOuterClass.SolveRequest.getDefaultInstance();
            case "Status" -> ControlOuterClass.StatusRequest.getDefaultInstance();
            case "ListWorkers" -> ControlOuterClass.ListWorkersRequest.getDefaultInstance();
            case "Info" -> ControlOuterClass.InfoRequest.getDefaultInstance();
            case "ListenBuildHistory" -> ControlOuterClass.BuildHistoryRequest.getDefaultInstance();
            default -> null;
          });
    }
    if (path.startsWith(BRIDGE)) {
      String method = path.substring(BRIDGE.length());
      if (method.equals("Solve")) {
        return Optional.of(Gateway.SolveRequest.getDefaultInstance());
      }
      if (!BRIDGE_READS.contains(method)) {
        return Optional.empty();
      }
      return Optional.of(
          switch (method) {
            case "ResolveImageConfig" -> Gateway.ResolveImageConfigRequest.getDefaultInstance();
            case "ResolveSourceMeta" -> Gateway.ResolveSourceMetaRequest.getDefaultInstance();
            case "ReadFile" -> Gateway.ReadFileRequest.getDefaultInstance();
            case "ReadDir" -> Gateway.ReadDirRequest.getDefaultInstance();
            case "StatFile" -> Gateway.StatFileRequest.getDefaultInstance();
            case "Evaluate" -> Gateway.EvaluateRequest.getDefaultInstance();
            case "Ping" -> Gateway.PingRequest.getDefaultInstance();
            case "Return" -> Gateway.ReturnRequest.getDefaultInstance();
            case "Inputs" -> Gateway.InputsRequest.getDefaultInstance();
            default -> Gateway.WarnRequest.getDefaultInstance();
          });
    }
    return Optional.empty();
  }

  private static Verdict forward(byte[] bytes) {
    return new Verdict.Forward(bytes, "");
  }

  /** Refused unless {@code ref} is the caller's; not yet when nobody has claimed it so far. */
  private Optional<Verdict> ownRef(String ref, int uid, String what) {
    if (ref.isEmpty()) {
      return Optional.of(
          Verdict.denied("buildkit_ref", what + " needs the ref of one of your " + "builds"));
    }
    Optional<Integer> owner = owners.refOwner(ref);
    if (owner.isEmpty()) {
      return Optional.of(new Verdict.NotYet("build " + ref));
    }
    return owner.get() == uid
        ? Optional.empty()
        : Optional.of(Verdict.denied("buildkit_ref", what + ": build " + ref + " is not yours"));
  }

  private Verdict history(int uid, ControlOuterClass.BuildHistoryRequest h, byte[] bytes) {
    if (h.getRef().isEmpty() || h.getActiveOnly() || h.getFilterCount() > 0) {
      return Verdict.denied(
          "buildkit_history",
          "the build history lists every user's builds; "
              + "only the history of one of your own builds (by ref) is allowed");
    }
    return ownRef(h.getRef(), uid, "ListenBuildHistory").orElse(forward(bytes));
  }

  private Verdict solve(BuildCaller caller, ControlOuterClass.SolveRequest s) {
    Optional<String> engine = caller.engine().refusal();
    if (engine.isPresent()) {
      return Verdict.denied("buildkit_engine", engine.get());
    }
    int uid = caller.uid();
    ImagePolicy images = caller.images();
    if (s.getRef().isEmpty()) {
      return Verdict.denied("buildkit_solve", "a Solve needs a ref");
    }
    Predicate<String> mine = id -> owners.sessionOwner(id).map(o -> o == uid).orElse(false);
    if (!s.getSession().isEmpty() && owners.sessionOwner(s.getSession()).isEmpty()) {
      return new Verdict.NotYet("session " + s.getSession());
    }
    List<String> problems = new ArrayList<>();
    if (!s.getSession().isEmpty() && !mine.test(s.getSession())) {
      problems.add("the Solve names a session that is not yours");
    }
    if (!s.getSourcePolicySession().isEmpty() && !mine.test(s.getSourcePolicySession())) {
      problems.add("the source-policy session is not yours");
    }
    if (!s.getSourcePolicySession().isEmpty() && images.restricts()) {
      problems.add("a source-policy session is not allowed under your role's image rules");
    }
    entitlements(s.getEntitlementsList(), problems);
    if (s.getProxyNetwork()) {
      problems.add(
          "the proxy network (build egress through the daemon's host network) is not " + "allowed");
    }
    if (s.getEnableSessionExporter()) {
      problems.add("session exporters are not allowed");
    }
    if (s.getFrontendInputsCount() > 0) {
      problems.add("frontend inputs are not allowed");
    }
    if (s.hasSourcePolicy() && s.getSourcePolicy().getRulesCount() > 0) {
      problems.add("source policies are not allowed");
    }
    if (s.hasCache() && !s.getCache().equals(ControlOuterClass.CacheOptions.getDefaultInstance())) {
      problems.add("cache imports and exports (--cache-from, --cache-to) are not allowed");
    }
    frontend(
        s.getFrontend(),
        s.getFrontendAttrsMap(),
        caller,
        s.hasDefinition() ? s.getDefinition() : null,
        problems);
    List<ControlOuterClass.Exporter> exporters = exporters(s, caller.tags(), problems);
    FrontendAttrs.Judged attrs =
        FrontendAttrs.judge(s.getFrontendAttrsMap(), caller, mine, s.getFrontend(), false);
    if (attrs.refusal() != null) {
      problems.add(attrs.refusal());
    }
    if (!problems.isEmpty()) {
      return Verdict.denied("buildkit_solve", problems.getFirst());
    }
    if (!owners.claimRef(s.getRef(), uid)) {
      return Verdict.denied("buildkit_ref", "build ref " + s.getRef() + " is someone else's");
    }
    ControlOuterClass.SolveRequest.Builder out =
        s.toBuilder()
            .clearFrontendAttrs()
            .putAllFrontendAttrs(attrs.attrs())
            .clearExporters()
            .addAllExporters(exporters);
    if (!s.getExporterDeprecated().isEmpty()) {
      out.clearExporterAttrsDeprecated()
          .putAllExporterAttrsDeprecated(exporters.getFirst().getAttrsMap());
    }
    String note = "cache mounts namespaced, owner labels set, image names yours";
    if (images.restricts()) {
      note +=
          "; image rules for build sent as a source policy ("
              + String.join(", ", ImageSourcePolicy.names(images))
              + ")";
    }
    if (caller.namespaced()) {
      note += "; other users' images denied as build sources";
    }
    if (caller.remote().restricted()) {
      note += "; http, https and git sources denied but under allow.build_remote";
    }
    if (images.restricts() || caller.namespaced() || caller.remote().restricted()) {
      out.setSourcePolicy(ImageSourcePolicy.of(images, caller.namespaced(), caller.remote()));
    }
    return new Verdict.Forward(out.build().toByteArray(), note);
  }

  private Verdict bridgeSolve(BuildCaller caller, Gateway.SolveRequest s) {
    List<String> problems = new ArrayList<>();
    Predicate<String> mine =
        id -> owners.sessionOwner(id).map(o -> o == caller.uid()).orElse(false);
    frontend(
        s.getFrontend(),
        s.getFrontendOptMap(),
        caller,
        s.hasDefinition() ? s.getDefinition() : null,
        problems);
    if (s.getCacheImportsCount() > 0) {
      problems.add("cache imports (--cache-from) are not allowed");
    }
    if (s.getFrontendInputsCount() > 0 && !s.getFrontend().equals("dockerfile.v0")) {
      problems.add("frontend inputs are not allowed");
    }
    if (s.getSourcePoliciesCount() > 0) {
      problems.add("source policies are not allowed");
    }
    FrontendAttrs.Judged attrs =
        FrontendAttrs.judge(
            s.getFrontendOptMap(), caller, mine, s.getFrontend(), s.getFrontendInputsCount() > 0);
    if (attrs.refusal() != null) {
      problems.add(attrs.refusal());
    }
    if (!problems.isEmpty()) {
      return Verdict.denied("buildkit_solve", problems.getFirst());
    }
    Gateway.SolveRequest out =
        s.getFrontend().isEmpty()
            ? s
            : s.toBuilder().clearFrontendOpt().putAllFrontendOpt(attrs.attrs()).build();
    return new Verdict.Forward(out.toByteArray(), "");
  }

  private static void entitlements(List<String> asked, List<String> problems) {
    for (String e : asked) {
      String name = e.split("=", 2)[0];
      problems.add(
          switch (name) {
            case "security.insecure" -> "the security.insecure entitlement is never allowed";
            case "network.host" ->
                "the network.host entitlement (--network host, RUN "
                    + "--network=host) is not granted to your role";
            case "device" -> "the device entitlement (RUN --device) is not granted to your role";
            default -> "the entitlement " + e + " is not allowed";
          });
    }
  }

  /**
   * The built-in Dockerfile frontend, a frontend image the caller's role pins ({@code gateway.v0}
   * with its {@code source}), buildx's gateway-forwarder mode (no frontend, no definition), or a
   * definition without cache mounts or non-sandbox network and security (its sources are judged by
   * the Solve's source policy).
   */
  private static void frontend(
      String frontend,
      Map<String, String> attrs,
      BuildCaller caller,
      Ops.@Nullable Definition def,
      List<String> problems) {
    FrontendPins pins = caller.pins();
    if (frontend.equals("dockerfile.v0")) {
      return;
    }
    if (frontend.equals("gateway.v0")) {
      pins.refusal(attrs.getOrDefault("source", ""), "the build").ifPresent(problems::add);
      return;
    }
    if (!frontend.isEmpty()) {
      problems.add(
          "the frontend "
              + frontend
              + " is not allowed (the built-in Dockerfile "
              + "frontend, or a frontend image an administrator pinned)");
      return;
    }
    if (def == null) {
      return;
    }
    for (ByteString raw : def.getDefList()) {
      Ops.Op op;
      try {
        op = Ops.Op.parseFrom(raw);
      } catch (InvalidProtocolBufferException e) {
        problems.add("a build definition op does not decode");
        return;
      }
      Optional<String> unknown = UnknownFields.first(op);
      if (unknown.isPresent()) {
        problems.add("build definition: " + unknown.get() + " is not known to berth");
        return;
      }
      if (op.hasExec()) {
        Ops.ExecOp exec = op.getExec();
        if (exec.getNetwork() != Ops.NetMode.UNSET && exec.getNetwork() != Ops.NetMode.NONE) {
          problems.add("build definition: a step asks for the host network");
        }
        if (exec.getSecurity() != Ops.SecurityMode.SANDBOX) {
          problems.add("build definition: a step asks for insecure mode");
        }
        for (Ops.Mount mount : exec.getMountsList()) {
          if (mount.getMountType() == Ops.MountType.CACHE) {
            problems.add(
                "build definition: cache mounts are allowed only through the "
                    + "Dockerfile frontend (which namespaces them per user)");
          }
        }
      }
      if (op.hasBuild()) {
        problems.add("build definition: nested builds are not allowed");
      }
    }
  }

  /**
   * The exporters judged, their {@code name} attributes (buildkit {@code
   * exporter/containerimage/exptypes}, {@code OptKeyName}: a comma-separated list of image names,
   * split by both the moby and the image exporter) rewritten to the daemon's names ({@link
   * TagJudge}); the deprecated fields repeat the first, as the client sent them.
   */
  private static List<ControlOuterClass.Exporter> exporters(
      ControlOuterClass.SolveRequest s, TagJudge tags, List<String> problems) {
    List<ControlOuterClass.Exporter> list = s.getExportersList();
    if (!s.getExporterDeprecated().isEmpty()
        && (list.isEmpty()
            || !list.getFirst().getType().equals(s.getExporterDeprecated())
            || !list.getFirst().getAttrsMap().equals(s.getExporterAttrsDeprecatedMap()))) {
      problems.add("the deprecated exporter fields must repeat the first exporter");
    }
    if (s.getExporterDeprecated().isEmpty() && s.getExporterAttrsDeprecatedCount() > 0) {
      problems.add("exporter attributes without an exporter");
    }
    List<ControlOuterClass.Exporter> out = new ArrayList<>();
    for (ControlOuterClass.Exporter e : list) {
      if (!EXPORTERS.contains(e.getType())) {
        problems.add(
            "the exporter "
                + e.getType()
                + " is not allowed (images only: --load or "
                + "the default)");
        continue;
      }
      for (Map.Entry<String, String> a : e.getAttrsMap().entrySet()) {
        if (!EXPORTER_ATTRS.contains(a.getKey())) {
          problems.add("the exporter option " + a.getKey() + " is not allowed");
        } else if (a.getKey().startsWith("push") && Boolean.parseBoolean(a.getValue())) {
          problems.add(
              "pushing from a build is not allowed (the image is yours, in your own names, "
                  + "until you push it); docker push the image afterwards");
        }
      }
      if (!e.getAttrsMap().containsKey("name")) {
        out.add(e);
        continue;
      }
      List<String> daemon = new ArrayList<>();
      for (String name : e.getAttrsMap().get("name").split(",", -1)) {
        if (name.isBlank()) {
          continue;
        }
        try {
          daemon.add(tags.daemonName(name.strip()));
        } catch (IllegalArgumentException refused) {
          problems.add(String.valueOf(refused.getMessage()));
        }
      }
      out.add(e.toBuilder().putAttrs("name", String.join(",", daemon)).build());
    }
    return out;
  }
}
