package dev.berth.testing;

import dev.berth.policy.DockerObject;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Owner;
import java.util.Optional;

/**
 * The objects of a daemon that holds none: no container, volume, network, exec or image is found,
 * and a volume berth has the daemon create is its owner's. A test that needs some objects overrides
 * the lookup it needs; every other question fails, as {@link ObjectDirectory}'s defaults do.
 */
public class EmptyObjects implements ObjectDirectory {
  @Override
  public Optional<DockerObject> container(String ref) {
    return Optional.empty();
  }

  @Override
  public Optional<DockerObject> volume(String name) {
    return Optional.empty();
  }

  @Override
  public Optional<DockerObject> network(String ref) {
    return Optional.empty();
  }

  @Override
  public Optional<DockerObject> exec(String id) {
    return Optional.empty();
  }

  @Override
  public Optional<DockerObject> image(String ref) {
    return Optional.empty();
  }

  @Override
  public DockerObject ensureVolume(String name, Owner owner) {
    return DockerObject.of(name, name, Optional.of(owner));
  }
}
