package dev.berth.buildkit;

import java.util.Optional;

/**
 * Whether a build of one caller may write an image name (the same rule as {@code docker tag}: a tag
 * that exists and is not the caller's is refused). Implementations may ask the daemon, so calls run
 * off the event loop.
 */
@FunctionalInterface
public interface TagJudge {
  /** Why the caller may not tag {@code name}, or empty when they may. */
  Optional<String> refusal(String name);
}
