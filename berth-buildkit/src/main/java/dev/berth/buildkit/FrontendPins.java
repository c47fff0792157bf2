package dev.berth.buildkit;

import dev.berth.policy.docker.ImageRefs;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The BuildKit frontend images an administrator allows for a role ({@code allow.build_frontends} in
 * the policy), each pinned by digest. A frontend runs inside the daemon with the gateway API,
 * outside berth's view (it makes the build's steps, cache mounts included), so only images the
 * administrator reviewed may run, and only the exact image reviewed: a reference is allowed when
 * its repository and digest are those of a pin (its tag, if any, is ignored, since the digest alone
 * names the image the daemon pulls).
 */
public final class FrontendPins {
  /** No frontend images: only the daemon's built-in Dockerfile frontend. */
  public static final FrontendPins NONE = new FrontendPins(Set.of());

  private static final Pattern DIGEST = Pattern.compile("^sha256:[0-9a-f]{64}$");

  private final Set<String> pins;

  private FrontendPins(Set<String> pins) {
    this.pins = pins;
  }

  /** The pins of {@code refs} (each {@code NAME[:TAG]@sha256:HEX}; others never match). */
  public static FrontendPins of(Collection<String> refs) {
    return new FrontendPins(
        refs.stream()
            .map(FrontendPins::key)
            .flatMap(Optional::stream)
            .collect(Collectors.toUnmodifiableSet()));
  }

  /** Why {@code ref} may not run as a frontend, or empty when it is pinned. */
  Optional<String> refusal(String ref, String where) {
    Optional<String> key = key(ref.strip());
    if (key.isEmpty()) {
      return Optional.of(
          where
              + " names the frontend image "
              + ref
              + ", which is not pinned by "
              + "digest (NAME@sha256:...); only frontends an administrator pinned in the policy "
              + "(allow.build_frontends) may run, or remove it to use the built-in Dockerfile "
              + "frontend");
    }
    return pins.contains(key.get())
        ? Optional.empty()
        : Optional.of(
            where
                + " names the "
                + "frontend image "
                + ref
                + ", which is not in the administrator's list of pinned "
                + "frontends (allow.build_frontends); remove it to use the built-in Dockerfile frontend");
  }

  /** {@code familiar-repository@sha256:HEX}, or empty when {@code ref} has no digest. */
  private static Optional<String> key(String ref) {
    int at = ref.indexOf('@');
    if (at <= 0 || !DIGEST.matcher(ref.substring(at + 1)).matches()) {
      return Optional.empty();
    }
    String name = ImageRefs.familiar(ref.substring(0, at));
    return Optional.of(name.substring(0, name.lastIndexOf(':')) + ref.substring(at));
  }
}
