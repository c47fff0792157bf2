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

  /** The build is refused. */
  record Refused(Decision refusal) implements DockerfileVerdict {}
}
