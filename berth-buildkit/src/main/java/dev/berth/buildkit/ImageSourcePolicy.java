package dev.berth.buildkit;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.ImagePattern;
import dev.berth.policy.ImagePolicy;
import dev.berth.policy.ImageRule;
import dev.berth.policy.ImageUse;
import google.rpc.StatusOuterClass.Status;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.MatchType;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Policy;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.PolicyAction;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Rule;
import moby.buildkit.v1.sourcepolicy.PolicyOuterClass.Selector;

/**
 * A role's image rules for {@code build} ({@link ImagePolicy}) as a BuildKit source policy, sent
 * with each Solve of the role's builds: BuildKit applies it to every image source the build loads
 * and every image the frontend resolves ({@code FROM}, {@code COPY --from}, {@code RUN
 * --mount=from=}), inside the daemon where berth sees nothing.
 *
 * <p>Design note. BuildKit's engine (buildkit {@code sourcepolicy/engine.go}, v0.12 to v0.29) takes
 * the last matching allow or deny rule, and matches a {@code REGEX} selector against the whole
 * source identifier ({@code docker-image://docker.io/library/alpine:3.20}, with {@code @sha256:...}
 * when pinned), unanchored ({@code sourcepolicy/matcher.go}). So the policy is one deny of every
 * image source, then one anchored allow per pattern of each repository rule, its tag and digest
 * part written from the rule ({@code digests: required}: a digest must follow; listed: one of
 * those). Rules {@code made_by: admin/self} have no counterpart: BuildKit judges names, not who
 * made an image, so under BuildKit those images are refused as bases. The local sources (context,
 * Dockerfile) are left alone; http, https and git sources are denied unless a prefix of the role's
 * {@code allow.build_remote} allows them ({@link RemoteSources}, its rules after the image rules:
 * they match other identifiers, so the order between the two groups does not matter).
 *
 * <p>Issue 13 (an image a user makes is theirs, {@link ImageNamespace}) adds, for every caller but
 * administrators, a last rule that denies every source under {@code berth.invalid} (a daemon name
 * in some user's namespace, which the daemon would find among its local images). Image ids are not
 * a way around it: the Dockerfile frontend parses {@code FROM <id>} as a name ({@code
 * docker.io/library/sha256:<id>}, a short id as {@code docker.io/library/<id>:latest}), which the
 * daemon looks up only among names. A user's {@code FROM app:1} names the shared {@code app:1}, not
 * their own: a CONVERT rule from the name to the daemon's name was tried, but the engines'
 * Dockerfile frontend resolves the image's metadata under the name as written (Docker 28.5: it went
 * to the registry), so it is not used.
 */
final class ImageSourcePolicy {
  private static final String SCHEME = "docker-image://";
  private static final String TAG = "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?";
  private static final String DIGEST = "sha256:[0-9a-f]{64}";
  private static final String GRPC_MESSAGE = "grpc-message";
  private static final String GRPC_DETAILS = "grpc-status-details-bin";

  /** BuildKit's refusal of a source ({@code sourcepolicy.ErrSourceDenied}). */
  private static final String DENIED = "denied by policy";

  private static final String MARK = "(berth: ";

  /** BuildKit's refusal of an HTTP or git source ({@code source "https://..." denied}). */
  private static final Pattern REMOTE_DENIAL = Pattern.compile("(?i)source \"(?:https?|git)://");

  private ImageSourcePolicy() {}

