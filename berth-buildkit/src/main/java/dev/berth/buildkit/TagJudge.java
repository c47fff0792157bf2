package dev.berth.buildkit;

/**
 * The daemon's name for an image name a build of one caller exports (issue 13: an image a user
 * builds is theirs, so its names are written in the builder's namespace, as {@code docker tag}
 * writes them; administrators' names stay as given).
 */
@FunctionalInterface
public interface TagJudge {
  /**
   * The daemon's name for {@code name} as the caller gave it.
   *
   * @throws IllegalArgumentException with the reason when the name cannot be the caller's (a
   *     digest, a name inside berth's reserved registry, a caller without a role)
   */
  String daemonName(String name);
}
