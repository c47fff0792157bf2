package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ALICE_IMAGE;
import static dev.berth.policy.Fixtures.BASE_IMAGE;
import static dev.berth.policy.Fixtures.ENGINE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.docker.Dockerfile;
import dev.berth.policy.rules.DockerfileRules;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyLoader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: the images a classic build's Dockerfile names are resolved for the caller, and the
 * daemon reads only what berth judged ({@code DockerfileRules}).
 */
class DockerfileJudgeTest {
  /** An image bob made, tagged in his namespace. */
  private static final String BOB_IMAGE = "sha256:" + "b0b".repeat(21) + "b";

  private static final String BOB_DAEMON_NAME = "berth.invalid/u1002/docker.io/library/secret:1";
  private static final String ALICE_APP = "berth.invalid/u1001/docker.io/library/app:1";
  private static final String ALICE_APP_ID = "sha256:" + "a9".repeat(32);

  private static FakeObjects host() {
    return Fixtures.objects()
        .image(BOB_IMAGE, FakeObjects.owner(1002), Map.of(BOB_DAEMON_NAME, Optional.empty()))
        .image(ALICE_APP_ID, FakeObjects.owner(1001), Map.of(ALICE_APP, Optional.empty()));
  }

  private static DockerfileVerdict judge(FakeObjects objects, String dockerfile, String args) {
    return ENGINE.dockerfile(
        ALICE, dockerfile.getBytes(StandardCharsets.UTF_8), args, PullMode.MISSING, objects);
  }

  private static DockerfileVerdict judge(
      PolicyEngine engine, FakeObjects objects, String dockerfile, PullMode mode) {
    return engine.dockerfile(ALICE, dockerfile.getBytes(StandardCharsets.UTF_8), "", mode, objects);
  }

  /** The pulls a verdict asks for, as {@code fromImage tag}. */
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

  private static Dockerfile forwarded(DockerfileVerdict v) throws Exception {
    assertThat(v).isInstanceOf(DockerfileVerdict.Forward.class);
    return Dockerfile.parse(((DockerfileVerdict.Forward) v).dockerfile());
  }

  private static String refusal(DockerfileVerdict v, Decision.Status status) {
    assertThat(v).isInstanceOf(DockerfileVerdict.Refused.class);
    Decision d = ((DockerfileVerdict.Refused) v).refusal();
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(status);
    return ((Decision.Deny) d).reason();
  }

  @Test
  void from_otherUsersImageByAnyReference_refusedAsMissing() {
    for (String ref :
        new String[] {
          BOB_IMAGE,
          BOB_IMAGE.substring("sha256:".length()),
          BOB_IMAGE.substring(7, 19),
          BOB_DAEMON_NAME,
          "BERTH.invalid/u1002/docker.io/library/secret:1"
        }) {
      assertThat(refusal(judge(host(), "FROM " + ref + "\n", ""), Decision.Status.NOT_FOUND))
          .as(ref)
          .contains("No such image: " + ref);
    }
  }

  @Test
  void copyFrom_otherUsersImage_refusedAsMissing() {
    String r =
        refusal(
            judge(host(), "FROM busybox\nCOPY --from=" + BOB_IMAGE + " / /x\n", ""),
            Decision.Status.NOT_FOUND);
    assertThat(r).contains("No such image: " + BOB_IMAGE);
  }

  @Test
  void from_ownPrivateTag_forwardedAsItsId() throws Exception {
    Dockerfile df = forwarded(judge(host(), "FROM app:1\nRUN true\n", ""));
    assertThat(df.instructions().get(0).line()).isEqualTo("FROM " + ALICE_APP_ID);
  }

  @Test
  void from_sharedImageAndId_forwardedAsJudged() throws Exception {
    Dockerfile df =
        forwarded(
            judge(host(), "FROM busybox AS base\nFROM " + BASE_IMAGE.substring(7, 19) + "\n", ""));
    assertThat(df.instructions().get(0).line()).isEqualTo("FROM " + BASE_IMAGE + " AS base");
    assertThat(df.instructions().get(1).line()).isEqualTo("FROM " + BASE_IMAGE);
  }

