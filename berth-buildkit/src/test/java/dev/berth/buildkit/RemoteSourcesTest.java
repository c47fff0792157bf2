package dev.berth.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.ImagePolicy;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.AttrConstraint;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.AttrMatch;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.MatchType;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Policy;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.PolicyAction;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Rule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code ADD <url>} and git sources are fetched by the daemon as root on the host's network: denied
 * by the source policy unless under the role's {@code allow.build_remote}.
 */
class RemoteSourcesTest {
  private static final RemoteSources NONE = RemoteSources.allowing(Set.of());
  private static final RemoteSources SITE =
      RemoteSources.allowing(
          Set.of("https://files.site.edu/pub/", "git@git.site.edu:group/", "http://mirror.lan/"));

  /**
   * BuildKit's decision (sourcepolicy/engine.go, matcher.go): a rule matches when its attribute
   * constraints hold ({@code MATCHES}: an unanchored regular expression) and its identifier regex
   * is found; the last matching allow or deny wins.
   */
  static boolean allowed(Policy p, String identifier, Map<String, String> attrs) {
    boolean deny = false;
    for (Rule r : p.getRulesList()) {
      assertThat(r.getSelector().getMatchType()).isEqualTo(MatchType.REGEX);
      boolean holds = true;
      for (AttrConstraint c : r.getSelector().getConstraintsList()) {
        assertThat(c.getCondition()).isEqualTo(AttrMatch.MATCHES);
        holds &= Pattern.compile(c.getValue()).matcher(attrs.getOrDefault(c.getKey(), "")).find();
      }
      if (holds && Pattern.compile(r.getSelector().getIdentifier()).matcher(identifier).find()) {
        deny = r.getAction() == PolicyAction.DENY;
      }
    }
    return !deny;
  }

  private static Policy policy(RemoteSources remote, boolean namespaced) {
    return ImageSourcePolicy.of(ImagePolicy.ANY, namespaced, remote);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "https://127.0.0.1:8080/secret, false",
    "http://127.0.0.1:8080/secret, false",
    "http://169.254.169.254/latest/meta-data/, false",
    "HTTPS://127.0.0.1/secret, false",
    "Http://127.0.0.1/secret, false",
    "git://127.0.0.1/repo.git, false",
    "GIT://127.0.0.1/repo.git, false",
    "docker-image://docker.io/library/alpine:3.20, true",
    "local://context, true",
    "local://dockerfile, true",
  })
  void policy_noPrefixes_deniesEveryRemoteSourceInAnyCase(String identifier, boolean allowed) {
    assertThat(allowed(policy(NONE, true), identifier, Map.of())).isEqualTo(allowed);
  }

  @ParameterizedTest(name = "{0} ({1}) -> {2}")
  @CsvSource({
    "https://files.site.edu/pub/tool.tar.gz, , true",
    "https://files.site.edu/private/key, , false",
    "https://files.site.edu.evil.net/pub/x, , false",
    "HTTPS://files.site.edu/pub/tool.tar.gz, , false",
    "http://files.site.edu/pub/tool.tar.gz, , false",
    "http://mirror.lan/debian/x.deb, , true",
    "http://127.0.0.1/pub/x, , false",
    "git://files.site.edu/pub/repo.git, https://files.site.edu/pub/repo.git, true",
    "git://git.site.edu/group/repo.git, git@git.site.edu:group/repo.git, true",
    "git://git.site.edu/other/repo.git, git@git.site.edu:other/repo.git, false",
    "git://files.site.edu/pub/repo.git, http://127.0.0.1:9418/repo.git, false",
    "git://files.site.edu/pub/repo.git, , false",
    "git://127.0.0.1/repo.git, ssh://127.0.0.1/repo.git, false",
  })
  void policy_prefixes_allowOnlyWhatStartsWithThemAfterTheDeny(
      String identifier, String fullUrl, boolean allowed) {
    Map<String, String> attrs =
        fullUrl == null ? Map.of() : Map.of(RemoteSources.GIT_FULL_URL, fullUrl);
    assertThat(allowed(policy(SITE, true), identifier, attrs)).isEqualTo(allowed);
  }

  /** Last match wins: the allows come after the deny, and berth.invalid's deny stays last. */
  @Test
  void policy_order_denyThenAllowsThenTheNamespaceDeny() {
    Policy p = policy(SITE, true);
    int deny = -1;
    for (int i = 0; i < p.getRulesCount(); i++) {
      Rule r = p.getRules(i);
      if (r.getSelector().getIdentifier().equals("(?i)^(?:https?|git)://")) {
        deny = i;
        assertThat(r.getAction()).isEqualTo(PolicyAction.DENY);
      } else if (r.getAction() == PolicyAction.ALLOW) {
        assertThat(i).as("allow after the deny").isGreaterThan(deny).isGreaterThanOrEqualTo(0);
      }
    }
    assertThat(p.getRules(p.getRulesCount() - 1).getSelector().getIdentifier())
        .contains("berth.invalid");
    assertThat(allowed(p, "docker-image://berth.invalid/u1001/app:1", Map.of())).isFalse();
  }

  @Test
  void policy_passthroughRole_hasNoRemoteRules() {
    assertThat(ImageSourcePolicy.of(ImagePolicy.ANY, false, RemoteSources.ANY).getRulesCount())
        .isZero();
    assertThat(allowed(policy(RemoteSources.ANY, true), "https://127.0.0.1/x", Map.of())).isTrue();
  }

  @Test
  void explainDenial_remoteSource_namesAllowBuildRemote() {
    Http2Headers trailers =
        new DefaultHttp2Headers()
            .set(
                "grpc-message",
                "failed to load: source \"http://127.0.0.1:41234/secret\" denied by policy");
    String message =
        URLDecoder.decode(
            ImageSourcePolicy.explainDenial(trailers, ImagePolicy.ANY, NONE)
                .get("grpc-message")
                .toString(),
            StandardCharsets.UTF_8);
    assertThat(message)
        .contains(
            "denied by policy (berth: the daemon would fetch",
            "your role allows no remote sources",
            "allow.build_remote");
    assertThat(ImageSourcePolicy.explainDenial(trailers, ImagePolicy.ANY, RemoteSources.ANY))
        .isSameAs(trailers);
  }
}
