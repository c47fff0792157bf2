package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.docker.ImageRef;
import java.util.List;
import java.util.Optional;

/**
 * What berth knows about the image a request names, for the image policy ({@link ImagePolicy}).
 *
 * <p>Design note. An image on the daemon is judged by where it came from, never by the name it is
 * asked for under: {@code RepoDigests} (the daemon records {@code repository@digest} when it pulls,
 * and a {@code docker tag} adds none) say which registry repositories its content came from, and
 * berth's records say who made it. So a disallowed image tagged with an allowed name, or named by
 * its id, is still the disallowed image. Only an image the daemon does not have is judged by its
 * name (the daemon answers 404, and the pull that follows is judged by its name, which is where the
 * content will come from).
 *
 * @param named the reference as the caller gave it (for messages)
 * @param ref its canonical form; empty when it is an id or an id prefix
 * @param local whether the daemon has the image ({@code repoDigests}, {@code maker} and {@code
 *     adminNames} describe it)
 * @param repoDigests the registry repositories and digests its content came from
 * @param maker who made it on this host
 * @param adminNames the shared names (not a user's, not from a pull) it carries
 */
public record ImageSubject(
    String named,
    Optional<ImageRef> ref,
    boolean local,
    List<ImageRef> repoDigests,
    Maker maker,
    List<ImageRef> adminNames) {
  public ImageSubject {
    requireNonNull(named, "named");
    requireNonNull(ref, "ref");
    repoDigests = List.copyOf(repoDigests);
    requireNonNull(maker, "maker");
    adminNames = List.copyOf(adminNames);
  }

  /** Who made an image on this host. */
  public enum Maker {
    /** Nobody here: it came from a registry (or its maker is unknown). */
    NONE,
    /** An administrator (or root before berth): a shared name no registry and no user gave. */
    ADMIN,
    /** The caller (or, with a group scope, the caller's group). */
    CALLER,
    /** Another user. */
    OTHER
  }

  /** An image judged by its name alone: a pull, or a name the daemon does not have. */
  public static ImageSubject remote(ImageRef ref) {
    return new ImageSubject(
        ref.toString(), Optional.of(ref), false, List.of(), Maker.NONE, List.of());
  }

  /**
   * Whether the caller fixed the content by what they named: a digest reference, or an image id
   * (which berth forwards in full).
   */
  public boolean pinned() {
    return ref.map(ImageRef::pinned).orElse(true);
  }
}
