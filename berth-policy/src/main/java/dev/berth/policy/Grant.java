package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * A caller's role as a binding gave it.
 *
 * @param role the role
 * @param shareGid the group the caller's new objects are shared with when the role's scope is
 *     {@link Scope#GROUP} (the first of the binding's groups the caller is in, or the caller's
 *     primary group for a binding by user name), else -1
 */
public record Grant(Role role, int shareGid) {
  public Grant {
    requireNonNull(role, "role");
  }

  /** The owner of objects this caller creates. */
  public Owner ownerFor(Principal who) {
    return new Owner(who.uid(), shareGid);
  }

  /** Whether this caller may see and act on an object with this owner (empty: nobody's). */
  public boolean reaches(Principal who, Optional<Owner> owner) {
    if (role.passthrough() || role.scope() == Scope.ALL) {
      return true;
    }
    if (owner.isEmpty()) {
      return false;
    }
    Owner o = owner.get();
    return o.uid() == who.uid()
        || (role.scope() == Scope.GROUP && o.gid() >= 0 && o.gid() == shareGid);
  }
}
