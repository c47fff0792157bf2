package dev.berth.policy;

/**
 * Which images the judgement of a classic build's Dockerfile may have berth pull first ({@code
 * dev.berth.policy.rules.DockerfileRules}).
 */
public enum PullMode {
  /** Those the daemon does not have (a build without {@code --pull}). */
  MISSING,
  /** Those, and the shared tags the Dockerfile names, again ({@code --pull}). */
  REFRESH,
  /** None: the judgement after berth's pulls. */
  NONE
}