  @Test
  void from_stageNamesAndCopyFromIndex_passUnchanged() throws Exception {
    Dockerfile df =
        forwarded(
            judge(
                host(),
                "FROM busybox AS Build\nRUN true\nFROM BUILD\nCOPY --from=0 /a /b\n"
                    + "COPY --from=build /a /c\n",
                ""));
    assertThat(df.instructions().get(2).line()).isEqualTo("FROM build");
    assertThat(df.instructions().get(3).flag("--from")).isEqualTo("0");
    assertThat(df.instructions().get(4).flag("--from")).isEqualTo("build");
  }

  @Test
  void from_argWithBuildArg_expandedThenJudged() throws Exception {
    String file = "ARG BASE=busybox\nFROM ${BASE}\n";
    assertThat(forwarded(judge(host(), file, "")).instructions().get(1).line())
        .isEqualTo("FROM " + BASE_IMAGE);
    assertThat(
            refusal(
                judge(host(), file, "{\"BASE\":\"" + BOB_DAEMON_NAME + "\"}"),
                Decision.Status.NOT_FOUND))
        .contains("No such image");
    assertThat(forwarded(judge(host(), file, "{\"BASE\":\"app:1\"}")).instructions().get(1).line())
        .isEqualTo("FROM " + ALICE_APP_ID);
  }

  @Test
  void from_imageNotOnTheHost_pulledFirstAsTheCallersPull() {
    DockerfileVerdict v = judge(host(), "FROM python:3.12\nRUN true\n", "");
    assertThat(pulls(v)).containsExactly("docker.io/library/python 3.12");
    Decision.Allow pull = ((DockerfileVerdict.Pull) v).pulls().getFirst();
    assertThat(pull.forward().path()).isEqualTo("/images/create");
    assertThat(pull.followUp())
        .isInstanceOfSatisfying(
            Decision.FollowUp.ClaimImage.class, c -> assertThat(c.ref()).isEqualTo("python:3.12"));
    assertThat(((DockerfileVerdict.Pull) v).judged())
        .contains("FROM python:3.12: pulled first (docker.io/library/python:3.12)");
  }

  @Test
  void from_sameMissingImageTwiceAndByDigest_eachPulledOnce() {
    String digest = "sha256:" + "e".repeat(64);
    assertThat(
            pulls(
                judge(
                    host(),
                    "FROM python:3.12\nFROM python:3.12 AS b\nFROM busybox@"
                        + digest
                        + "\nCOPY --from=registry.site.edu/lab/tool /a /b\n",
                    "")))
        .containsExactly(
            "docker.io/library/python 3.12",
            "docker.io/library/busybox " + digest,
            "registry.site.edu/lab/tool latest");
  }

  @Test
  void from_imageGoneAfterBerthsPull_refusedToBuildAgain() {
    String r =
        refusal(
            judge(ENGINE, host(), "FROM python:3.12\n", PullMode.NONE), Decision.Status.NOT_FOUND);
    assertThat(r).contains("FROM python:3.12: the image is not on this host").contains("again");
  }

  @Test
  void from_pullOfProtectedRepository_refusedNamingTheRule() throws Exception {
    PolicyEngine engine =
        new PolicyEngine(
            PolicyLoader.load(
                PolicyDefaults.text()
                    .replace(
                        "protected_repositories: []",
                        "protected_repositories: [\"docker.io/library/*\"]"),
                "t.yaml",
                g -> Optional.empty()),
            Fixtures.HOST);
    DockerfileVerdict v = judge(engine, host(), "FROM python:3.12\n", PullMode.MISSING);
    assertThat(v).isInstanceOf(DockerfileVerdict.Refused.class);
    Decision.Deny d = (Decision.Deny) ((DockerfileVerdict.Refused) v).refusal();
    assertThat(d.rule()).isEqualTo("protected_repository");
    assertThat(d.status()).isEqualTo(Decision.Status.FORBIDDEN);
    assertThat(d.reason())
        .startsWith(
            "berth: FROM python:3.12 needs a pull of docker.io/library/python:3.12, which is"
                + " refused: ")
        .contains("only administrators may pull into it")
        .doesNotContain("refused: berth:");
    // an image on the host is used as it is, the repository's protection notwithstanding
    forwarded(judge(engine, host(), "FROM busybox\n", PullMode.MISSING));
  }

