package dev.berth.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/** An {@link ObjectDirectory} that answers lookups and fails the test on any write. */
final class ReadOnlyObjects implements ObjectDirectory {
  private final ObjectDirectory objects;

  ReadOnlyObjects(ObjectDirectory objects) {
    this.objects = objects;
  }

  @Override
  public Optional<DockerObject> container(String ref) throws LookupException {
    return objects.container(ref);
  }

  @Override
  public Optional<DockerObject> volume(String name) throws LookupException {
    return objects.volume(name);
  }

  @Override
  public Optional<DockerObject> network(String ref) throws LookupException {
    return objects.network(ref);
  }

  @Override
  public Optional<DockerObject> exec(String id) throws LookupException {
    return objects.exec(id);
  }

  @Override
  public Optional<DockerObject> image(String ref) throws LookupException {
    return objects.image(ref);
  }

  @Override
  public List<JsonNode> builtinNetworks(String filters) throws LookupException {
    return objects.builtinNetworks(filters);
  }

  @Override
  public List<AddressPool> defaultAddressPools(boolean recheck) throws LookupException {
    return objects.defaultAddressPools(recheck);
  }

  @Override
  public ContainerUsage usage(String id) throws LookupException {
    return objects.usage(id);
  }

  @Override
  public List<ContainerUsage> active(String label) throws LookupException {
    return objects.active(label);
  }

  @Override
  public DockerObject ensureVolume(String name, Owner owner) {
    throw new AssertionError(
        "the engine wrote to the daemon while deciding: created volume " + name);
  }
}
