package dev.berth.policy;

import static java.util.Objects.requireNonNull;

/**
 * A change berth itself makes on the daemon for an allowed request, before forwarding it.
 *
 * <p>The engine only plans effects; it never performs them while deciding. The enforcement core
 * performs them after the decision's audit record is durable (no action without a record) and
 * before the request is forwarded, and refuses the request if one fails. Each effect is
 * idempotent and re-checks what it relies on, so planning and performing may be apart in time.
 */
public sealed interface Effect {

  /**
   * Make sure the named volume exists and is {@code owner}'s: create it labelled for the owner if
   * it does not exist (as the daemon would implicitly for {@code -v name:/path}), then confirm the
   * volume that exists afterwards is the owner's; another caller may have created it in between.
   */
  record EnsureVolume(String name, Owner owner) implements Effect {
    public EnsureVolume {
      requireNonNull(name, "name");
      requireNonNull(owner, "owner");
    }
  }
}
