package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.docker.Dockerfile;
import dev.berth.policy.yaml.PolicyLoader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 item 2: which images a role may pull, run and build from. Every refusal names the rule;
 * each attack has its own test.
 */
class ImagePolicyTest {
  private static final String D1 = "sha256:" + "d1".repeat(32);
  private static final String D2 = "sha256:" + "d2".repeat(32);
  private static final String TOOL_OK = "sha256:" + "e1".repeat(32);

  /** Pulled from docker.io/evil/miner: no rule allows it. */
  private static final String EVIL = "sha256:" + "ee".repeat(32);

  /** Pulled from registry.site.edu/tool. */
  private static final String SITE = "sha256:" + "51".repeat(32);

  /** Pulled from docker.io/library/busybox. */
  private static final String HUB_BUSYBOX = "sha256:" + "b0".repeat(32);

  /** Made on the host by an administrator: a shared name, no registry digest, no maker. */
  private static final String ADMIN_MADE = "sha256:" + "ad".repeat(32);

  /** Built by alice. */
  private static final String ALICE_BUILT = "sha256:" + "a1".repeat(32);

  /** Pulled from ghcr.io/org/tool at a digest the rule does not list. */
  private static final String TOOL_OTHER = "sha256:" + "e2".repeat(32);

  private static final String POLICY =
      """
      roles:
        admin: {actions: all, passthrough: true}
        user:
          actions: [container_create, image_create, image_tag, image_inspect, image_build, grpc,
                    session, image_load]
          bind_roots: ["{home}"]
          images:
            - {rule: site, repos: ["registry.site.edu/*"]}
            - {rule: hub-pinned, repos: ["docker.io/library/*"], digests: required}
            - {rule: tool, repos: ["ghcr.io/org/tool"], digests: ["%s"], for: [pull, run]}
            - {rule: site-made, made_by: admin}
            - {rule: own-builds, made_by: self}
      bindings:
        - {role: admin, users: [root]}
        - {role: user, users: ["*"]}
      """
          .formatted(TOOL_OK);

  private static final PolicyEngine ENGINE = engine(POLICY);

  private static PolicyEngine engine(String yaml) {
    try {
      return new PolicyEngine(
          PolicyLoader.load(yaml, "t.yaml", g -> Optional.empty()), Fixtures.HOST);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static FakeObjects host() {
    return Fixtures.objects()
        .pulled(EVIL, Map.of("evil/miner:1", Optional.empty()), List.of("evil/miner@" + D1))
        .pulled(
            SITE,
            Map.of("registry.site.edu/tool:1", Optional.empty()),
            List.of("registry.site.edu/tool@" + D2))
        .pulled(HUB_BUSYBOX, Map.of("busybox:1.36", Optional.empty()), List.of("busybox@" + D2))
        .pulled(
            TOOL_OK,
            Map.of("ghcr.io/org/tool:1", Optional.empty()),
            List.of("ghcr.io/org/tool@" + TOOL_OK))
        .pulled(
            TOOL_OTHER,
            Map.of("ghcr.io/org/tool:2", Optional.empty()),
            List.of("ghcr.io/org/tool@" + D1))
        .image(ADMIN_MADE, Optional.empty(), Map.of("sitebase:1", Optional.empty()))
        .image(
            ALICE_BUILT,
            FakeObjects.owner(1001),
            Map.of("berth.invalid/u1001/docker.io/library/mytool:1", Optional.empty()));
  }

  private static Decision run(PolicyEngine engine, FakeObjects objects, String image) {
    return Fixtures.decide(
        engine,
        objects,
        ALICE,
        "POST",
        "/v1.51/containers/create",
        "{\"Image\":\"" + image + "\"}");
  }

  private static Decision run(String image) {
    return run(ENGINE, host(), image);
  }

  private static Decision pull(String query) {
    return Fixtures.decide(ENGINE, host(), ALICE, "POST", "/v1.51/images/create?" + query, null);
  }

  private static String refusal(Decision d) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    Decision.Deny deny = (Decision.Deny) d;
    assertThat(deny.status()).isEqualTo(Decision.Status.FORBIDDEN);
    assertThat(deny.rule()).isEqualTo("image_policy");
    return deny.reason();
  }

  @Test
  void load_underImageRules_refusedNamingTheRole() {
    Decision d = Fixtures.decide(ENGINE, host(), ALICE, "POST", "/v1.51/images/load", null);
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason())
        .contains("docker load is not allowed under the image rules of role user");
  }

