package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a site allows: roles, and bindings that give them to users and groups. Immutable; a reload
 * builds a new one.
 *
 * @param roles roles by name
 * @param bindings in order; the first that matches a caller decides the caller's role
 * @param profiles bundles of mounts, devices and environment roles may grant
 * @param source where the policy came from (a file name, or "embedded default policy")
 * @param digest SHA-256 of the policy text, so that a decision can name the policy it applied
 * @param protectedRepositories shared repositories only administrators may write ({@code
 *     images.protected_repositories}): a pull by anyone else into one is refused
 */
public record Policy(
    Map<String, Role> roles,
    List<Binding> bindings,
    Map<String, Profile> profiles,
    String source,
    String digest,
    List<ImagePattern> protectedRepositories) {
  public Policy {
    roles = Collections.unmodifiableMap(new LinkedHashMap<>(roles));
    bindings = List.copyOf(bindings);
    profiles = Map.copyOf(profiles);
    protectedRepositories = List.copyOf(protectedRepositories);
    requireNonNull(source, "source");
    requireNonNull(digest, "digest");
    for (Binding b : bindings) {
      if (!roles.containsKey(b.role())) {
        throw new IllegalArgumentException("binding names unknown role " + b.role());
      }
    }
    for (Role r : roles.values()) {
      for (String p : r.profiles()) {
        if (!profiles.containsKey(p)) {
          throw new IllegalArgumentException("role " + r.name() + " grants unknown profile " + p);
        }
      }
    }
  }

  /** The role of a caller: the first binding that matches, or empty (refused everything). */
  public Optional<Role> roleOf(Principal who) {
    return grantOf(who).map(Grant::role);
  }

  /** The caller's grant: the first binding that matches, or empty (refused everything). */
  public Optional<Grant> grantOf(Principal who) {
    for (Binding b : bindings) {
      if (b.matches(who)) {
        Role role =
            requireNonNull(
                roles.get(b.role()), "binding to an undefined role"); // the loader checks
        return Optional.of(new Grant(role, role.scope() == Scope.GROUP ? b.shareGid(who) : -1));
      }
    }
    return Optional.empty();
  }
}