  /**
   * The source policy for builds under {@code images}; {@code namespaced} for callers whose images
   * live in a namespace of their own (everyone but administrators); with the rules of {@code
   * remote} ({@link RemoteSources}) between the image rules and the last deny.
   */
  static Policy of(ImagePolicy images, boolean namespaced, RemoteSources remote) {
    Policy.Builder p = Policy.newBuilder().setVersion(1);
    if (images.restricts()) {
      p.addRules(rule(PolicyAction.DENY, "^" + SCHEME));
      for (ImageRule r : images.rulesFor(ImageUse.BUILD)) {
        if (r.madeBy() != ImageRule.MadeBy.REGISTRY) {
          continue;
        }
        String suffix =
            switch (r.digests()) {
              case ANY -> TAG + "(?:@" + DIGEST + ")?";
              case REQUIRED -> TAG + "@" + DIGEST;
              case LISTED ->
                  TAG
                      + "@(?:"
                      + String.join("|", r.allowedDigests().stream().sorted().toList())
                      + ")";
            };
        for (ImagePattern pattern : r.repos()) {
          p.addRules(rule(PolicyAction.ALLOW, "^" + SCHEME + pattern.regex() + suffix + "$"));
        }
      }
    }
    remote.addRules(p);
    if (namespaced) {
      p.addRules(
          rule(PolicyAction.DENY, "(?i)^" + SCHEME + Pattern.quote(ImageNamespace.REGISTRY)));
    }
    return p.build();
  }

  /** The rule names that reach BuildKit, for the audit note. */
  static List<String> names(ImagePolicy images) {
    return images.rulesFor(ImageUse.BUILD).stream()
        .filter(r -> r.madeBy() == ImageRule.MadeBy.REGISTRY)
        .map(ImageRule::name)
        .toList();
  }

  /**
   * The trailers of an answer, with BuildKit's refusal of a source ({@code source "..." denied by
   * policy}, gRPC status message) followed by what berth's rules say: for an image, the caller's
   * image rules for {@code build}; for a URL or git repository, the caller's {@code
   * allow.build_remote} ({@link RemoteSources}); other trailers as they are.
   */
  static Http2Headers explainDenial(
      Http2Headers trailers, ImagePolicy images, RemoteSources remote) {
    CharSequence message = trailers.get(GRPC_MESSAGE);
    if (message == null) {
      return trailers;
    }
    String text = decoded(message.toString());
    if (!text.contains(DENIED) || text.contains(MARK)) {
      return trailers; // not a refusal of a source, or one explained on an inner call already
    }
    String note;
    if (REMOTE_DENIAL.matcher(text).find()) {
      if (!remote.restricted()) {
        return trailers;
      }
      note = " " + MARK + remote.explanation() + ")";
    } else if (images.restricts()) {
      List<String> rules =
          images.rulesFor(ImageUse.BUILD).stream()
              .filter(r -> r.madeBy() == ImageRule.MadeBy.REGISTRY)
              .map(ImageRule::describe)
              .toList();
      note =
          " "
              + MARK
              + "your role's image rules for build allow "
              + (rules.isEmpty() ? "no image" : String.join(", ", rules))
              + "; build FROM an image they allow)";
    } else {
      return trailers;
    }
    Http2Headers out = new DefaultHttp2Headers();
    out.set(trailers);
    out.set(GRPC_MESSAGE, message + encode(note));
    CharSequence details = trailers.get(GRPC_DETAILS);
    if (details != null) {
      // grpc-go takes the message from the status details when they are sent (BuildKit sends
      // them): the same note goes there, the details themselves unchanged
      try {
        Status status = Status.parseFrom(Base64.getDecoder().decode(details.toString()));
        if (status.getMessage().contains(MARK)) {
          return out;
        }
        out.set(
            GRPC_DETAILS,
            Base64.getEncoder()
                .withoutPadding()
                .encodeToString(
                    status.toBuilder()
                        .setMessage(status.getMessage() + note)
                        .build()
                        .toByteArray()));
      } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
        return out; // details berth cannot read are relayed as they are
      }
    }
    return out;
  }

  /** A status message as gRPC percent-encoded it; as it is when it does not decode. */
  private static String decoded(String message) {
    try {
      return URLDecoder.decode(message.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return message;
    }
  }

  /** gRPC's percent-encoding of a status message. */
  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static Rule rule(PolicyAction action, String regex) {
    return Rule.newBuilder()
        .setAction(action)
        .setSelector(Selector.newBuilder().setIdentifier(regex).setMatchType(MatchType.REGEX))
        .build();
  }
}
