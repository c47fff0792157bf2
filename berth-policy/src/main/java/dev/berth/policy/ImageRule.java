package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * One named rule of a role's image policy ({@link ImagePolicy}).
 *
 * @param name the rule's name, quoted in every refusal it causes and in every allow it gives
 * @param repos patterns on the canonical name an image comes from; for {@link MadeBy#ADMIN} rules,
 *     on the names an administrator gave it (empty: any)
 * @param uses what the rule allows the images it matches for
 * @param digests {@link Digests#ANY}, {@link Digests#REQUIRED} (the caller names the image by
 *     digest or id), or {@link Digests#LISTED} (the image's registry digest is in {@code
 *     allowedDigests})
 * @param allowedDigests the digests a {@link Digests#LISTED} rule allows, {@code sha256:...}
 * @param madeBy {@link MadeBy#REGISTRY} (the image came from a registry: a pull, judged by where
 *     from), {@link MadeBy#ADMIN} (an image an administrator made on this host: a shared name that
 *     no registry and no user gave it), or {@link MadeBy#SELF} (an image the caller made: {@code
 *     build}, {@code commit})
 */
public record ImageRule(
    String name,
    List<ImagePattern> repos,
    Set<ImageUse> uses,
    Digests digests,
    Set<String> allowedDigests,
    MadeBy madeBy) {
  public ImageRule {
    requireNonNull(name, "name");
    repos = List.copyOf(repos);
    uses = Set.copyOf(uses);
    requireNonNull(digests, "digests");
    allowedDigests = Set.copyOf(allowedDigests);
    requireNonNull(madeBy, "madeBy");
  }

  /** How a rule constrains the content of the images it matches. */
  public enum Digests {
    ANY,
    REQUIRED,
    LISTED
  }

  /** Where the images a rule matches come from. */
  public enum MadeBy {
    REGISTRY,
    ADMIN,
    SELF
  }

  /** Whether {@code name} ({@code registry/repository}) matches one of the patterns. */
  public boolean matchesName(String name) {
    for (ImagePattern p : repos) {
      if (p.matches(name)) {
        return true;
      }
    }
    return repos.isEmpty() && madeBy != MadeBy.REGISTRY;
  }

  /** A short description for messages: {@code site (registry.site.edu/*)}. */
  public String describe() {
    String what =
        switch (madeBy) {
          case REGISTRY ->
              repos.toString().replaceAll("^\\[|]$", "")
                  + switch (digests) {
                    case ANY -> "";
                    case REQUIRED -> " by digest";
                    case LISTED -> " at listed digests";
                  };
          case ADMIN ->
              "made by an administrator"
                  + (repos.isEmpty() ? "" : " as " + repos.toString().replaceAll("^\\[|]$", ""));
          case SELF -> "made by you";
        };
    return name + " (" + what + ")";
  }

  /** {@link #describe()} and the uses: {@code site (registry.site.edu/*) for pull, run, build}. */
  public String summary() {
    return describe()
        + " for "
        + String.join(
            ", ",
            Arrays.stream(ImageUse.values()).filter(uses::contains).map(ImageUse::id).toList());
  }
}