  private static Decision.Allow allowed(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static String image(Decision.Allow a) {
    return ((Body.Json) a.forward().body()).value().path("Image").asText();
  }

  // --- pull ---

  @Test
  void pull_unpinnedOfPinnedOnlyRepo_refusedNamingTheRule() {
    assertThat(refusal(pull("fromImage=busybox&tag=1.36")))
        .contains(
            "image rule \"hub-pinned\"",
            "only pinned by digest",
            "docker pull docker.io/library/busybox@sha256:<digest>");
  }

  @Test
  void pull_pinnedOfPinnedOnlyRepo_allowedNamingTheRule() {
    assertThat(allowed(pull("fromImage=busybox%40" + D1)).rewrites())
        .anyMatch(n -> n.contains("image rule \"hub-pinned\" allows pulling"));
    allowed(pull("fromImage=busybox&tag=" + D1));
  }

  @Test
  void pull_digestThenTagParameter_staysPinned() {
    allowed(pull("fromImage=busybox%40" + D1 + "&tag=1"));
  }

  @Test
  void pull_disallowedRegistry_refusedListingTheRules() {
    assertThat(refusal(pull("fromImage=evil/miner&tag=1")))
        .contains(
            "no image rule of role user allows pulling docker.io/evil/miner:1",
            "site (registry.site.edu/*)",
            "hub-pinned (docker.io/library/* by digest)",
            "tool (ghcr.io/org/tool at listed digests)",
            "ask an administrator");
  }

  @Test
  void pull_registryLookalike_refused() {
    refusal(pull("fromImage=registry.site.edu.evil.com/tool&tag=1"));
    refusal(pull("fromImage=evil.com/registry.site.edu/tool&tag=1"));
    refusal(pull("fromImage=docker.io/registry.site.edu/tool&tag=1"));
  }

  @Test
  void pull_siteRegistryAnyDepth_allowed() {
    allowed(pull("fromImage=registry.site.edu/group/tool&tag=1"));
    allowed(pull("fromImage=REGISTRY.site.edu/tool&tag=1"));
  }

  @Test
  void pull_listedDigest_allowed_otherDigestOrTag_refused() {
    allowed(pull("fromImage=ghcr.io/org/tool%40" + TOOL_OK));
    assertThat(refusal(pull("fromImage=ghcr.io/org/tool%40" + D1)))
        .contains("image rule \"tool\"", "only at the digests it lists", "not " + D1);
    assertThat(refusal(pull("fromImage=ghcr.io/org/tool&tag=2")))
        .contains("image rule \"tool\"", "ghcr.io/org/tool@sha256:<digest>");
  }

  @Test
  void pull_invalidReference_badRequest() {
    Decision d = pull("fromImage=Evil/Miner&tag=1");
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.BAD_REQUEST);
  }

  @Test
  void import_underImageRules_refused() {
    assertThat(pull("fromSrc=-&repo=registry.site.edu/tool&tag=1"))
        .isInstanceOf(Decision.Deny.class);
  }

  // --- create (docker run, berth run) ---

  @Test
  void create_siteImageByTag_allowedNamingTheRule() {
    assertThat(allowed(run("registry.site.edu/tool:1")).rewrites())
        .anyMatch(
            n ->
                n.contains("image rule \"site\" allows running registry.site.edu/tool:1")
                    && n.contains("registry.site.edu/tool@" + D2));
  }

  @Test
  void create_disallowedImageByName_refused() {
    assertThat(refusal(run("evil/miner:1")))
        .contains(
            "no image rule of role user allows running evil/miner:1", "from docker.io/evil/miner");
  }

  @Test
  void create_byIdOfDisallowedImage_refused() {
    refusal(run(EVIL));
    refusal(run(EVIL.substring("sha256:".length())));
    refusal(run(EVIL.substring("sha256:".length(), 19)));
  }

  @Test
  void create_byDigestOfDisallowedImage_refused() {
    refusal(run("evil/miner@" + D1));
  }

