package dev.berth.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.ImagePattern;
import dev.berth.policy.ImagePolicy;
import dev.berth.policy.ImageRule;
import dev.berth.policy.ImageUse;
import dev.berth.policy.Owner;
import google.rpc.StatusOuterClass.Status;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import moby.buildkit.v1.ControlOuterClass;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.MatchType;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Policy;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.PolicyAction;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Rule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Issue 16 item 2: a role's image rules reach BuildKit as a source policy. */
class ImageSourcePolicyTest {
  private static final String OK = "sha256:" + "e1".repeat(32);
  private static final String OTHER = "sha256:" + "e2".repeat(32);
  private static final ImagePolicy IMAGES =
      new ImagePolicy(
          true,
          List.of(
              rule("site", List.of("registry.site.edu/*"), ImageRule.Digests.ANY, Set.of()),
              rule(
                  "hub-pinned",
                  List.of("docker.io/library/*"),
                  ImageRule.Digests.REQUIRED,
                  Set.of()),
              rule("tool", List.of("ghcr.io/org/tool"), ImageRule.Digests.LISTED, Set.of(OK)),
              new ImageRule(
                  "site-made",
                  List.of(),
                  EnumSet.of(ImageUse.RUN, ImageUse.BUILD),
                  ImageRule.Digests.ANY,
                  Set.of(),
                  ImageRule.MadeBy.ADMIN),
              new ImageRule(
                  "run-only",
                  List.of(ImagePattern.of("quay.io/*")),
                  EnumSet.of(ImageUse.RUN),
                  ImageRule.Digests.ANY,
                  Set.of(),
                  ImageRule.MadeBy.REGISTRY)));

  private static ImageRule rule(
      String name, List<String> repos, ImageRule.Digests digests, Set<String> listed) {
    return new ImageRule(
        name,
        repos.stream().map(ImagePattern::of).toList(),
        EnumSet.allOf(ImageUse.class),
        digests,
        listed,
        ImageRule.MadeBy.REGISTRY);
  }

