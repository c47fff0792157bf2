package dev.berth.policy;

/**
 * What one user's running containers may use together (or, for a role with scope {@link
 * Scope#GROUP}, what the sharing group's may). A zero means no quota for that resource. Checked
 * when a container starts; the per-container defaults of {@link Limits} apply when a user asks for
 * nothing, so every container counts with a definite amount.
 *
 * @param containers running (or paused, or restarting) containers
 * @param memory bytes, summed over those containers' memory limits
 * @param nanoCpus CPUs times 10^9, summed
 * @param pids processes, summed over PID limits
 */
public record Quota(long containers, long memory, long nanoCpus, long pids) {
  public static final Quota NONE = new Quota(0, 0, 0, 0);

  public Quota {
    if (containers < 0 || memory < 0 || nanoCpus < 0 || pids < 0) {
      throw new IllegalArgumentException("quotas must not be negative");
    }
  }

  public boolean isNone() {
    return equals(NONE);
  }
}
