package dev.berth.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.berth.policy.ImagePolicy;
import dev.berth.policy.Owner;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import moby.buildkit.v1.ControlOuterClass;
import moby.buildkit.v1.frontend.Gateway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import pb.Ops;

/** Issue 14, item 2: each BuildKit call of a build judged for its caller. */
class CallJudgeTest {
  private static final int ALICE = 1001;
  private static final int BOB = 1002;
  private static final Owner ALICE_OWNER = new Owner(ALICE, -1);
  private static final String ALICE_NS = "berth.invalid/u1001/";

  /** Like berth's: every name in alice's namespace; names under berth.invalid refused. */
  private static final TagJudge TAGS =
      name -> {
        if (name.startsWith("berth.invalid")) {
          throw new IllegalArgumentException("the name " + name + " is berth's");
        }
        return ALICE_NS + name;
      };

  private static final String SOLVE = CallJudge.CONTROL + "Solve";

  /** The digest of a frontend image an administrator pinned. */
  static final String PINNED_DIGEST = "sha256:" + "ab".repeat(32);

  static final FrontendPins PINS =
      FrontendPins.of(List.of("docker/dockerfile:1.7@" + PINNED_DIGEST));
  private static final BuildCaller ALICE_CALLER =
      new BuildCaller(
          ALICE,
          ALICE_OWNER,
          TAGS,
          PINS,
          ImagePolicy.ANY,
          (path, v) -> CompletableFuture.completedFuture(null),
          (id, names) -> {},
          true,
          RemoteSources.allowing(Set.of()),
          Optional::empty);

  private BuildOwners owners;
  private CallJudge judge;

  @BeforeEach
  void setUp() {
    owners = new BuildOwners();
    judge = new CallJudge(owners);
    owners.openSession("alice-session", ALICE);
    owners.openSession("bob-session", BOB);
    owners.claimRef("bob-ref", BOB);
  }

  /** A Solve as buildx sends it for {@code docker build -t NAME .} on the docker driver. */
  private static ControlOuterClass.SolveRequest.Builder stock(String ref) {
    ControlOuterClass.Exporter moby =
        ControlOuterClass.Exporter.newBuilder().setType("moby").putAttrs("name", "mine:1").build();
    return ControlOuterClass.SolveRequest.newBuilder()
        .setRef(ref)
        .setSession("alice-session")
        .putFrontendAttrs("filename", "Dockerfile")
        .putFrontendAttrs("attest:provenance", "mode=min,inline-only=true")
        .addExporters(moby)
        .setExporterDeprecated("moby")
        .putAllExporterAttrsDeprecated(moby.getAttrsMap());
  }

  private Verdict solve(ControlOuterClass.SolveRequest.Builder s) {
    return judge.judge(ALICE_CALLER, SOLVE, "", s.build().toByteArray());
  }

  private static String refused(Verdict v) {
    assertThat(v).isInstanceOf(Verdict.Refuse.class);
    return ((Verdict.Refuse) v).message();
  }