  @Test
  void create_tagRenameOfDisallowedImage_refused() {
    // alice tagged evil/miner:1 as registry.site.edu/tool:2 (in her namespace: docker tag)
    FakeObjects objects = host();
    objects.pulled(
        EVIL,
        Map.of(
            "evil/miner:1",
            Optional.empty(),
            "berth.invalid/u1001/registry.site.edu/tool:2",
            Optional.empty()),
        List.of("evil/miner@" + D1));
    assertThat(refusal(run(ENGINE, objects, "registry.site.edu/tool:2")))
        .contains("registry.site.edu/tool:2", "from docker.io/evil/miner")
        .doesNotContain("berth.invalid");
  }

  @Test
  void create_tagRenameAsPinnedRepoName_refused() {
    FakeObjects objects = host();
    objects.pulled(
        EVIL,
        Map.of("berth.invalid/u1001/docker.io/library/busybox:1.36", Optional.empty()),
        List.of("evil/miner@" + D1));
    refusal(run(ENGINE, objects, "busybox:1.36"));
  }

  @Test
  void create_pinnedRepoByTag_refused_byDigestOrId_allowed() {
    assertThat(refusal(run("busybox:1.36")))
        .contains(
            "image rule \"hub-pinned\"", "docker run docker.io/library/busybox@sha256:<digest>");
    allowed(run("busybox@" + D2));
    allowed(run(HUB_BUSYBOX));
  }

  @Test
  void create_listedDigestByTag_forwardedAsTheJudgedId() {
    Decision.Allow a = allowed(run("ghcr.io/org/tool:1"));
    assertThat(image(a)).isEqualTo(TOOL_OK);
    assertThat(refusal(run("ghcr.io/org/tool:2"))).contains("image rule \"tool\"", "not " + D1);
  }

  @Test
  void create_adminMadeImage_allowed() {
    assertThat(allowed(run("sitebase:1")).rewrites())
        .anyMatch(
            n -> n.contains("image rule \"site-made\"") && n.contains("an administrator made it"));
    allowed(run(ADMIN_MADE));
  }

  @Test
  void create_pulledImageRetaggedByNobody_isNotAdminMade() {
    // evil/miner pulled: its shared tag names the repository it was pulled from
    refusal(run("evil/miner:1"));
  }

  @Test
  void create_ownBuild_allowedBySelfRule_refusedWithoutIt() {
    allowed(run("mytool:1"));
    PolicyEngine strict = engine(POLICY.replace("      - {rule: own-builds, made_by: self}\n", ""));
    assertThat(refusal(run(strict, host(), "mytool:1"))).contains("made by you");
  }

  @Test
  void create_nameNotOnHost_judgedByName() {
    allowed(run("registry.site.edu/new:1"));
    refusal(run("evil/other:1"));
  }

  @Test
  void create_emptyImageRules_refuseEverything() {
    PolicyEngine none =
        engine(POLICY.replaceAll("(?s)images:.*?bindings:", "images: []\nbindings:"));
    assertThat(refusal(run(none, host(), "registry.site.edu/tool:1")))
        .contains("may not use any image");
  }

  @Test
  void create_lookupFails_indeterminate() {
    FakeObjects broken = host();
    broken.broken = true;
    assertThat(run(ENGINE, broken, "registry.site.edu/tool:1"))
        .isNotInstanceOf(Decision.Allow.class);
  }

  // --- builds ---

  @Test
  void build_classicBuilderUnderImageRules_allowedWithTheDockerfileJudged() {
    Decision.Allow a =
        allowed(Fixtures.decide(ENGINE, host(), ALICE, "POST", "/v1.51/build?t=x", null));
    assertThat(a.rewrites())
        .contains("the Dockerfile's images are judged by the image rules of role user for build");
    assertThat(a.forward().body()).isInstanceOf(Body.Stream.class);
  }

  @Test
  void build_remoteContextUnderImageRules_refused() {
    PolicyEngine remote =
        engine(
            POLICY.replace(
                "bind_roots: [\"{home}\"]",
                "allow: {build_remote: [\"https://" + "git.site.edu/\"]}"));
    String d =
        refusal(
            Fixtures.decide(
                remote,
                host(),
                ALICE,
                "POST",
                "/v1.51/build?remote=https%3A%2F%2Fgit.site.edu%2Fx.git",
                null));
    assertThat(d).contains("remote build contexts", "image rules of role user", "clone");
    // without image rules the same prefix is allowed
    allowed(
        Fixtures.decide(
            engine(
                POLICY
                    .replace(
                        "bind_roots: [\"{home}\"]",
                        "allow: {build_remote: [\"https://" + "git.site.edu/\"]}")
                    .replaceAll("(?s)    images:.*?bindings:", "bindings:")),
            host(),
            ALICE,
            "POST",
            "/v1.51/build?remote=https%3A%2F%2Fgit.site.edu%2Fx.git",
            null));
  }

