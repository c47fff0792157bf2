package dev.berth.policy.rules;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Grant;
import dev.berth.policy.ImagePattern;
import dev.berth.policy.Scope;
import dev.berth.policy.docker.ImageRef;
import java.util.List;
import java.util.Optional;

/**
 * Shared repositories only administrators may write (the policy's {@code
 * images.protected_repositories}): the base images a site provides under names every user runs.
 *
 * <p>A user writes a shared name only by pulling (a user's {@code tag}, {@code commit} and build
 * write into the user's own namespace, see {@link dev.berth.policy.ImageNamespace}), so a pull by a
 * caller who does not reach all objects into a protected repository is refused: it would replace
 * the site's image under that name with whatever the registry holds now. A pull by digest writes no
 * name and stays allowed; so does a push (it writes the registry, whose own credentials decide).
 */
public final class ProtectedRepositories {
  private ProtectedRepositories() {}

  /** The refusal of a pull ({@code POST /images/create?fromImage=}) into a protected repository. */
  public static Optional<Decision.Deny> pull(
      List<ImagePattern> protectedRepositories, Grant grant, CanonicalRequest request) {
    if (protectedRepositories.isEmpty()
        || grant.role().passthrough()
        || grant.role().scope() == Scope.ALL) {
      return Optional.empty();
    }
    String from = request.query().get("fromImage").orElse("");
    if (from.isEmpty() || request.query().has("fromSrc")) {
      return Optional.empty();
    }
    ImageRef ref;
    try {
      ref = ImageRef.ofPull(from, request.query().get("tag").orElse(""));
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // refused by the pull's own rules with the reason
    }
    if (ref.pinned()) {
      return Optional.empty();
    }
    for (ImagePattern p : protectedRepositories) {
      if (p.matches(ref.name())) {
        return Optional.of(
            Decision.forbidden(
                "protected_repository",
                "berth: "
                    + ref.name()
                    + " is a protected repository (images.protected_repositories: "
                    + p
                    + "): only administrators may pull into it; run the image already here, or"
                    + " pull it by digest (docker pull "
                    + ref.name()
                    + "@sha256:...)"));
      }
    }
    return Optional.empty();
  }
}