  /** BuildKit's decision: the last matching allow or deny wins (sourcepolicy/engine.go). */
  private static boolean allowed(Policy p, String identifier) {
    boolean deny = false;
    for (Rule r : p.getRulesList()) {
      assertThat(r.getSelector().getMatchType()).isEqualTo(MatchType.REGEX);
      if (Pattern.compile(r.getSelector().getIdentifier()).matcher(identifier).find()) {
        deny = r.getAction() == PolicyAction.DENY;
      }
    }
    return !deny;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "docker-image://registry.site.edu/tool:1, true",
    "docker-image://registry.site.edu/group/tool:1@"
        + "sha256:"
        + "abababababababababababababababababababababababababababababababab, true",
    "docker-image://registry.site.edu.evil.com/tool:1, false",
    "docker-image://evil.com/registry.site.edu/tool:1, false",
    "docker-image://docker.io/library/alpine:3.20, false",
    "docker-image://docker.io/library/alpine@sha256:"
        + "abababababababababababababababababababababababababababababababab, true",
    "docker-image://docker.io/library/alpine:3.20@sha256:"
        + "abababababababababababababababababababababababababababababababab, true",
    "docker-image://docker.io/evil/alpine@sha256:"
        + "abababababababababababababababababababababababababababababababab, false",
    "docker-image://ghcr.io/org/tool:1, false",
    "docker-image://ghcr.io/org/tool@sha256:"
        + "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1, true",
    "docker-image://ghcr.io/org/tool@sha256:"
        + "e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2, false",
    "docker-image://quay.io/org/tool:1, false",
    "docker-image://docker.io/library/sitebase:1, false",
    "local://context, true",
    "git://github.com/org/repo, true",
  })
  void of_sourceIdentifiers_judgedAsTheRules(String identifier, boolean allowed) {
    assertThat(allowed(ImageSourcePolicy.of(IMAGES, false, RemoteSources.ANY), identifier))
        .isEqualTo(allowed);
  }

  private static final String ALICE_APP = "berth.invalid/u1001/docker.io/library/app:1";

  /** The identifier a build loads under {@code p}, or null when BuildKit denies it. */
  private static String evaluate(Policy p, String identifier) {
    return allowed(p, identifier) ? identifier : null;
  }

  /** Issue 13: bob's FROM of alice's private image by its daemon name is denied by BuildKit. */
  @Test
  void build_fromOtherUsersImageByDaemonName_refused() {
    Policy bobs = ImageSourcePolicy.of(ImagePolicy.ANY, true, RemoteSources.ANY);
    assertThat(evaluate(bobs, "docker-image://" + ALICE_APP)).isNull();
    assertThat(evaluate(bobs, "docker-image://BERTH.INVALID/u1001/docker.io/library/app:1"))
        .isNull();
    assertThat(evaluate(bobs, "docker-image://docker.io/library/app:1"))
        .isEqualTo("docker-image://docker.io/library/app:1");
    assertThat(
            evaluate(
                ImageSourcePolicy.of(ImagePolicy.ANY, false, RemoteSources.ANY),
                "docker-image://" + ALICE_APP))
        .as("administrators see the daemon as it is")
        .isEqualTo("docker-image://" + ALICE_APP);
    assertThat(
            evaluate(
                ImageSourcePolicy.of(IMAGES, true, RemoteSources.ANY),
                "docker-image://" + ALICE_APP))
        .isNull();
    assertThat(
            evaluate(
                ImageSourcePolicy.of(IMAGES, true, RemoteSources.ANY),
                "docker-image://registry.site.edu/tool:1"))
        .isEqualTo("docker-image://registry.site.edu/tool:1");
  }

  @Test
  void of_noRulesForBuild_deniesEveryImage() {
    Policy p = ImageSourcePolicy.of(new ImagePolicy(true, List.of()), false, RemoteSources.ANY);
    assertThat(allowed(p, "docker-image://docker.io/library/alpine:3.20")).isFalse();
    assertThat(p.getVersion()).isEqualTo(1);
  }

  private static BuildCaller caller() {
    return new BuildCaller(
        1001,
        new Owner(1001, -1),
        name -> name,
        FrontendPins.NONE,
        IMAGES,
        (path, v) -> CompletableFuture.completedFuture(null),
        (id, names) -> {},
        false,
        RemoteSources.allowing(Set.of()),
        Optional::empty);
  }

  @Test
  void solve_underImageRules_forwardedWithTheSourcePolicy() throws Exception {
    BuildOwners owners = new BuildOwners();
    owners.openSession("s", 1001);
    ControlOuterClass.SolveRequest s =
        ControlOuterClass.SolveRequest.newBuilder()
            .setRef("r")
            .setSession("s")
            .putFrontendAttrs("filename", "Dockerfile")
            .build();
    Verdict v =
        new CallJudge(owners).judge(caller(), CallJudge.CONTROL + "Solve", "", s.toByteArray());
    assertThat(v).isInstanceOf(Verdict.Forward.class);
    Verdict.Forward f = (Verdict.Forward) v;
    assertThat(ControlOuterClass.SolveRequest.parseFrom(f.message()).getSourcePolicy())
        .isEqualTo(ImageSourcePolicy.of(IMAGES, false, caller().remote()));
    assertThat(f.note()).contains("source policy (site, hub-pinned, tool)");
  }

  @Test
  void solve_sourcePolicySessionUnderImageRules_refused() {
    BuildOwners owners = new BuildOwners();
    owners.openSession("s", 1001);
    ControlOuterClass.SolveRequest s =
        ControlOuterClass.SolveRequest.newBuilder()
            .setRef("r")
            .setSession("s")
            .setSourcePolicySession("s")
            .build();
    Verdict v =
        new CallJudge(owners).judge(caller(), CallJudge.CONTROL + "Solve", "", s.toByteArray());
    assertThat(v).isInstanceOf(Verdict.Refuse.class);
    assertThat(((Verdict.Refuse) v).message()).contains("source-policy session");
  }

  @Test
  void solve_ownSourcePolicyUnderImageRules_refused() {
    BuildOwners owners = new BuildOwners();
    owners.openSession("s", 1001);
    ControlOuterClass.SolveRequest s =
        ControlOuterClass.SolveRequest.newBuilder()
            .setRef("r")
            .setSession("s")
            .setSourcePolicy(
                Policy.newBuilder()
                    .setVersion(1)
                    .addRules(Rule.newBuilder().setAction(PolicyAction.ALLOW)))
            .build();
    Verdict v =
        new CallJudge(owners).judge(caller(), CallJudge.CONTROL + "Solve", "", s.toByteArray());
    assertThat(v).isInstanceOf(Verdict.Refuse.class);
  }

  @Test
  void explainDenial_buildKitsRefusal_namesTheRules() {
    Http2Headers trailers =
        new DefaultHttp2Headers()
            .setInt("grpc-status", 2)
            .set(
                "grpc-message",
                "source%20%22docker-image://docker.io/evil/x:1%22%20denied%20by%20policy");
    String message =
        ImageSourcePolicy.explainDenial(trailers, IMAGES, RemoteSources.ANY)
            .get("grpc-message")
            .toString();
    assertThat(URLDecoder.decode(message, StandardCharsets.UTF_8))
        .startsWith("source \"docker-image://docker.io/evil/x:1\" denied by policy (berth: ")
        .contains(
            "your role's image rules for build allow site (registry.site.edu/*), "
                + "hub-pinned (docker.io/library/* by digest), tool (ghcr.io/org/tool at listed "
                + "digests)");
  }

  @Test
  void explainDenial_otherTrailersOrNoRules_unchanged() {
    Http2Headers ok = new DefaultHttp2Headers().setInt("grpc-status", 0);
    assertThat(ImageSourcePolicy.explainDenial(ok, IMAGES, RemoteSources.ANY)).isSameAs(ok);
    Http2Headers denied = new DefaultHttp2Headers().set("grpc-message", "denied by policy");
    assertThat(ImageSourcePolicy.explainDenial(denied, ImagePolicy.ANY, RemoteSources.ANY))
        .isSameAs(denied);
    Http2Headers once = ImageSourcePolicy.explainDenial(denied, IMAGES, RemoteSources.ANY);
    assertThat(
            ImageSourcePolicy.explainDenial(
                    new DefaultHttp2Headers()
                        .set("grpc-message", "outer: " + once.get("grpc-message")),
                    IMAGES,
                    RemoteSources.ANY)
                .get("grpc-message")
                .toString())
        .containsOnlyOnce("berth");
  }

  @Test
  void explainDenial_statusDetails_carryTheNoteToo() throws Exception {
    String details =
        Base64.getEncoder()
            .withoutPadding()
            .encodeToString(
                Status.newBuilder()
                    .setCode(2)
                    .setMessage("source \"docker-image://docker.io/evil/x:1\" denied by policy")
                    .build()
                    .toByteArray());
    Http2Headers trailers =
        new DefaultHttp2Headers()
            .set("grpc-message", "source%20denied%20by%20policy")
            .set("grpc-status-details-bin", details);
    Status out =
        Status.parseFrom(
            Base64.getDecoder()
                .decode(
                    ImageSourcePolicy.explainDenial(trailers, IMAGES, RemoteSources.ANY)
                        .get("grpc-status-details-bin")
                        .toString()));
    assertThat(out.getCode()).isEqualTo(2);
    assertThat(out.getMessage())
        .contains(
            "denied by policy (berth: your role's image rules "
                + "for build allow site (registry.site.edu/*)");
  }
}