  private static DockerfileVerdict dockerfile(
      PolicyEngine engine, FakeObjects objects, String file, String args, PullMode mode) {
    return engine.dockerfile(ALICE, file.getBytes(StandardCharsets.UTF_8), args, mode, objects);
  }

  private static DockerfileVerdict dockerfile(String file) {
    return dockerfile(ENGINE, host(), file, "", PullMode.MISSING);
  }

  /** The refusal of a Dockerfile by the image rules. */
  private static String built(DockerfileVerdict v) {
    assertThat(v).isInstanceOf(DockerfileVerdict.Refused.class);
    return refusal(((DockerfileVerdict.Refused) v).refusal());
  }

  private static List<String> judged(DockerfileVerdict v) {
    return switch (v) {
      case DockerfileVerdict.Forward f -> f.judged();
      case DockerfileVerdict.Pull p -> p.judged();
      default -> throw new AssertionError("not allowed: " + v);
    };
  }

  private static List<String> pulls(DockerfileVerdict v) {
    assertThat(v).isInstanceOf(DockerfileVerdict.Pull.class);
    return ((DockerfileVerdict.Pull) v)
        .pulls().stream()
            .map(
                a ->
                    a.forward().query().get("fromImage").orElse("")
                        + " "
                        + a.forward().query().get("tag").orElse(""))
            .toList();
  }

  @Test
  void from_allowedImages_forwardedWithTheRuleOfEachInTheAuditNote() {
    DockerfileVerdict v =
        dockerfile(
            "FROM registry.site.edu/tool:1\nFROM sitebase:1\nCOPY --from=mytool:1 /a /b\n"
                + "FROM busybox@"
                + D2
                + "\n");
    assertThat(v).isInstanceOf(DockerfileVerdict.Forward.class);
    assertThat(judged(v))
        .anyMatch(n -> n.startsWith("FROM registry.site.edu/tool:1: image rule \"site\""))
        .anyMatch(n -> n.startsWith("FROM sitebase:1: image rule \"site-made\""))
        .anyMatch(n -> n.startsWith("COPY --from mytool:1: image rule \"own-builds\""))
        .anyMatch(n -> n.contains("image rule \"hub-pinned\""));
  }

  @Test
  void from_disallowedImageTaggedLocallyWithAllowedName_refused() {
    // alice tagged evil/miner:1 as registry.site.edu/tool:2 (in her namespace: docker tag)
    FakeObjects objects = host();
    objects.pulled(
        EVIL,
        Map.of(
            "evil/miner:1",
            Optional.empty(),
            "berth.invalid/u1001/registry.site.edu/tool:2",
            Optional.empty()),
        List.of("evil/miner@" + D1));
    assertThat(
            built(
                dockerfile(
                    ENGINE, objects, "FROM registry.site.edu/tool:2\n", "", PullMode.MISSING)))
        .startsWith("berth: FROM registry.site.edu/tool:2: no image rule of role user allows")
        .contains("from docker.io/evil/miner", "the rules for build:", "site (registry.site.edu/*)")
        .doesNotContain("berth.invalid");
  }

  @Test
  void from_byIdOfDisallowedImage_refused() {
    for (String id :
        new String[] {EVIL, EVIL.substring("sha256:".length()), EVIL.substring(7, 19)}) {
      assertThat(built(dockerfile("FROM " + id + "\n"))).as(id).contains("no image rule");
    }
    assertThat(built(dockerfile("FROM evil/miner@" + D1 + "\n"))).contains("no image rule");
  }

  @Test
  void copyFrom_disallowedImage_refused() {
    assertThat(
            built(
                dockerfile(
                    "FROM registry.site.edu/tool:1\nCOPY --from=evil/miner:1 /bin/miner /x\n")))
        .startsWith("berth: COPY --from evil/miner:1: no image rule");
  }