  @Test
  void from_sharedTagHeldForAnotherUser_refusedAsMissingWithoutAPull() {
    FakeObjects objects = host().held("busybox:latest", FakeObjects.owner(1002).get());
    for (PullMode mode : PullMode.values()) {
      assertThat(refusal(judge(ENGINE, objects, "FROM busybox\n", mode), Decision.Status.NOT_FOUND))
          .as(mode.name())
          .contains("No such image: busybox");
    }
  }

  @Test
  void refresh_sharedTagsPulledAgain_ownImagesIdsAndDigestsNot() throws Exception {
    String file =
        "FROM busybox\nFROM app:1\nFROM "
            + ALICE_IMAGE.substring(7, 19)
            + "\nCOPY --from=busybox:latest /a /b\nFROM scratch\n";
    assertThat(pulls(judge(ENGINE, host(), file, PullMode.REFRESH)))
        .containsExactly("docker.io/library/busybox latest");
    forwarded(judge(ENGINE, host(), file, PullMode.MISSING));
    forwarded(judge(ENGINE, host(), file, PullMode.NONE));
  }

  @Test
  void copyFrom_imageNotOnTheHost_pulledFirst() {
    assertThat(pulls(judge(host(), "FROM busybox\nCOPY --from=python:3.12 /a /b\n", "")))
        .containsExactly("docker.io/library/python 3.12");
  }

  @Test
  void copyFrom_sharedImage_forwardedAsItsId() throws Exception {
    Dockerfile df = forwarded(judge(host(), "FROM busybox\nCOPY --from=busybox /a /b\n", ""));
    assertThat(df.instructions().get(1).flag("--from")).isEqualTo(BASE_IMAGE);
  }

  @Test
  void pullImageEffect_pullsWithTheCredentials_registryErrorRefusesInTheDaemonsWords()
      throws Exception {
    Effect.PullImage pull = new Effect.PullImage("docker.io/library/python", "3.12", "c2VjcmV0");
    FakeObjects objects = host();
    assertThat(pull.perform(objects)).isEmpty();
    assertThat(objects.pulls).containsExactly("docker.io/library/python 3.12 c2VjcmV0");
    objects.pullError = "manifest for python:3.12 not found: manifest unknown";
    assertThat(pull.perform(objects))
        .contains(
            new Decision.Deny(
                Effect.PullImage.PULL_RULE,
                Decision.Status.BAD_GATEWAY,
                "manifest for python:3.12 not found: manifest unknown"));
    assertThat(pull.toString()).contains("python").doesNotContain("c2VjcmV0");
  }

  @Test
  void pull_undecided_refusedAsUndecided() {
    Grant grant = ENGINE.policy().grantOf(ALICE).orElseThrow();
    Decision undecided = new Decision.Indeterminate("ownership_lookup", "no daemon");
    DockerfileVerdict v =
        DockerfileRules.judge(
            "FROM python:3.12\n".getBytes(StandardCharsets.UTF_8),
            "",
            ALICE,
            grant,
            host(),
            PullMode.MISSING,
            image -> undecided);
    assertThat(v).isEqualTo(new DockerfileVerdict.Refused(undecided));
  }

  @Test
  void copyFrom_variable_refused() {
    assertThat(
            refusal(
                judge(host(), "FROM busybox\nCOPY --from=$X /a /b\n", ""),
                Decision.Status.BAD_REQUEST))
        .contains("variable in --from");
  }

  @Test
  void onbuild_baseImageTriggerReadingOthersImage_refusedNamingTheBase() {
    FakeObjects objects = host().onBuild(BASE_IMAGE, "COPY --from=" + BOB_DAEMON_NAME + " / /x");
    assertThat(refusal(judge(objects, "FROM busybox\n", ""), Decision.Status.FORBIDDEN))
        .contains("the base image busybox has an ONBUILD trigger");
  }

  @Test
  void onbuild_baseImageTriggerReadingSharedImage_allowed() throws Exception {
    FakeObjects objects = host().onBuild(BASE_IMAGE, "COPY --from=busybox / /x");
    forwarded(judge(objects, "FROM busybox\n", ""));
  }

