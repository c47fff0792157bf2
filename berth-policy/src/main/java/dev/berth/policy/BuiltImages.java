package dev.berth.policy;

import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.rules.ImageAccess;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the build rules need of issue 13's image model: an image a user builds is theirs, named in
 * their namespace, and built only from images they may see.
 */
public final class BuiltImages {
  private BuiltImages() {}

  /**
   * The daemon's names for the {@code -t} tags of a build by {@code who}: each in the builder's
   * namespace ({@link ImageNamespace}); administrators' tags stay as given.
   *
   * @throws IllegalArgumentException for a tag that cannot be a user's (a digest, a name under
   *     {@code berth.invalid}); refuse the build with its message
   */
  public static List<String> daemonTags(List<String> tags, Principal who, Grant grant) {
    if (grant.role().passthrough() || grant.role().scope() == Scope.ALL) {
      return List.copyOf(tags);
    }
    List<String> out = new ArrayList<>();
    for (String t : tags) {
      out.add(
          ImageNamespace.privateName(t, who.uid())
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "the name "
                              + t
                              + " cannot be given to an image of "
                              + "yours; choose a plain name such as myimage:1")));
    }
    return out;
  }

  /**
   * The image a {@code FROM} line (or {@code --cache-from}) names for this builder, as the
   * reference to hand the daemon (the builder's own tag, the shared name, or the full id), or empty
   * when the builder may not see such an image: refuse the build as for a missing image.
   */
  public static Optional<String> base(
      String ref, Principal who, Grant grant, ObjectDirectory objects) throws LookupException {
    return ImageAccess.resolve(ref, who, grant, objects).map(ImageAccess.Resolved::forward);
  }

  /**
   * Claims the built image for its builder: the follow-up to record the image id the build's answer
   * names as {@code who}'s, so that it stays theirs when untagged or tagged again.
   */
  public static FollowUp.ClaimImage claimBuilt(Principal who, Grant grant) {
    return new FollowUp.ClaimImage("", grant.ownerFor(who));
  }
}