  @Test
  void solve_stockBuildx_forwardedWithCacheNamespaceAndOwnerLabels() throws Exception {
    Verdict v = solve(stock("r1").putFrontendAttrs(FrontendAttrs.CACHE_NS, "bob"));
    assertThat(v).isInstanceOf(Verdict.Forward.class);
    ControlOuterClass.SolveRequest out =
        ControlOuterClass.SolveRequest.parseFrom(((Verdict.Forward) v).message());
    assertThat(out.getFrontendAttrsMap())
        .containsEntry(FrontendAttrs.CACHE_NS, "berth-1001")
        .containsEntry("label:" + Owner.UID_LABEL, "1001")
        .containsEntry(FrontendAttrs.NETWORK, "none")
        .doesNotContainKey(FrontendAttrs.CMDLINE);
    assertThat(owners.refOwner("r1")).contains(ALICE);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"security.insecure", "network.host", "device", "device=nvidia.com/gpu=all"})
  void solve_entitlement_refused(String entitlement) {
    assertThat(refused(solve(stock("r2").addEntitlements(entitlement)))).contains("entitlement");
  }

  @Test
  void solve_forceNetworkModeHost_refused() {
    refused(solve(stock("r3").putFrontendAttrs("force-network-mode", "host")));
  }

  @Test
  void solve_cgroupParent_refused() {
    assertThat(refused(solve(stock("r4").putFrontendAttrs("cgroup-parent", "/system.slice"))))
        .contains("--cgroup-parent");
  }

  @Test
  void solve_customFrontend_refused() {
    refused(
        solve(
            stock("r5")
                .setFrontend("gateway.v0")
                .putFrontendAttrs("source", "docker/dockerfile:1")));
  }

  @Test
  void solve_buildkitSyntaxBuildArg_refused() {
    assertThat(
            refused(
                solve(stock("r6").putFrontendAttrs("build-arg:BUILDKIT_SYNTAX", "evil/frontend"))))
        .contains("BUILDKIT_SYNTAX", "not pinned by digest");
  }

  @Test
  void solve_buildkitSyntaxOtherDigest_refused() {
    assertThat(
            refused(
                solve(
                    stock("r6b")
                        .putFrontendAttrs(
                            "build-arg:BUILDKIT_SYNTAX",
                            "docker/dockerfile@sha256:" + "cd".repeat(32)))))
        .contains("allow.build_frontends");
  }

  @Test
  void solve_buildkitSyntaxPinned_forwardedForTheFrontendToRun() throws Exception {
    Verdict v =
        solve(
            stock("r6c")
                .putFrontendAttrs(
                    "build-arg:BUILDKIT_SYNTAX",
                    "docker.io/docker/dockerfile:1.7@" + PINNED_DIGEST));
    assertThat(
            ControlOuterClass.SolveRequest.parseFrom(((Verdict.Forward) v).message())
                .getFrontendAttrsMap())
        .doesNotContainKey(FrontendAttrs.CMDLINE)
        .containsEntry(FrontendAttrs.CACHE_NS, "berth-1001");
  }

  @Test
  void bridge_gatewayWithPinnedSource_forwarded() {
    owners.claimRef("alice-ref", ALICE);
    byte[] req =
        Gateway.SolveRequest.newBuilder()
            .setFrontend("gateway.v0")
            .putFrontendOpt("source", "docker/dockerfile@" + PINNED_DIGEST)
            .putFrontendOpt("cmdline", "docker/dockerfile@" + PINNED_DIGEST)
            .build()
            .toByteArray();
    assertThat(judge.judge(ALICE_CALLER, CallJudge.BRIDGE + "Solve", "alice-ref", req))
        .isInstanceOf(Verdict.Forward.class);
  }

  @Test
  void bridge_dockerfileFromInput_builtInFrontendForced() throws Exception {
    owners.claimRef("alice-ref", ALICE);
    byte[] req =
        Gateway.SolveRequest.newBuilder()
            .setFrontend("dockerfile.v0")
            .putFrontendInputs("dockerfile", Ops.Definition.getDefaultInstance())
            .build()
            .toByteArray();
    Verdict v = judge.judge(ALICE_CALLER, CallJudge.BRIDGE + "Solve", "alice-ref", req);
    assertThat(Gateway.SolveRequest.parseFrom(((Verdict.Forward) v).message()).getFrontendOptMap())
        .containsEntry(FrontendAttrs.CMDLINE, "dockerfile.v0");
  }

  @Test
  void solve_proxyBuildArg_refused() {
    assertThat(
            refused(
                solve(
                    stock("r7").putFrontendAttrs("build-arg:https_proxy", "http://10.0.0.1:3128"))))
        .contains("proxy build-args");
  }

  @Test
  void solve_sessionOfAnotherUser_refused() {
    assertThat(refused(solve(stock("r8").setSession("bob-session")))).contains("session");
  }

  @Test
  void solve_localSessionIdOfAnotherUser_refused() {
    assertThat(
            refused(solve(stock("r9").putFrontendAttrs("local-sessionid:context", "bob-session"))))
        .contains("not yours");
  }

  @Test
  void solve_sessionNotOpenYet_notYet() {
    assertThat(solve(stock("r10").setSession("later"))).isInstanceOf(Verdict.NotYet.class);
  }

  @Test
  void solve_proxyNetwork_refused() {
    assertThat(refused(solve(stock("r11").setProxyNetwork(true)))).contains("proxy network");
  }

  /** Issue 13: a build -t over a shared name exports the builder's private name only. */
  @Test
  void solve_tagOverSharedName_staysPrivate() throws Exception {
    ControlOuterClass.Exporter moby =
        ControlOuterClass.Exporter.newBuilder()
            .setType("moby")
            .putAttrs("name", "mine:2, busybox:latest")
            .build();
    Verdict v =
        solve(
            stock("r12")
                .clearExporters()
                .addExporters(moby)
                .clearExporterAttrsDeprecated()
                .putAllExporterAttrsDeprecated(moby.getAttrsMap()));
    assertThat(v).isInstanceOf(Verdict.Forward.class);
    ControlOuterClass.SolveRequest out =
        ControlOuterClass.SolveRequest.parseFrom(((Verdict.Forward) v).message());
    String names = ALICE_NS + "mine:2," + ALICE_NS + "busybox:latest";
    assertThat(out.getExporters(0).getAttrsMap()).containsEntry("name", names);
    assertThat(out.getExporterAttrsDeprecatedMap()).containsEntry("name", names);
  }

  /** Issue 13: every Solve of a user carries a source policy that denies users' daemon names. */
  @Test
  void solve_user_forwardedWithTheirNamespaceAsSourcePolicy() throws Exception {
    Verdict v = solve(stock("r12c"));
    assertThat(v).isInstanceOf(Verdict.Forward.class);
    ControlOuterClass.SolveRequest out =
        ControlOuterClass.SolveRequest.parseFrom(((Verdict.Forward) v).message());
    assertThat(out.getSourcePolicy())
        .isEqualTo(ImageSourcePolicy.of(ImagePolicy.ANY, true, ALICE_CALLER.remote()));
  }

  @Test
  void solve_tagInReservedRegistry_refused() {
    ControlOuterClass.Exporter moby =
        ControlOuterClass.Exporter.newBuilder()
            .setType("moby")
            .putAttrs("name", "mine:2,berth.invalid/u1002/docker.io/library/x:1")
            .build();
    assertThat(
            refused(
                solve(
                    stock("r12b")
                        .clearExporters()
                        .addExporters(moby)
                        .clearExporterAttrsDeprecated()
                        .putAllExporterAttrsDeprecated(moby.getAttrsMap()))))
        .contains("berth's");
  }

  @Test
  void solve_pushToRegistry_refused() {
    ControlOuterClass.Exporter image =
        ControlOuterClass.Exporter.newBuilder()
            .setType("image")
            .putAttrs("name", "reg.example/mine:1")
            .putAttrs("push", "true")
            .build();
    assertThat(
            refused(
                solve(
                    stock("r13")
                        .clearExporters()
                        .addExporters(image)
                        .setExporterDeprecated("image")
                        .clearExporterAttrsDeprecated()
                        .putAllExporterAttrsDeprecated(image.getAttrsMap()))))
        .contains("docker push");
  }

  @Test
  void solve_refOfAnotherUser_refused() {
    refused(solve(stock("bob-ref")));
  }

  @Test
  void solve_ownerLabelOfAnotherUser_refused() {
    refused(solve(stock("r14").putFrontendAttrs("label:" + Owner.UID_LABEL, "1002")));
  }

  @Test
  void solve_remoteContext_refused() {
    refused(solve(stock("r15").putFrontendAttrs("context", "https://github.com/x/y.git")));
  }

  @Test
  void solve_unknownField_refused() {
    byte[] bytes =
        stock("r16")
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                    .build())
            .build()
            .toByteArray();
    Verdict v = judge.judge(ALICE_CALLER, SOLVE, "", bytes);
    assertThat(refused(v)).contains("not known to berth");
  }

  @ParameterizedTest
  @ValueSource(strings = {"DiskUsage", "Prune", "UpdateBuildHistory", "Session"})
  void control_crossUserMethods_refused(String method) {
    refused(judge.judge(ALICE_CALLER, CallJudge.CONTROL + method, "", new byte[0]));
  }

  @Test
  void content_read_refused() {
    refused(
        judge.judge(ALICE_CALLER, "/containerd.services.content.v1.Content/Read", "", new byte[0]));
  }

  @Test
  void status_buildOfAnotherUser_refused() {
    byte[] req =
        ControlOuterClass.StatusRequest.newBuilder().setRef("bob-ref").build().toByteArray();
    assertThat(refused(judge.judge(ALICE_CALLER, CallJudge.CONTROL + "Status", "", req)))
        .contains("not yours");
  }

  @Test
  void history_withoutRef_refused() {
    byte[] req =
        ControlOuterClass.BuildHistoryRequest.newBuilder()
            .setActiveOnly(true)
            .build()
            .toByteArray();
    refused(judge.judge(ALICE_CALLER, CallJudge.CONTROL + "ListenBuildHistory", "", req));
  }

  @Test
  void history_buildOfAnotherUser_refused() {
    byte[] req =
        ControlOuterClass.BuildHistoryRequest.newBuilder()
            .setRef("bob-ref")
            .setEarlyExit(true)
            .build()
            .toByteArray();
    refused(judge.judge(ALICE_CALLER, CallJudge.CONTROL + "ListenBuildHistory", "", req));
  }

  @Test
  void bridge_buildIdOfAnotherUser_refused() {
    byte[] req =
        Gateway.ReadFileRequest.newBuilder().setFilePath("/etc/shadow").build().toByteArray();
    assertThat(refused(judge.judge(ALICE_CALLER, CallJudge.BRIDGE + "ReadFile", "bob-ref", req)))
        .contains("not yours");
  }

  @Test
  void bridge_newContainer_refused() {
    owners.claimRef("alice-ref", ALICE);
    refused(judge.judge(ALICE_CALLER, CallJudge.BRIDGE + "NewContainer", "alice-ref", new byte[0]));
  }

  @Test
  void bridge_dockerfileSolve_cacheNamespaceForced() throws Exception {
    owners.claimRef("alice-ref", ALICE);
    byte[] req =
        Gateway.SolveRequest.newBuilder()
            .setFrontend("dockerfile.v0")
            .putFrontendOpt("filename", "Dockerfile")
            .build()
            .toByteArray();
    Verdict v = judge.judge(ALICE_CALLER, CallJudge.BRIDGE + "Solve", "alice-ref", req);
    assertThat(Gateway.SolveRequest.parseFrom(((Verdict.Forward) v).message()).getFrontendOptMap())
        .containsEntry(FrontendAttrs.CACHE_NS, "berth-1001");
  }

  @Test
  void bridge_rawDefinitionWithCacheMount_refused() {
    owners.claimRef("alice-ref", ALICE);
    Ops.Op exec =
        Ops.Op.newBuilder()
            .setExec(
                Ops.ExecOp.newBuilder()
                    .addMounts(
                        Ops.Mount.newBuilder()
                            .setDest("/root/.m2")
                            .setMountType(Ops.MountType.CACHE)
                            .setCacheOpt(Ops.CacheOpt.newBuilder().setID("/root/.m2"))))
            .build();
    byte[] req =
        Gateway.SolveRequest.newBuilder()
            .setDefinition(
                Ops.Definition.newBuilder().addDef(ByteString.copyFrom(exec.toByteArray())))
            .build()
            .toByteArray();
    assertThat(refused(judge.judge(ALICE_CALLER, CallJudge.BRIDGE + "Solve", "alice-ref", req)))
        .contains("cache mounts");
  }

  /** A raw definition's HTTP source: judged by the Solve's source policy, not by berth. */
  @Test
  void bridge_rawDefinitionHttpSource_leftToTheSourcePolicy() {
    owners.claimRef("alice-ref", ALICE);
    Ops.Op http =
        Ops.Op.newBuilder()
            .setSource(Ops.SourceOp.newBuilder().setIdentifier("http://127.0.0.1:8080/secret"))
            .build();
    byte[] req =
        Gateway.SolveRequest.newBuilder()
            .setDefinition(
                Ops.Definition.newBuilder().addDef(ByteString.copyFrom(http.toByteArray())))
            .build()
            .toByteArray();
    assertThat(judge.judge(ALICE_CALLER, CallJudge.BRIDGE + "Solve", "alice-ref", req))
        .isInstanceOf(Verdict.Forward.class);
  }

  /**
   * Issue 13: an engine whose BuildKit ignores source policies (20.10) would read whatever the
   * build names (a FROM assembled from build-args, a base image's ONBUILD COPY --from): the Solve
   * is refused with the engine's reason before the daemon sees it, and its ref stays unclaimed.
   */
  @Test
  void solve_engineWithoutSourcePolicies_refusedWithTheReason() {
    BuildCaller old =
        new BuildCaller(
            ALICE,
            ALICE_OWNER,
            TAGS,
            PINS,
            ImagePolicy.ANY,
            (path, v) -> CompletableFuture.completedFuture(null),
            (id, names) -> {},
            true,
            RemoteSources.allowing(Set.of()),
            () -> Optional.of("BuildKit on this engine cannot be confined"));
    Verdict v = judge.judge(old, SOLVE, "", stock("old-ref").build().toByteArray());
    assertThat(v).isInstanceOf(Verdict.Refuse.class);
    Verdict.Refuse r = (Verdict.Refuse) v;
    assertThat(r.code()).isEqualTo(Verdict.PERMISSION_DENIED);
    assertThat(r.rule()).isEqualTo("buildkit_engine");
    assertThat(r.message()).isEqualTo("berth: BuildKit on this engine cannot be confined");
    assertThat(owners.refOwner("old-ref")).isEmpty();
  }

  @Test
  void solve_user_sourcePolicyDeniesRemoteSources() throws Exception {
    ControlOuterClass.SolveRequest out =
        ControlOuterClass.SolveRequest.parseFrom(
            ((Verdict.Forward) solve(stock("r12r"))).message());
    assertThat(RemoteSourcesTest.allowed(out.getSourcePolicy(), "https://127.0.0.1/x", Map.of()))
        .isFalse();
    assertThat(RemoteSourcesTest.allowed(out.getSourcePolicy(), "local://context", Map.of()))
        .isTrue();
  }

  @Test
  void session_duplicateIdOfAnotherUser_refused() {
    assertThat(owners.openSession("bob-session", ALICE)).isFalse();
    assertThat(owners.sessionOwner("bob-session")).contains(BOB);
    owners.closeSession("bob-session", ALICE);
    assertThat(owners.sessionOwner("bob-session")).contains(BOB);
  }

  @Test
  void frontendAttrs_unknownKey_refused() {
    assertThat(
            FrontendAttrs.judge(
                    Map.of("exotic", "1"), ALICE_CALLER, id -> true, "dockerfile.v0", false)
                .refusal())
        .contains("exotic");
  }
}