  @Test
  void onbuild_allowedBaseNamingDisallowedImage_refused() {
    FakeObjects onHost = host().onBuild(SITE, "COPY --from=evil/miner:1 / /x");
    assertThat(
            built(
                dockerfile(
                    ENGINE, onHost, "FROM registry.site.edu/tool:1\n", "", PullMode.MISSING)))
        .contains("ONBUILD of the base image registry.site.edu/tool:1: COPY --from=evil/miner:1")
        .contains("no image rule");
    // a name the daemon does not have: judged by its name, and not pulled
    FakeObjects remote = host().onBuild(SITE, "COPY --from=ghcr.io/evil/x:1 / /x");
    assertThat(
            built(
                dockerfile(
                    ENGINE, remote, "FROM registry.site.edu/tool:1\n", "", PullMode.MISSING)))
        .contains("COPY --from=ghcr.io/evil/x:1", "no image rule");
    // the stage's own trigger
    assertThat(
            built(
                dockerfile(
                    "FROM registry.site.edu/tool:1 AS a\nONBUILD COPY --from=evil/miner:1 / /x\n"
                        + "FROM a\n")))
        .contains("ONBUILD of the stage a");
  }

  @Test
  void onbuild_allowedBaseNamingAllowedMissingImage_pulledFirst() {
    FakeObjects remote = host().onBuild(SITE, "COPY --from=registry.site.edu/lab/data:1 / /x");
    DockerfileVerdict v =
        dockerfile(ENGINE, remote, "FROM registry.site.edu/tool:1\n", "", PullMode.MISSING);
    assertThat(pulls(v)).containsExactly("registry.site.edu/lab/data 1");
    assertThat(dockerfile(ENGINE, remote, "FROM registry.site.edu/tool:1\n", "", PullMode.NONE))
        .isInstanceOf(DockerfileVerdict.Refused.class);
  }

  @Test
  void from_pinnedOnlyRuleByTag_refused() {
    // on the host
    assertThat(built(dockerfile("FROM busybox:1.36\n")))
        .contains(
            "image rule \"hub-pinned\"",
            "only pinned by digest",
            "FROM docker.io/library/busybox@sha256:<digest>");
    // not on the host: refused before any pull
    assertThat(built(dockerfile("FROM python:3.12\n"))).contains("image rule \"hub-pinned\"");
    assertThat(pulls(dockerfile("FROM python@" + D1 + "\n")))
        .containsExactly("docker.io/library/python " + D1);
  }

  @Test
  void from_buildArgNamingPinnedOnlyRepoByTag_judgedAsExpanded() {
    String file = "ARG BASE=registry.site.edu/tool:1\nFROM ${BASE}\n";
    assertThat(dockerfile(file)).isInstanceOf(DockerfileVerdict.Forward.class);
    assertThat(
            built(dockerfile(ENGINE, host(), file, "{\"BASE\":\"python:3.12\"}", PullMode.MISSING)))
        .contains("FROM python:3.12", "hub-pinned");
    assertThat(
            pulls(
                dockerfile(
                    ENGINE, host(), file, "{\"BASE\":\"python@" + D1 + "\"}", PullMode.MISSING)))
        .containsExactly("docker.io/library/python " + D1);
  }

  @Test
  void from_ownBuild_allowedBySelfRule_refusedWithoutIt() {
    assertThat(judged(dockerfile("FROM mytool:1\n")))
        .anyMatch(n -> n.contains("image rule \"own-builds\"") && n.contains("you made it"));
    PolicyEngine strict = engine(POLICY.replace("      - {rule: own-builds, made_by: self}\n", ""));
    assertThat(built(dockerfile(strict, host(), "FROM mytool:1\n", "", PullMode.MISSING)))
        .contains("made by you");
  }

  @Test
  void from_nameAllowedOnlyForPullAndRun_notPulledForABuild() {
    assertThat(built(dockerfile("FROM ghcr.io/org/tool@" + TOOL_OK + "\n")))
        .contains("no image rule of role user allows building from");
    assertThat(built(dockerfile("FROM ghcr.io/org/tool:3\n"))).contains("the rules for build:");
  }

  @Test
  void from_missingNameOfAnAllowedRegistry_pulledFirstNamingTheRule() {
    DockerfileVerdict v = dockerfile("FROM registry.site.edu/lab/base:2\nRUN true\n");
    assertThat(pulls(v)).containsExactly("registry.site.edu/lab/base 2");
    assertThat(judged(v))
        .anyMatch(n -> n.startsWith("FROM registry.site.edu/lab/base:2: image rule \"site\""));
  }

