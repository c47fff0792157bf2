package dev.berth.policy;

import java.util.List;

/**
 * What berth decided about the Dockerfile of a classic build, held from its context ({@code
 * dev.berth.policy.rules.DockerfileRules}).
 */
public sealed interface DockerfileVerdict {
  /** The daemon reads {@code dockerfile}; {@code judged} lists each reference and its verdict. */
  record Forward(byte[] dockerfile, List<String> judged) implements DockerfileVerdict {
    public Forward {
      judged = List.copyOf(judged);
    }
  }

  /**
   * The Dockerfile names registry images that berth pulls first, each allowed as the caller's own
   * {@code docker pull} would be ({@code pulls}, the allows of {@code POST /images/create}); the
   * Dockerfile is judged again once they are on the host. {@code judged} lists what was judged.
   */
  record Pull(List<Decision.Allow> pulls, List<String> judged) implements DockerfileVerdict {
    public Pull {
      pulls = List.copyOf(pulls);
      judged = List.copyOf(judged);
    }
  }

  /**
   * A pull the build needed failed: {@code message} is the daemon's (the registry's) error, which
   * the client gets as the build's error, in its output stream.
   */
  record PullFailed(String message) implements DockerfileVerdict {}

  /** The build is refused. */
  record Refused(Decision refusal) implements DockerfileVerdict {}
}