  @Test
  void onbuild_ownStageTriggerReadingOthersImage_refusedWhenTheStageIsUsed() {
    String file = "FROM busybox AS a\nONBUILD COPY --from=" + BOB_IMAGE + " / /x\nFROM a\n";
    assertThat(refusal(judge(host(), file, ""), Decision.Status.FORBIDDEN))
        .contains("the stage a has an ONBUILD trigger");
  }

  @Test
  void add_url_refusedUnlessAllowed() {
    assertThat(
            refusal(
                judge(host(), "FROM busybox\nADD http://127.0.0.1:2375/version /v\n", ""),
                Decision.Status.FORBIDDEN))
        .contains("fetch it inside a RUN step");
    assertThat(
            refusal(
                judge(host(), "FROM busybox\nADD [\"HTTPS://example.org/x\", \"/x\"]\n", ""),
                Decision.Status.FORBIDDEN))
        .contains("RUN step");
  }

  @Test
  void add_localFileAndCopyOfUrlLookingPath_allowed() throws Exception {
    forwarded(judge(host(), "FROM busybox\nADD a.tar /x\nCOPY http/x /y\n", ""));
  }

  @Test
  void copyFrom_numberBeyondInt64_judgedAsAnImageNameNotAStage() {
    DockerfileVerdict v =
        judge(
            host(),
            "FROM busybox\nCOPY --from=9223372036854775807 /a /b\n"
                + "COPY --from=99999999999999999999 /a /c\n",
            "");
    assertThat(pulls(v)).containsExactly("docker.io/library/99999999999999999999 latest");
  }

  @Test
  void onbuild_baseImageTriggerAddingUrl_refusedNamingTheBase() {
    FakeObjects objects = host().onBuild(BASE_IMAGE, "ADD http://127.0.0.1:2375/version /v");
    assertThat(refusal(judge(objects, "FROM busybox\n", ""), Decision.Status.FORBIDDEN))
        .contains("(an ONBUILD trigger of the base image busybox)")
        .contains("allow.build_remote");
  }

  @Test
  void add_urlUnderAPrefixOfTheRole_forwardedAndOthersRefused() throws Exception {
    PolicyEngine allowing =
        new PolicyEngine(
            PolicyLoader.load(
                """
                roles:
                  user:
                    actions: [image_build]
                    allow:
                      build_remote: ["https://mirror.example/", "https://example.org/files/"]
                bindings:
                  - role: user
                    users: ["*"]
                """,
                "test",
                g -> Optional.empty()),
            Fixtures.HOST);
    String allowed = "FROM busybox\nADD https://example.org/files/a.tar /x\n";
    assertThat(judge(allowing, host(), allowed, PullMode.MISSING))
        .isInstanceOfSatisfying(
            DockerfileVerdict.Forward.class,
            f ->
                assertThat(f.judged())
                    .contains(
                        "ADD https://example.org/files/a.tar: allowed by allow.build_remote"));
    String other = "FROM busybox\nADD https://example.org/other.tar /x\n";
    assertThat(refusal(judge(allowing, host(), other, PullMode.MISSING), Decision.Status.FORBIDDEN))
        .contains("allow.build_remote");
  }

  @Test
  void add_destinationLookingLikeUrl_notASource() throws Exception {
    forwarded(judge(host(), "FROM busybox\nADD a.tar https://example.org/\n", ""));
  }

  @Test
  void add_urlWithoutDestination_refusedAsASource() {
    assertThat(
            refusal(
                judge(host(), "FROM busybox\nADD https://example.org/x\n", ""),
                Decision.Status.FORBIDDEN))
        .contains("RUN step");
  }

  @Test
  void from_imageOfAliceByItsId_forwardedAsFullId() throws Exception {
    Dockerfile df = forwarded(judge(host(), "FROM " + ALICE_IMAGE.substring(7, 19) + "\n", ""));
    assertThat(df.instructions().get(0).line()).isEqualTo("FROM " + ALICE_IMAGE);
  }

  @Test
  void judge_daemonUnreachable_indeterminate() {
    FakeObjects objects = host();
    objects.broken = true;
    assertThat(judge(objects, "FROM busybox\n", ""))
        .isInstanceOf(DockerfileVerdict.Refused.class)
        .extracting(v -> ((DockerfileVerdict.Refused) v).refusal())
        .isInstanceOf(Decision.Indeterminate.class);
  }
}
