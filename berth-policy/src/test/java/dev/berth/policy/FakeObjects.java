package dev.berth.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.berth.policy.docker.ImageRefs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * An in-memory {@link ObjectDirectory}: objects by name and id, resolved like the daemon does
 * (exact id, exact name, then a unique id prefix).
 */
class FakeObjects implements ObjectDirectory {
  private final Map<String, DockerObject> containers = new HashMap<>();
  private final Map<String, DockerObject> volumes = new HashMap<>();
  private final Map<String, DockerObject> networks = new HashMap<>();
  private final Map<String, DockerObject> execs = new HashMap<>();
  private final Map<String, DockerObject> images = new HashMap<>();
  private final Map<String, ContainerUsage> usage = new HashMap<>();
  private final Map<String, Owner> heldTags = new HashMap<>();
  private final Map<String, Hold> holds = new HashMap<>();
  private final Map<String, Map<String, String>> networkLabels = new HashMap<>();
  boolean broken;

  /** The daemon's default address pools, as its {@code /info} gives them. */
  List<AddressPool> pools = AddressPool.BUILT_IN;

  /** The pools a fresh read gives ({@code recheck}): the daemon restarted with other pools. */
  List<AddressPool> poolsAfterRestart = AddressPool.BUILT_IN;

  /** Each read of the pools: whether it was a recheck. */
  final List<Boolean> poolReads = new ArrayList<>();

  @Override
  public List<AddressPool> defaultAddressPools(boolean recheck) throws LookupException {
    if (broken) {
      throw new LookupException("daemon unreachable");
    }
    poolReads.add(recheck);
    return recheck ? poolsAfterRestart : pools;
  }

  /** The daemon's API version ({@link #apiVersion}). */
  String api = "1.51";

  /** The node's swarm state: null when this directory cannot tell. */
  Boolean swarm;

  @Override
  public boolean inSwarm() throws LookupException {
    if (broken || swarm == null) {
      throw new LookupException("cannot tell");
    }
    return swarm;
  }

  /** Resources of a container (by full id); its owner label decides whose quota it counts in. */
  FakeObjects usage(ContainerUsage u) {
    usage.put(u.id(), u);
    return this;
  }

  /** The filters of the last predefined-network lookup, or null. */
  String builtinFilters;

  /** The daemon's predefined networks, as it lists them. */
  @Override
  public List<JsonNode> builtinNetworks(String filters) throws LookupException {
    if (broken) {
      throw new LookupException("daemon unreachable");
    }
    builtinFilters = filters;
    List<JsonNode> out = new ArrayList<>();
    for (String name : List.of("bridge", "host", "none")) {
      out.add(
          JsonNodeFactory.instance
              .objectNode()
              .put("Name", name)
              .put("Id", name + "-id")
              .putNull("Labels"));
    }
    return out;
  }

  @Override
  public ContainerUsage usage(String id) throws LookupException {
    if (broken) {
      throw new LookupException("daemon unreachable");
    }
    return usage.getOrDefault(id, new ContainerUsage(id, false, 0, 0, 0));
  }

  @Override
  public List<ContainerUsage> active(String label) throws LookupException {
    if (broken) {
      throw new LookupException("daemon unreachable");
    }
    String[] kv = label.split("=", 2);
    return usage.values().stream()
        .filter(ContainerUsage::active)
        .filter(
            u -> {
              DockerObject c = containers.get(u.id());
              return c != null
                  && c.owner().map(o -> o.labels().get(kv[0]).equals(kv[1])).orElse(false);
            })
        .toList();
  }

  static Optional<Owner> owner(int uid) {
    return Optional.of(new Owner(uid, -1));
  }

  FakeObjects container(String id, String name, Optional<Owner> owner) {
    containers.put(id, DockerObject.of(id, name, owner));
    return this;
  }

  FakeObjects volume(String name, Optional<Owner> owner) {
    volumes.put(name, DockerObject.of(name, name, owner));
    return this;
  }

