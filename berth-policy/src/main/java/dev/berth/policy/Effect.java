package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.Map;

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

  /**
   * Make sure the named bridge network exists and carries exactly {@code labels} (berth's marks,
   * never an owner's): create it so if it does not exist, then confirm that the network that
   * exists afterwards carries them; a network of that name made by anyone else is refused.
   */
  record EnsureNetwork(String name, Map<String, String> labels) implements Effect {
    public EnsureNetwork {
      requireNonNull(name, "name");
      labels = Map.copyOf(labels);
    }
  }
}
