package dev.berth.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * What the build rules need of issue 13's image model: an image a user builds is theirs, named in
 * their namespace (classic builds' {@code -t}, BuildKit exporters' {@code name}).
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
}
