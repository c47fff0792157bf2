package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * Gives a role to users and groups. A binding matches a caller whose user name is in {@code users},
 * whose groups include one of {@code gids}, or anyone when {@code everyone}.
 *
 * @param role the role's name
 * @param users user names
 * @param gids group ids (resolved from group names when the policy was loaded)
 * @param everyone whether {@code "*"} was given
 */
public record Binding(String role, Set<String> users, Set<Integer> gids, boolean everyone) {
  public Binding {
    requireNonNull(role, "role");
    users = Set.copyOf(users);
    gids = Set.copyOf(gids);
  }

  /**
   * The group a caller's objects are shared with under this binding: the lowest of the binding's
   * groups the caller is in, or the caller's primary group when the binding names users.
   */
  int shareGid(Principal who) {
    return who.groups().stream()
        .filter(gids::contains)
        .mapToInt(Integer::intValue)
        .min()
        .orElse(who.gid());
  }

  boolean matches(Principal who) {
    return everyone || users.contains(who.name()) || who.groups().stream().anyMatch(gids::contains);
  }
}
