package dev.berth.buildkit;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.AttrConstraint;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.AttrMatch;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.MatchType;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Policy;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.PolicyAction;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Rule;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Selector;

/**
 * The URLs a caller's BuildKit builds may fetch: {@code ADD https://...}, {@code ADD
 * git@host:repo}, git and HTTP sources of any kind. BuildKit fetches them inside dockerd, in the
 * host's network namespace and as root, so a build could read services bound to the host's loopback
 * and link-local metadata endpoints that no container of the caller reaches. Allowed only under a
 * prefix of the role's {@code allow.build_remote} (as remote contexts of the classic builder,
 * {@code BuildRules}); passthrough roles fetch anything.
 *
 * <p>Design note. On engines with source policies (API 1.44+, BuildKit 0.12+) the rules go into the
 * one source policy berth sends with each Solve ({@link ImageSourcePolicy}), where BuildKit judges
 * every source the build loads, the frontend's included (buildkit {@code sourcepolicy/engine.go}:
 * the last matching allow or deny wins; {@code matcher.go}: attribute constraints first, then the
 * selector as an unanchored Go regular expression). The identifiers (buildkit {@code
 * client/llb/source.go}, {@code source/http}, {@code source/git}): an HTTP source is its URL
 * ({@code https://host/path}); a git source is {@code git://host/path#ref} whatever the transport
 * ({@code https://host/repo.git}, {@code git@host:repo}, {@code ssh://}, {@code git://}), with the
 * URL it is fetched from in the attribute {@code git.fullurl} (BuildKit fetches that one when it is
 * set). So the policy denies every {@code http}, {@code https} and {@code git} identifier (any
 * case), then allows, per prefix, HTTP identifiers that start with it and git identifiers whose
 * {@code git.fullurl} starts with it (a git source without {@code git.fullurl} stays denied).
 * Engines without source policies (20.10) would ignore the rules: there berth runs no user's
 * BuildKit build ({@link CallJudge}).
 */
public final class RemoteSources {
  /** What a passthrough role fetches: anything. */
  public static final RemoteSources ANY = new RemoteSources(false, Set.of());

  static final String GIT_FULL_URL = "git.fullurl";
  private static final Pattern REMOTE_SCHEME = Pattern.compile("(?i)^(?:https?|git)://");

  private final boolean restricted;
  private final List<String> prefixes;

  private RemoteSources(boolean restricted, Set<String> prefixes) {
    this.restricted = restricted;
    this.prefixes = prefixes.stream().filter(p -> !p.isEmpty()).sorted().toList();
  }

  /** Only URLs under one of {@code prefixes} (a role's {@code allow.build_remote}). */
  public static RemoteSources allowing(Set<String> prefixes) {
    return new RemoteSources(true, prefixes);
  }

  boolean restricted() {
    return restricted;
  }

  /** Adds the deny of remote sources and the allows of the prefixes to {@code policy}. */
  void addRules(Policy.Builder policy) {
    if (!restricted) {
      return;
    }
    policy.addRules(rule(PolicyAction.DENY, REMOTE_SCHEME.pattern()));
    for (String prefix : prefixes) {
      String quoted = "^" + Pattern.quote(prefix);
      if (prefix.toLowerCase(Locale.ROOT).startsWith("http")) {
        policy.addRules(rule(PolicyAction.ALLOW, quoted));
      }
      policy.addRules(
          Rule.newBuilder()
              .setAction(PolicyAction.ALLOW)
              .setSelector(
                  Selector.newBuilder()
                      .setIdentifier("^git://")
                      .setMatchType(MatchType.REGEX)
                      .addConstraints(
                          AttrConstraint.newBuilder()
                              .setKey(GIT_FULL_URL)
                              .setValue(quoted)
                              .setCondition(AttrMatch.MATCHES))));
    }
  }

  /** The note berth adds to BuildKit's refusal of a remote source by the source policy. */
  String explanation() {
    return WHY + "; " + allowedNote() + "; " + INSTEAD;
  }

  private static final String WHY =
      "the daemon would fetch this URL or git repository "
          + "itself, as root on the host's network, where services bound to the host's loopback "
          + "are reachable";
  private static final String INSTEAD =
      "download it into your build context and COPY it, or ask your administrator to add its "
          + "prefix to allow.build_remote";

  /** What the caller's role allows, for refusals. */
  String allowedNote() {
    return prefixes.isEmpty()
        ? "your role allows no remote sources"
        : "your role allows only URLs under " + String.join(", ", prefixes);
  }

  private static Rule rule(PolicyAction action, String regex) {
    return Rule.newBuilder()
        .setAction(action)
        .setSelector(Selector.newBuilder().setIdentifier(regex).setMatchType(MatchType.REGEX))
        .build();
  }
}
