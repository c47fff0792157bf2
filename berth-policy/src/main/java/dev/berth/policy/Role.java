package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Set;

/**
 * A named set of actions and the limits that go with them.
 *
 * @param name the role's name in the policy file
 * @param actions what holders of the role may ask for
 * @param passthrough whether requests are forwarded without the user rules (administrators); they
 *     are still parsed strictly and re-serialised; implies scope {@link Scope#ALL}
 * @param scope which existing objects holders see and act on
 * @param bindRoots host directories a holder may bind-mount, as templates: {@code {home}} is the
 *     user's home directory, {@code {user}} the user name
 * @param limits resource defaults and maxima for the holder's containers
 * @param allow what the holder may ask for beyond the safe baseline
 * @param profiles the profiles holders may ask for
 * @param quota what the holder's running containers may use together
 * @param namePrefix the prefix of a holder's container, network and volume names in the daemon
 *     ({@code {user}} is the user name, {@code {uid}} the uid; {@code u{uid}_} is the recommended
 *     one), "" for none: names are then the daemon's (see {@link
 *     dev.berth.policy.rules.PrivateNames})
 * @param bounds what one holder may hold of berth at once (connections, requests in flight)
 * @param auditOnly rollout mode {@code audit-only}: requests the rules would refuse are forwarded
 *     as judged and recorded as would-be refusals (malformed requests are still refused)
 * @param placement where holders' containers go in the host's cgroup tree (their batch job, their
 *     user slice, or the daemon's choice)
 * @param images which images holders may pull, run and build from ({@link ImagePolicy#ANY}: any)
 */
public record Role(
    String name,
    Set<Action> actions,
    boolean passthrough,
    Scope scope,
    List<String> bindRoots,
    Limits limits,
    Allowances allow,
    Set<String> profiles,
    Quota quota,
    Bounds bounds,
    boolean auditOnly,
    String namePrefix,
    Placement placement,
    ImagePolicy images) {
  public Role {
    requireNonNull(name, "name");
    actions = Set.copyOf(actions);
    requireNonNull(scope, "scope");
    bindRoots = List.copyOf(bindRoots);
    requireNonNull(limits, "limits");
    requireNonNull(allow, "allow");
    profiles = Set.copyOf(profiles);
    requireNonNull(quota, "quota");
    requireNonNull(bounds, "bounds");
    requireNonNull(namePrefix, "namePrefix");
    requireNonNull(placement, "placement");
    requireNonNull(images, "images");
  }

  /** This role with the image policy {@code other} in place of its own. */
  public Role withImages(ImagePolicy other) {
    return new Role(
        name,
        actions,
        passthrough,
        scope,
        bindRoots,
        limits,
        allow,
        profiles,
        quota,
        bounds,
        auditOnly,
        namePrefix,
        placement,
        other);
  }

  /** The name prefix for {@code who}, "" when the role has none (names are not private). */
  public String namePrefixFor(Principal who) {
    return namePrefix.replace("{user}", who.name()).replace("{uid}", Integer.toString(who.uid()));
  }
}