  @Test
  void from_buildOnlyRule_pulledForTheBuildThoughNotForDockerPull() {
    PolicyEngine buildOnly =
        engine(
            POLICY.replace(
                "      - {rule: site-made, made_by: admin}\n",
                "      - {rule: bases, repos: [\"quay.io/bases/*\"], for: [build]}\n"));
    assertThat(
            pulls(dockerfile(buildOnly, host(), "FROM quay.io/bases/x:1\n", "", PullMode.MISSING)))
        .containsExactly("quay.io/bases/x 1");
    refusal(
        Fixtures.decide(
            buildOnly,
            host(),
            ALICE,
            "POST",
            "/v1.51/images/create?fromImage=quay.io%2Fbases%2Fx&tag=1",
            null));
  }

  @Test
  void from_stageNamesAndScratch_notJudgedAsImages() {
    // a stage named like a disallowed image is the stage
    DockerfileVerdict v =
        dockerfile(
            "FROM registry.site.edu/tool:1 AS evil/miner\nFROM scratch\nCOPY --from=evil/miner"
                + " /a /b\nFROM registry.site.edu/tool:1 AS busybox\nFROM busybox\n");
    assertThat(v).isInstanceOf(DockerfileVerdict.Forward.class);
  }

  @Test
  void refresh_sharedTagPulledAgainOnlyWhenAllowedForBuild() {
    assertThat(
            pulls(
                dockerfile(
                    ENGINE, host(), "FROM registry.site.edu/tool:1\n", "", PullMode.REFRESH)))
        .containsExactly("registry.site.edu/tool 1");
  }

  @Test
  void from_listedDigestByTag_builtFromTheJudgedId_refreshByTagRefused() throws Exception {
    PolicyEngine listed = engine(POLICY.replace("for: [pull, run]", "for: [pull, run, build]"));
    // on the host at a listed digest: built from the id judged, as a run is
    DockerfileVerdict v =
        dockerfile(listed, host(), "FROM ghcr.io/org/tool:1\n", "", PullMode.MISSING);
    assertThat(v).isInstanceOf(DockerfileVerdict.Forward.class);
    assertThat(
            Dockerfile.parse(((DockerfileVerdict.Forward) v).dockerfile())
                .instructions()
                .getFirst()
                .line())
        .isEqualTo("FROM " + TOOL_OK);
    assertThat(built(dockerfile(listed, host(), "FROM ghcr.io/org/tool:2\n", "", PullMode.MISSING)))
        .contains("image rule \"tool\"", "not " + D1);
    // --pull would fetch whatever the tag names now: judged by the name before the pull
    assertThat(built(dockerfile(listed, host(), "FROM ghcr.io/org/tool:1\n", "", PullMode.REFRESH)))
        .contains("image rule \"tool\"", "only at the digests it lists");
  }

  @Test
  void dockerfile_withoutImageRules_noImageRuleNotes() {
    DockerfileVerdict v =
        Fixtures.ENGINE.dockerfile(
            ALICE,
            "FROM busybox\n".getBytes(StandardCharsets.UTF_8),
            "",
            PullMode.MISSING,
            Fixtures.objects());
    assertThat(judged(v)).noneMatch(n -> n.contains("image rule"));
  }

  /**
   * The upgrade names nothing: the image rules go with each Solve (berth-buildkit, which refuses
   * the Solve on engines without source policies), so the upgrade asks the daemon nothing and is
   * allowed whatever the engine.
   */
  @Test
  void grpc_underImageRules_allowedWithoutAskingTheEngine() {
    FakeObjects broken = host();
    broken.broken = true;
    allowed(Fixtures.decide(ENGINE, broken, ALICE, "POST", "/grpc", null));
  }

  @Test
  void defaultPolicy_noImageRules_anyImageAsToday() {
    allowed(
        Fixtures.decide(
            Fixtures.ENGINE,
            host(),
            ALICE,
            "POST",
            "/v1.51/images/create?fromImage=evil/miner&tag=1",
            null));
    allowed(run(Fixtures.ENGINE, host(), "evil/miner:1"));
    allowed(run(Fixtures.ENGINE, host(), EVIL));
  }

  @Test
  void administrator_withoutImageRules_unjudged() {
    allowed(
        Fixtures.decide(
            ENGINE,
            host(),
            Fixtures.ROOT,
            "POST",
            "/v1.51/images/create?fromImage=evil/miner&tag=1",
            null));
  }

  // --- by id, all tags, the engine's version ---

