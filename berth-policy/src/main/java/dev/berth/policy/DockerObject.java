package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An existing object as the daemon (and berth's side store) describe it.
 *
 * @param id the daemon's full id (for volumes, the name)
 * @param name the container's name without its leading {@code /}, the network's or volume's name;
 *     "" for execs and images
 * @param owner who it belongs to; empty when nobody does
 * @param tags for images: each repository tag (familiar form, {@code busybox:latest}) with its
 *     owner when one is recorded for the image the tag points to now
 * @param repoDigests for images: the daemon's {@code RepoDigests} ({@code repository@digest} for
 *     each registry repository its content was pulled from; a tag adds none)
 */
public record DockerObject(
    String id,
    String name,
    Optional<Owner> owner,
    Map<String, Optional<Owner>> tags,
    List<String> repoDigests) {
  public DockerObject {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(owner, "owner");
    tags = Map.copyOf(tags);
    repoDigests = List.copyOf(repoDigests);
  }

  /** An image that came from no registry (or whose registry digests do not matter). */
  public DockerObject(
      String id, String name, Optional<Owner> owner, Map<String, Optional<Owner>> tags) {
    this(id, name, owner, tags, List.of());
  }

  /** A container, volume, network or exec. */
  public static DockerObject of(String id, String name, Optional<Owner> owner) {
    return new DockerObject(id, name, owner, Map.of());
  }

  /** The image's tags, in no particular order. */
  public List<String> tagNames() {
    return List.copyOf(tags.keySet());
  }
}
