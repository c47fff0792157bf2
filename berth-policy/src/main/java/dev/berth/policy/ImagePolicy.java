package dev.berth.policy;

import dev.berth.policy.docker.ImageRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A role's image policy: which images its holders may pull, run and build from (issue 16).
 *
 * <p>Design note. An allowlist of named rules ({@link ImageRule}); an image is allowed for a use
 * when one rule for that use allows it, and refused otherwise, with the rule named: the rule that
 * matched the image's repository but not its digest (the nearest miss), or, when none matched,
 * every rule for that use. A role without {@code images} in its policy file has {@link #ANY}:
 * everything it may use today. Which repository an image counts as is decided by {@link
 * ImageSubject} (where the content came from, not the name asked for).
 *
 * @param given whether the policy file gave the role image rules; false: every image allowed
 * @param rules the rules, in the order written
 */
public record ImagePolicy(boolean given, List<ImageRule> rules) {
  /** No image rules: every image the role may otherwise use. */
  public static final ImagePolicy ANY = new ImagePolicy(false, List.of());

  public ImagePolicy {
    rules = List.copyOf(rules);
  }

  /** The outcome for one image and one use. */
  public sealed interface Verdict {
    /** The reason, for the audit record and {@code policy explain}. */
    String reason();
  }

  /** Allowed by {@code rule} ("" when the role has no image rules). */
  public record Allowed(String rule, String reason) implements Verdict {}

  /** Refused; {@code reason} names the rule and says what to do instead. */
  public record Refused(String rule, String reason) implements Verdict {}

  /** Whether any image is judged at all. */
  public boolean restricts() {
    return given;
  }

  /** The rules for {@code use}, in order. */
  public List<ImageRule> rulesFor(ImageUse use) {
    return rules.stream().filter(r -> r.uses().contains(use)).toList();
  }

  /** Judges {@code subject} for {@code use} under this policy of role {@code role}. */
  public Verdict judge(ImageUse use, ImageSubject subject, String role) {
    if (!given) {
      return new Allowed("", "");
    }
    Optional<Refused> nearest = Optional.empty();
    for (ImageRule rule : rulesFor(use)) {
      switch (rule.madeBy()) {
        case ADMIN -> {
          if (subject.maker() == ImageSubject.Maker.ADMIN
              && (rule.repos().isEmpty()
                  || subject.adminNames().stream().anyMatch(n -> rule.matchesName(n.name())))) {
            return allowed(rule, use, subject, "an administrator made it");
          }
        }
        case SELF -> {
          if (subject.maker() == ImageSubject.Maker.CALLER) {
            return allowed(rule, use, subject, "you made it");
          }
        }
        case REGISTRY -> {
          for (ImageRef from : origins(subject)) {
            if (!rule.matchesName(from.name())) {
              continue;
            }
            Optional<Refused> miss = digestMiss(rule, use, subject, from, role);
            if (miss.isEmpty()) {
              return allowed(
                  rule,
                  use,
                  subject,
                  subject.local() ? "it came from " + from : "it comes from " + from.name());
            }
            if (nearest.isEmpty()) {
              nearest = miss;
            }
          }
        }
      }
    }
    return nearest.orElseGet(() -> noRule(use, subject, role));
  }

  /** The repositories the content comes from: its registry digests, or the name it is pulled by. */
  private static List<ImageRef> origins(ImageSubject s) {
    if (s.local()) {
      return s.repoDigests();
    }
    return s.ref().map(List::of).orElse(List.of());
  }

  private static Optional<Refused> digestMiss(
      ImageRule rule, ImageUse use, ImageSubject s, ImageRef from, String role) {
    return switch (rule.digests()) {
      case ANY -> Optional.empty();
      case REQUIRED ->
          s.pinned()
              ? Optional.empty()
              : Optional.of(
                  new Refused(
                      rule.name(),
                      "image rule \""
                          + rule.name()
                          + "\" of role "
                          + role
                          + " allows "
                          + from.name()
                          + " only pinned by digest; name it as "
                          + use.command()
                          + " "
                          + from.name()
                          + "@sha256:<digest>"));
      case LISTED -> {
        String digest =
            from.digest().isEmpty() ? s.ref().map(ImageRef::digest).orElse("") : from.digest();
        yield rule.allowedDigests().contains(digest)
            ? Optional.empty()
            : Optional.of(
                new Refused(
                    rule.name(),
                    "image rule \""
                        + rule.name()
                        + "\" of role "
                        + role
                        + " allows "
                        + from.name()
                        + " only at the digests it lists ("
                        + String.join(", ", rule.allowedDigests().stream().sorted().toList())
                        + ")"
                        + (digest.isEmpty()
                            ? "; name one of them as "
                                + use.command()
                                + " "
                                + from.name()
                                + "@sha256:<digest>"
                            : ", not " + digest)));
      }
    };
  }

  private Refused noRule(ImageUse use, ImageSubject s, String role) {
    List<String> names = new ArrayList<>();
    for (ImageRule r : rulesFor(use)) {
      names.add(r.describe());
    }
    String what = s.local() ? s.named() + " (" + provenance(s) + ")" : s.named();
    return new Refused(
        "",
        "no image rule of role "
            + role
            + " allows "
            + use.doing()
            + " "
            + what
            + "; "
            + (names.isEmpty()
                ? "your role may not use any image for this"
                : "the rules for " + use.id() + ": " + String.join(", ", names))
            + "; use an image they allow, or ask an administrator");
  }

  private static String provenance(ImageSubject s) {
    List<String> parts = new ArrayList<>();
    if (!s.repoDigests().isEmpty()) {
      parts.add(
          "from "
              + String.join(
                  ", ", s.repoDigests().stream().map(ImageRef::name).distinct().toList()));
    }
    parts.add(
        switch (s.maker()) {
          case NONE ->
              s.repoDigests().isEmpty()
                  ? "from no registry, made by no administrator"
                  : "not made here";
          case ADMIN -> "made by an administrator";
          case CALLER -> "made by you";
          case OTHER -> "made by another user";
        });
    return String.join("; ", parts);
  }

  private static Allowed allowed(ImageRule rule, ImageUse use, ImageSubject s, String why) {
    return new Allowed(
        rule.name(),
        "image rule \""
            + rule.name()
            + "\" allows "
            + use.doing()
            + " "
            + s.named()
            + " ("
            + why
            + ")");
  }
}