  @Test
  void create_byIdUnderAnUnpinnedLibraryRule_judgedAsTheImageNotAsAName() {
    // "sha256:eeee…" and "eeee…" are also valid names in docker.io/library; the image behind them
    // was pulled from docker.io/evil/miner, and that is what the rule must judge.
    PolicyEngine hub =
        engine(
            """
            roles:
              user:
                actions: [container_create]
                images:
                  - {rule: hub, repos: ["docker.io/library/*"]}
            bindings: [{role: user, users: ["*"]}]
            """);
    String hex = EVIL.substring("sha256:".length());
    for (String id : List.of(EVIL, hex, hex.substring(0, 12))) {
      assertThat(refusal(run(hub, host(), id))).as(id).contains("from docker.io/evil/miner");
    }
    allowed(run(hub, host(), HUB_BUSYBOX));
  }

  @Test
  void create_byIdPrefixOfAPinnedOnlyImage_countsAsPinned() {
    // an id names one content, so a digests-required rule accepts it; a 12-digit id prefix is also
    // a valid repository name (docker.io/library/b0b0…), which must not be judged instead
    String prefix = HUB_BUSYBOX.substring("sha256:".length(), "sha256:".length() + 12);
    allowed(run(prefix));
    allowed(run("sha256:" + prefix));
  }

  @Test
  void pull_allTagsByARoleReachingAllImages_judgedAsEveryTagOfTheRepository() {
    // docker pull -a: refused to users by ownership; a role with scope all gets this far.
    PolicyEngine all =
        engine(
            """
            roles:
              builder:
                actions: [image_create]
                scope: all
                images:
                  - {rule: site, repos: ["registry.site.edu/*"]}
                  - {rule: hub-pinned, repos: ["docker.io/library/*"], digests: required}
            bindings: [{role: builder, users: ["*"]}]
            """);
    assertThat(allowed(pullAs(all, "fromImage=registry.site.edu/tool")).rewrites())
        .anyMatch(n -> n.contains("registry.site.edu/tool (all tags)"));
    for (String one :
        List.of(
            "fromImage=registry.site.edu/tool&tag=1",
            "fromImage=registry.site.edu/tool%3A1",
            "fromImage=registry.site.edu/tool%40" + D1)) {
      assertThat(allowed(pullAs(all, one)).rewrites())
          .as(one)
          .noneMatch(n -> n.contains("(all tags)"));
    }
    assertThat(refusal(pullAs(all, "fromImage=busybox"))).contains("image rule \"hub-pinned\"");
  }

  private static Decision pullAs(PolicyEngine engine, String query) {
    return Fixtures.decide(engine, host(), ALICE, "POST", "/v1.51/images/create?" + query, null);
  }

  @Test
  void create_unparseableNameNotOnHost_refused() {
    assertThat(refusal(run("Evil/Miner:1"))).contains("is not an image name");
  }

  @Test
  void consultsDirectory_createUnderImageRules_asksTheDaemonBuildKitNot() {
    CanonicalRequest grpc = Fixtures.parse("POST", "/grpc");
    CanonicalRequest info = Fixtures.parse("GET", "/v1.51/info");
    assertThat(ENGINE.consultsDirectory(ALICE, Fixtures.parse("POST", "/v1.51/containers/create")))
        .isTrue();
    assertThat(ENGINE.consultsDirectory(ALICE, grpc)).isFalse();
    assertThat(ENGINE.consultsDirectory(ALICE, info)).isFalse();
  }

  @Test
  void create_adminMadeRuleLimitedToRepos_otherImagesRefused() {
    PolicyEngine sitebase =
        engine(
            """
            roles:
              user:
                actions: [container_create]
                images:
                  - {rule: site-made, made_by: admin, repos: ["docker.io/library/sitebase"]}
            bindings: [{role: user, users: ["*"]}]
            """);
    FakeObjects objects =
        host()
            .image(
                "sha256:" + "af".repeat(32),
                Optional.empty(),
                Map.of("othertool:1", Optional.empty()));
    allowed(run(sitebase, objects, "sitebase:1"));
    assertThat(refusal(run(sitebase, objects, "othertool:1")))
        .contains(
            "othertool:1", "site-made (made by an administrator as docker.io/library/sitebase)");
    refusal(run(sitebase, objects, "mytool:1")); // alice built it: not an administrator's image
  }
}