  FakeObjects network(String id, String name, Optional<Owner> owner) {
    networks.put(id, DockerObject.of(id, name, owner));
    return this;
  }

  FakeObjects exec(String id, Optional<Owner> owner) {
    execs.put(id, DockerObject.of(id, "", owner));
    return this;
  }

  FakeObjects image(String id, Optional<Owner> owner, Map<String, Optional<Owner>> tags) {
    images.put(id, new DockerObject(id, "", owner, tags));
    return this;
  }

  /** An image pulled from registries: {@code repoDigests} as the daemon lists them. */
  FakeObjects pulled(String id, Map<String, Optional<Owner>> tags, List<String> repoDigests) {
    images.put(id, new DockerObject(id, "", Optional.empty(), tags, repoDigests));
    return this;
  }

  private Optional<DockerObject> find(Map<String, DockerObject> all, String ref)
      throws LookupException {
    if (broken) {
      throw new LookupException("daemon unreachable");
    }
    if (all.containsKey(ref)) {
      return Optional.of(all.get(ref));
    }
    for (DockerObject o : all.values()) {
      if (o.name().equals(ref) || o.tags().containsKey(ref) || o.repoDigests().contains(ref)) {
        return Optional.of(o);
      }
    }
    var prefixed =
        all.values().stream()
            .filter(o -> o.id().startsWith(ref) || o.id().startsWith("sha256:" + ref))
            .toList();
    return prefixed.size() == 1 ? Optional.of(prefixed.get(0)) : Optional.empty();
  }

  @Override
  public Optional<DockerObject> container(String ref) throws LookupException {
    return find(containers, ref);
  }

  @Override
  public Optional<DockerObject> volume(String name) throws LookupException {
    return broken ? find(volumes, name) : Optional.ofNullable(volumes.get(name));
  }

  @Override
  public Optional<DockerObject> network(String ref) throws LookupException {
    return find(networks, ref);
  }

  @Override
  public Optional<DockerObject> exec(String id) throws LookupException {
    return broken ? find(execs, id) : Optional.ofNullable(execs.get(id));
  }

  private final Map<String, List<String>> onBuild = new HashMap<>();

  /** The ONBUILD triggers of the image {@code id}. */
  FakeObjects onBuild(String id, String... triggers) {
    onBuild.put(id, List.of(triggers));
    return this;
  }

  @Override
  public List<String> imageOnBuild(String id) throws LookupException {
    if (broken) {
      throw new LookupException("daemon unreachable");
    }
    return onBuild.getOrDefault(id, List.of());
  }

  @Override
  public Map<String, String> repositoryTags(String repository) throws LookupException {
    if (broken) {
      throw new LookupException("daemon unreachable");
    }
    Map<String, String> out = new TreeMap<>();
    for (DockerObject i : images.values()) {
      for (String tag : i.tags().keySet()) {
        if (tag.substring(0, tag.lastIndexOf(':')).equals(repository)) {
          out.put(tag, i.id());
        }
      }
    }
    return out;
  }

  @Override
  public Optional<DockerObject> image(String ref) throws LookupException {
    Optional<DockerObject> byName =
        find(
            images,
            ImageRefs.familiar(ref).equals(ref) || images.containsKey(ref)
                ? ref
                : ImageRefs.familiar(ref));
    return byName.isPresent() ? byName : find(images, ref); // then as an id prefix
  }

  @Override
  public String apiVersion() throws LookupException {
    if (broken) {
      throw new LookupException("daemon unreachable");
    }
    return api;
  }

  /** A shared tag a user made before image namespaces (berth 0.1's {@code tag} record). */
  FakeObjects held(String tag, Owner owner) {
    heldTags.put(tag, owner);
    return this;
  }

