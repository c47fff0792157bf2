package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ENGINE;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.rules.BuildRules;
import dev.berth.policy.yaml.PolicyLoader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 14, item 1: the classic builder for ordinary users. */
class BuildRulesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What the docker CLI sends for {@code DOCKER_BUILDKIT=0 docker build -t NAME .} (moby client).
   */
  private static final String CLI =
      "/v1.51/build?networkmode=default&cgroupparent=&cpusetcpus="
          + "&cpusetmems=&cpushares=0&cpuquota=0&cpuperiod=0&memory=0&memswap=0&shmsize=0"
          + "&dockerfile=Dockerfile&target=&ulimits=null&buildargs=%7B%7D&labels=%7B%7D"
          + "&cachefrom=%5B%5D&rm=1";

  private static PolicyEngine engine(String yaml) throws Exception {
    return new PolicyEngine(PolicyLoader.load(yaml, "test", g -> Optional.empty()), Fixtures.HOST);
  }

  private static Decision build(Principal who, String extra) {
    return Fixtures.decide(ENGINE, Fixtures.objects(), who, "POST", CLI + extra, null);
  }

  /**
   * Alice's stock CLI build with one parameter changed ({@code sent} replaced by {@code instead}).
   */
  private static Decision buildWith(String sent, String instead) {
    return decide(ENGINE, CLI.replace(sent, instead));
  }

  /** Alice's {@code POST} to {@code target} under {@code engine}. */
  private static Decision decide(PolicyEngine engine, String target) {
    return Fixtures.decide(engine, Fixtures.objects(), ALICE, "POST", target, null);
  }

  private static Decision.Allow allowed(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static String refused(Decision d) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.FORBIDDEN);
    return ((Decision.Deny) d).reason();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void build_stockCli_allowedOnOwnBuildNetworkWithOwnerLabelsAndClaims() throws Exception {
    Decision.Allow a = allowed(build(ALICE, "&t=mine%3A1&t=mine%3A2"));
    QueryParams q = a.forward().query();
    assertThat(q.get("networkmode")).contains("berth-build-1001");
    assertThat(a.effects())
        .containsExactly(
            new Effect.EnsureNetwork("berth-build-1001", Map.of(BuildRules.NETWORK_LABEL, "1001")));
    assertThat(q.get("rm")).contains("1");
    assertThat(q.get("forcerm")).contains("1");
    JsonNode labels = JSON.readTree(q.get("labels").orElseThrow());
    assertThat(labels.path(Owner.UID_LABEL).asText()).isEqualTo("1001");
    assertThat(a.followUp())
        .isEqualTo(
            new FollowUp.ClaimBuild(
                List.of(ALICE_NS + "mine:1", ALICE_NS + "mine:2"), new Owner(1001, -1)));
    assertThat(q.getAll("t")).containsExactly(ALICE_NS + "mine:1", ALICE_NS + "mine:2");
  }

  private static final String ALICE_NS = "berth.invalid/u1001/docker.io/library/";

  /** Issue 13: alice's build -t python:3.12 writes her private name, never the shared one. */
  @Test
  void build_tagOverSharedName_staysPrivate() {
    Decision.Allow a = allowed(build(ALICE, "&t=python%3A3.12&t=busybox"));
    assertThat(a.forward().query().getAll("t"))
        .containsExactly(ALICE_NS + "python:3.12", ALICE_NS + "busybox:latest");
    // the daemon's progress ("Successfully tagged ...") reads alice's plain names again
    UnaryOperator<String> progress = a.answerNames().progress();
    assertThat(progress).isNotNull();
    assertThat(progress.apply("Successfully tagged " + ALICE_NS + "python:3.12\n"))
        .isEqualTo("Successfully tagged python:3.12\n");
    assertThat(progress.apply("Successfully tagged berth.invalid/u1002/docker.io/library/x:1\n"))
        .doesNotContain("x:1");
  }

  @Test
  void build_tagInReservedRegistry_refused() {
    assertThat(refused(build(ALICE, "&t=" + enc("berth.invalid/u1002/docker.io/library/x:1"))))
        .contains("berth.invalid");
    refused(build(ALICE, "&t=mine&t=" + enc("BERTH.INVALID/u1002/x")));
  }

  @Test
  void build_tagAsAdministrator_asGiven() {
    Decision.Allow a = allowed(build(ROOT, "&t=python%3A3.12"));
    assertThat(a.forward().query().getAll("t")).containsExactly("python:3.12");
  }

  @Test
  void build_networkNone_kept() {
    Decision.Allow a = allowed(buildWith("networkmode=default", "networkmode=none"));
    assertThat(a.forward().query().get("networkmode")).contains("none");
    assertThat(a.effects()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "host",
        "container%3Abobweb",
        "container%3Aabc",
        "alicenet",
        "bobnet",
        "ns%3A%2Fproc%2F1%2Fns%2Fnet"
      })
  void build_networkModeHostContainerOrNamed_refused(String mode) {
    String reason = refused(buildWith("networkmode=default", "networkmode=" + mode));
    assertThat(reason).contains("--network");
  }

  @Test
  void build_networkModeContainerOfOther_refused() {
    refused(buildWith("networkmode=default", "networkmode=container%3Abobweb"));
  }

  @Test
  void build_cgroupParent_refused() {
    assertThat(refused(buildWith("cgroupparent=", "cgroupparent=%2Fsystem.slice")))
        .contains("--cgroup-parent");
  }

  @Test
  void build_remoteContext_refusedUnlessRoleAllowsPrefix() throws Exception {
    String remote = "&remote=" + enc("https://github.com/x/y.git");
    assertThat(refused(build(ALICE, remote))).contains("remote build contexts");
    PolicyEngine allowing =
        engine(
            """
        roles:
          user:
            actions: [image_build]
            allow:
              build_remote: ["https://github.com/x/"]
        bindings:
          - role: user
            users: ["*"]
        """);
    allowed(decide(allowing, CLI + remote));
    refused(decide(allowing, CLI + "&remote=" + enc("https://github.com/other/z.git")));
  }

  @Test
  void policy_buildFrontendsPinnedByDigest_readAndUnpinnedRefused() throws Exception {
    String pinned = "docker/dockerfile:1.7@sha256:" + "ab".repeat(32);
    String yaml =
        """
        roles:
          user:
            actions: [image_build]
            allow:
              build_frontends: ["%s"]
        bindings:
          - role: user
            users: ["*"]
        """;
    PolicyEngine allowing = engine(yaml.formatted(pinned));
    assertThat(allowing.policy().roleOf(ALICE).orElseThrow().allow().buildFrontends())
        .containsExactly(pinned);
    assertThatThrownBy(() -> engine(yaml.formatted("docker/dockerfile:1.7")))
        .hasMessageContaining("build_frontends[0]")
        .hasMessageContaining("pinned by digest");
  }

  @Test
  void build_proxyBuildArg_refused() {
    assertThat(
            refused(
                buildWith(
                    "buildargs=%7B%7D",
                    "buildargs=" + enc("{\"http_proxy\":\"http://10.0.0.1:3128\"}"))))
        .contains("proxy build-args");
  }

  @Test
  void build_ordinaryBuildArg_allowed() {
    allowed(buildWith("buildargs=%7B%7D", "buildargs=" + enc("{\"VERSION\":\"1\"}")));
  }

  @Test
  void build_extraHosts_refused() {
    refused(build(ALICE, "&extrahosts=" + enc("pypi.org:10.0.0.1")));
  }

  @Test
  void build_foreignOwnerLabel_refused() {
    refused(buildWith("labels=%7B%7D", "labels=" + enc("{\"" + Owner.UID_LABEL + "\":\"1002\"}")));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "&squash=1",
        "&isolation=hyperv",
        "&securityopt=seccomp%3Dunconfined",
        "&session=abc",
        "&buildid=abc",
        "&outputs=" + "%5B%7B%22Type%22%3A%22local%22%7D%5D",
        "&version=2"
      })
  void build_optionsOutsideTheClassicBuilder_refused(String extra) {
    refused(build(ALICE, extra));
  }

  @Test
  void build_ulimits_refused() {
    refused(
        buildWith(
            "ulimits=null",
            "ulimits=" + enc("[{\"Name\":\"nproc\",\"Hard\":99999,\"Soft\":99999}]")));
  }

  /** --pull: berth pulls the Dockerfile's shared images; the daemon would pull the judged ids. */
  @Test
  void build_pull_notForwardedButHandedToTheDockerfileJudgement() {
    Decision.Allow a = allowed(build(ALICE, "&pull=1"));
    assertThat(a.forward().query().has("pull")).isFalse();
    CanonicalRequest.Body.Stream body = (CanonicalRequest.Body.Stream) a.forward().body();
    assertThat(body.buildContext().orElseThrow().pull()).isTrue();
    assertThat(a.rewrites())
        .contains("--pull: berth pulls the Dockerfile's shared images again before the build");
    Decision.Allow plain = allowed(build(ALICE, "&pull=0"));
    assertThat(plain.forward().query().has("pull")).isFalse();
    assertThat(
            ((CanonicalRequest.Body.Stream) plain.forward().body())
                .buildContext()
                .orElseThrow()
                .pull())
        .isFalse();
    assertThat(plain.rewrites()).noneMatch(n -> n.startsWith("--pull"));
  }

  @Test
  void build_rmZero_forcedToOne() {
    Decision.Allow a = allowed(buildWith("rm=1", "rm=0"));
    assertThat(a.forward().query().get("rm")).contains("1");
    assertThat(a.forward().query().get("forcerm")).contains("1");
    assertThat(a.rewrites()).contains("rm and forcerm forced: intermediate containers are removed");
  }

  @Test
  void build_limits_forcedWithinRole() throws Exception {
    PolicyEngine limited =
        engine(
            """
        roles:
          user:
            actions: [image_build]
            limits:
              memory: {default: 1g, max: 2g}
              cpus: {max: 2}
        bindings:
          - role: user
            users: ["*"]
        """);
    Decision.Allow a = allowed(decide(limited, CLI));
    assertThat(a.forward().query().get("memory")).contains(Long.toString(1L << 30));
    assertThat(a.forward().query().get("cpuquota")).contains("200000");
    assertThat(a.forward().query().get("cpuperiod")).contains("100000");
    refused(decide(limited, CLI.replace("memory=0", "memory=" + (3L << 30))));
    refused(decide(limited, CLI.replace("cpuquota=0", "cpuquota=400000")));
  }

  @Test
  void buildCancel_anyBuildId_refused() throws Exception {
    PolicyEngine granting =
        engine(
            """
        roles:
          user:
            actions: [image_build, image_build_cancel]
        bindings:
          - role: user
            users: ["*"]
        """);
    refused(decide(granting, "/v1.51/build/cancel?id=bobs-build"));
    refused(decide(ENGINE, "/v1.51/build/cancel?id=bobs-build"));
  }

  /** Issue 13 for BuildKit: the names a build exports are the builder's, never shared ones. */
  @Test
  void buildTag_sharedNameStaysPrivate_reservedRefused_adminAsGiven() {
    assertThat(ENGINE.buildTag(ALICE, "busybox")).isEqualTo(ALICE_NS + "busybox:latest");
    assertThat(ENGINE.buildTag(ALICE, "docker.io/library/python:3.12"))
        .isEqualTo(ALICE_NS + "python:3.12");
    assertThat(ENGINE.buildTag(ROOT, "busybox")).isEqualTo("busybox");
    assertThatThrownBy(() -> ENGINE.buildTag(ALICE, "berth.invalid/u1002/docker.io/library/x:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("berth.invalid");
    assertThatThrownBy(() -> ENGINE.buildTag(ALICE, "app@sha256:" + "a".repeat(64)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void query_repeatedTag_keptInOrderOtherRepeatsRefused() throws Exception {
    QueryParams q = QueryParams.parse("t=a&t=b&t=c&q=1");
    assertThat(q.getAll("t")).containsExactly("a", "b", "c");
    assertThat(q.get("t")).contains("a");
    assertThat(q.encode()).isEqualTo("t=a&t=b&t=c&q=1");
    assertThat(q.with("t", "z").getAll("t")).containsExactly("z");
    assertThat(q.without("t").getAll("t")).isEmpty();
    assertThat(q.without("q").getAll("t")).containsExactly("a", "b", "c");
    assertThat(q.getAll("nope")).isEmpty();
    assertThatThrownBy(() -> QueryParams.parse("q=1&q=2")).isInstanceOf(RequestException.class);
  }

  /**
   * berth holds the Dockerfile the daemon would read ({@code -f}, else {@code Dockerfile}) and
   * notes that the tags became the builder's own names.
   */
  @Test
  void build_heldDockerfileAndTagsNoted() {
    Decision.Allow plain = allowed(build(ALICE, "&t=mine%3A1"));
    assertThat(plain.rewrites())
        .anyMatch(n -> n.startsWith("tags are yours: ") && n.contains("u1001"));
    assertThat(heldDockerfile(plain)).isEqualTo("Dockerfile");
    assertThat(heldDockerfile(allowed(buildWith("&dockerfile=Dockerfile", ""))))
        .isEqualTo("Dockerfile");
    assertThat(
            heldDockerfile(
                allowed(buildWith("dockerfile=Dockerfile", "dockerfile=sub%2Fapp.Dockerfile"))))
        .isEqualTo("sub/app.Dockerfile");
  }

  private static String heldDockerfile(Decision.Allow a) {
    return ((CanonicalRequest.Body.Stream) a.forward().body())
        .buildContext()
        .orElseThrow()
        .dockerfile();
  }

  @Test
  void build_admin_passesAsSent() {
    Decision.Allow a = allowed(build(ROOT, "&t=busybox"));
    assertThat(a.forward().query().get("networkmode")).contains("default");
  }

  private static final String LIMITED =
      """
      roles:
        user:
          actions: [image_build]
          limits:
            memory: {default: 1g, max: 2g}
            cpus: {max: 2}
      bindings:
        - role: user
          users: ["*"]
      """;

  @Test
  void build_roleWithoutLimits_resourcesForwardedAsSent() {
    Decision.Allow a =
        allowed(
            decide(
                ENGINE,
                CLI.replace("shmsize=0", "shmsize=" + (1L << 30))
                    .replace("cpuquota=0", "cpuquota=400000")));
    QueryParams q = a.forward().query();
    assertThat(q.get("memory")).contains("0");
    assertThat(q.get("shmsize")).contains(Long.toString(1L << 30));
    assertThat(q.get("cpuquota")).contains("400000");
    assertThat(q.get("cpuperiod")).contains("0");
    assertThat(a.rewrites()).noneMatch(n -> n.contains("set to"));
    assertThat(
            allowed(buildWith("memory=0", "memory=" + (3L << 30))).forward().query().get("memory"))
        .contains(Long.toString(3L << 30));
  }

  @Test
  void build_limitsExactlyAtTheRolesMaximum_allowed() throws Exception {
    Decision.Allow a =
        allowed(
            decide(
                engine(LIMITED),
                CLI.replace("memory=0", "memory=" + (2L << 30))
                    .replace("shmsize=0", "shmsize=" + (2L << 30))
                    .replace("cpuquota=0", "cpuquota=200000")
                    .replace("cpuperiod=0", "cpuperiod=100000")));
    assertThat(a.forward().query().get("memory")).contains(Long.toString(2L << 30));
    assertThat(a.forward().query().get("cpuquota")).contains("200000");
  }

  @Test
  void build_shmOverTheBuildsMemory_refused() throws Exception {
    assertThat(
            refused(
                decide(engine(LIMITED), CLI.replace("shmsize=0", "shmsize=" + ((1L << 30) + 1)))))
        .contains("exceeds the build's memory limit of " + (1L << 30));
  }

  @Test
  void build_cpuQuotaOverAShorterPeriod_countedInCpus() throws Exception {
    PolicyEngine limited = engine(LIMITED);
    allowed(
        decide(
            limited,
            CLI.replace("cpuquota=0", "cpuquota=100000")
                .replace("cpuperiod=0", "cpuperiod=50000")));
    assertThat(
            refused(
                decide(
                    limited,
                    CLI.replace("cpuquota=0", "cpuquota=150000")
                        .replace("cpuperiod=0", "cpuperiod=50000"))))
        .contains("ask for 3.0 CPUs")
        .endsWith("maximum of 2.0");
  }

  @Test
  void build_roleWithOnlyMaxima_defaultsToTheMaxima() throws Exception {
    PolicyEngine maxima =
        engine(
            """
        roles:
          user:
            actions: [image_build]
            limits:
              memory: {max: 2g}
              cpus: {max: 1.5}
        bindings:
          - role: user
            users: ["*"]
        """);
    Decision.Allow a = allowed(decide(maxima, CLI));
    assertThat(a.forward().query().get("memory")).contains(Long.toString(2L << 30));
    assertThat(a.forward().query().get("cpuquota")).contains("150000");
    assertThat(a.rewrites())
        .contains("build step memory set to " + (2L << 30), "build step CPUs set to 1.5");
  }

  @Test
  void build_rmAndForcermBothSent_noRewriteNoted() {
    assertThat(allowed(build(ALICE, "&forcerm=1")).rewrites())
        .noneMatch(n -> n.contains("rm and forcerm"));
  }

  @Test
  void build_labelsAbsentOrNull_ownerLabelsStillAdded() throws Exception {
    for (String labels : List.of("labels=", "labels=null")) {
      Decision.Allow a = allowed(buildWith("labels=%7B%7D", labels));
      JsonNode sent = JSON.readTree(a.forward().query().get("labels").orElseThrow());
      assertThat(sent.path(Owner.UID_LABEL).asText()).as(labels).isEqualTo("1001");
    }
  }

  @Test
  void build_labelsNotAnObjectOrUnknownVersion_badRequest() {
    for (Decision d :
        List.of(
            buildWith("labels=%7B%7D", "labels=" + enc("[\"x\"]")), build(ALICE, "&version=3"))) {
      assertThat(d)
          .isInstanceOfSatisfying(
              Decision.Deny.class,
              deny -> assertThat(deny.status()).isEqualTo(Decision.Status.BAD_REQUEST));
    }
  }

  /**
   * Issue 13: a build's tags are the builder's own names, so judging them asks the daemon nothing.
   */
  @Test
  void build_tagWhileImageOwnersUnknown_writtenInOwnNamespace() {
    Decision d =
        Fixtures.decide(ENGINE, ObjectDirectory.UNAVAILABLE, ALICE, "POST", CLI + "&t=fresh", null);
    assertThat(allowed(d).forward().query().getAll("t")).containsExactly(ALICE_NS + "fresh:latest");
  }
}
