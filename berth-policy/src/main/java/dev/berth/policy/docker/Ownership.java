package dev.berth.policy.docker;

/**
 * How the ownership rules treat an action for a caller whose role reaches only their own (or their
 * group's) objects. Callers whose role reaches everything skip ownership altogether.
 */
public enum Ownership {
  /** Nothing to check: the action touches no user's object. */
  NONE,
  /**
   * The path names an object of the entry's {@link ActionSpec#names() kind}: it is resolved through
   * the daemon, must be the caller's, and the full id judged is what is forwarded.
   */
  NAMED,
  /** A list, prune or event stream: the caller's filters are narrowed to their owner label. */
  NARROWED,
  /** The daemon's answer lists every user's objects and is filtered on the way back. */
  FILTERED,
  /** An ownership rule of its own (in {@code dev.berth.policy.rules}), which asks the daemon. */
  RULE,
  /**
   * A swarm endpoint: nothing of a user's to check, but to a role without the action berth asks the
   * daemon whether the node is in a swarm, and when it is in none gives the daemon's own answer
   * (503), as SDK teardowns expect.
   */
  SWARM_STATE;

  /** Whether deciding asks the daemon about existing objects (and so may block). */
  public boolean consultsDirectory() {
    return this == NAMED || this == RULE || this == SWARM_STATE;
  }
}