  @Override
  public ImageClaims imageClaims() {
    return new ImageClaims() {
      @Override
      public Optional<Owner> imageOwner(String imageId) {
        DockerObject image = images.get(imageId);
        return image == null ? Optional.empty() : image.owner();
      }

      @Override
      public Optional<Owner> heldTag(String tag, String imageId) {
        Hold hold = holds.get(tag);
        if (hold != null && hold.imageId().equals(imageId)) {
          return Optional.of(hold.owner());
        }
        DockerObject image = images.get(imageId);
        return image != null && image.tags().containsKey(tag)
            ? Optional.ofNullable(heldTags.get(tag))
            : Optional.empty();
      }
    };
  }

  @Override
  public DockerObject ensureVolume(String name, Owner owner) throws LookupException {
    Optional<DockerObject> v = volume(name);
    if (v.isPresent()) {
      return v.get();
    }
    volume(name, Optional.of(owner));
    return volumes.get(name);
  }

  /** A network with labels (berth's marks), as {@link #ensureNetwork} makes and judges them. */
  FakeObjects network(String name, Map<String, String> labels) {
    networks.put(name, DockerObject.of(name, name, Owner.fromLabels(labels)));
    networkLabels.put(name, Map.copyOf(labels));
    return this;
  }

  @Override
  public DockerObject ensureNetwork(String name, Map<String, String> labels)
      throws LookupException {
    if (!networks.containsKey(name)) {
      network(name, labels);
    }
    if (!labels.equals(networkLabels.get(name))) {
      throw new LookupException("a network named " + name + " exists and is not berth's");
    }
    return networks.get(name);
  }

  /** A push's hold on a shared tag ({@link #holdTag}). */
  record Hold(String imageId, Owner owner, Optional<String> previous) {}

  /** The holds in place, by tag. */
  Map<String, Hold> holds() {
    return holds;
  }

  /** The pulls asked for ({@link #pullImage}), as {@code fromImage tag auth}. */
  final List<String> pulls = new ArrayList<>();

  /** What {@link #pullImage} answers: the daemon's error, or null for a pull that works. */
  @Nullable String pullError;

  @Override
  public Optional<String> pullImage(String fromImage, String tag, String registryAuth)
      throws LookupException {
    if (broken) {
      throw new LookupException("daemon unreachable");
    }
    pulls.add(fromImage + " " + tag + " " + registryAuth);
    return Optional.ofNullable(pullError);
  }

  @Override
  public boolean holdTag(String tag, String imageId, Owner owner) throws LookupException {
    if (holds.containsKey(tag)) {
      return false;
    }
    Optional<String> previous =
        image(tag).filter(i -> i.tags().containsKey(tag)).map(DockerObject::id);
    holds.put(tag, new Hold(imageId, owner, previous));
    return true;
  }

  @Override
  public void tagImage(String imageId, String tag) throws LookupException {
    for (DockerObject i : List.copyOf(images.values())) {
      if (i.tags().containsKey(tag)) {
        Map<String, Optional<Owner>> tags = new HashMap<>(i.tags());
        tags.remove(tag);
        images.put(i.id(), new DockerObject(i.id(), "", i.owner(), tags, i.repoDigests()));
      }
    }
    DockerObject i = images.get(imageId);
    if (i == null) {
      throw new LookupException("No such image: " + imageId);
    }
    Map<String, Optional<Owner>> tags = new HashMap<>(i.tags());
    tags.put(tag, Optional.empty());
    images.put(imageId, new DockerObject(imageId, "", i.owner(), tags, i.repoDigests()));
  }

  @Override
  public void releaseTag(String tag, String imageId) throws LookupException {
    Hold hold = holds.get(tag);
    if (hold == null || !hold.imageId().equals(imageId)) {
      return;
    }
    DockerObject now = images.get(imageId);
    if (now != null && now.tags().containsKey(tag)) {
      if (hold.previous().isPresent()) {
        tagImage(hold.previous().get(), tag);
      } else {
        Map<String, Optional<Owner>> tags = new HashMap<>(now.tags());
        tags.remove(tag);
        images.put(imageId, new DockerObject(imageId, "", now.owner(), tags, now.repoDigests()));
      }
    }
    holds.remove(tag);
  }
}
