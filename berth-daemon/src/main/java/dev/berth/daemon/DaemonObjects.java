package dev.berth.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.AddressPool;
import dev.berth.policy.ContainerUsage;
import dev.berth.policy.DockerObject;
import dev.berth.policy.ImageClaims;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Owner;
import dev.berth.policy.docker.DockerJson;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@link ObjectDirectory} of a real daemon: each question is the daemon's own inspect endpoint,
 * so names, ids and id prefixes resolve exactly as the daemon resolves them, and an ambiguous
 * prefix (the daemon answers 400) resolves to nothing. Owners come from berth's labels, or from the
 * {@link OwnerStore} for execs and images.
 */
public final class DaemonObjects implements ObjectDirectory {
  private static final ObjectMapper JSON = DockerJson.mapper();

  private final DaemonClient daemon;
  private final OwnerStore store;
  private final DefaultPoolsCache pools = new DefaultPoolsCache(this::readPools, System::nanoTime);

  /**
   * The local volumes each container (by full id) mounts, as berth's last inspect of it named them.
   * A container's mounts are fixed at its create (no API changes them) and a full id is never
   * reused, so the inspect that decided a start also serves the volume roots claimed after its
   * record ({@link #claimVolumeRoots}) without asking the daemon again; the volumes themselves are
   * still inspected there (a volume name can be removed and made again). Bounded: an id no longer
   * here is inspected.
   */
  private final Map<String, List<String>> localVolumes =
      Collections.synchronizedMap(new RecentMounts());

  public DaemonObjects(DaemonClient daemon, OwnerStore store) {
    this.daemon = daemon;
    this.store = store;
  }

  public OwnerStore store() {
    return store;
  }

  @Override
  public Optional<DockerObject> container(String ref) throws LookupException {
    return inspect("/containers/" + segment(ref) + "/json")
        .map(
            c -> {
              localVolumes.put(c.path("Id").asText(), localVolumeNames(c));
              return DockerObject.of(
                  c.path("Id").asText(),
                  stripSlash(c.path("Name").asText("")),
                  Owner.fromLabels(labels(c.path("Config").path("Labels"))));
            });
  }

  /** The names of the volumes of the local driver that an inspected container mounts. */
  private static List<String> localVolumeNames(JsonNode container) {
    List<String> names = new ArrayList<>();
    for (JsonNode m : container.path("Mounts")) {
      if (m.path("Type").asText().equals("volume") && m.path("Driver").asText().equals("local")) {
        names.add(m.path("Name").asText());
      }
    }
    return List.copyOf(names);
  }

  /** The most recently used entries of {@link #localVolumes}. */
  private static final class RecentMounts extends LinkedHashMap<String, List<String>> {
    private static final long serialVersionUID = 1L;
    private static final int KEPT = 1024;

    RecentMounts() {
      super(64, 0.75f, true);
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, List<String>> eldest) {
      return size() > KEPT;
    }
  }

  @Override
  public Optional<DockerObject> volume(String name) throws LookupException {
    return inspect("/volumes/" + segment(name)).map(DaemonObjects::volumeOf);
  }

  @Override
  public Optional<DockerObject> network(String ref) throws LookupException {
    return inspect("/networks/" + segment(ref))
        .map(
            n ->
                DockerObject.of(
                    n.path("Id").asText(),
                    n.path("Name").asText(""),
                    Owner.fromLabels(labels(n.path("Labels")))));
  }

  @Override
  public Optional<DockerObject> exec(String id) throws LookupException {
    return inspect("/exec/" + segment(id) + "/json")
        .map(
            e -> {
              String execId = e.path("ID").asText();
              return DockerObject.of(execId, "", store.execOwner(execId));
            });
  }

  @Override
  public Optional<DockerObject> image(String ref) throws LookupException {
    return inspect("/images/" + imagePath(ref) + "/json")
        .map(
            i -> {
              String id = i.path("Id").asText();
              Map<String, Optional<Owner>> tags = new HashMap<>();
              i.path("RepoTags").forEach(t -> tags.put(t.asText(), store.tagOwner(t.asText(), id)));
              List<String> digests = new ArrayList<>();
              i.path("RepoDigests").forEach(d -> digests.add(d.asText()));
              return new DockerObject(id, "", store.imageOwner(id), tags, digests);
            });
  }

  @Override
  public List<String> imageOnBuild(String id) throws LookupException {
    List<String> triggers = new ArrayList<>();
    inspect("/images/" + imagePath(id) + "/json")
        .ifPresent(i -> i.path("Config").path("OnBuild").forEach(t -> triggers.add(t.asText(""))));
    return triggers;
  }

  @Override
  public ImageClaims imageClaims() {
    return store;
  }

  @Override
  public boolean holdTag(String tag, String imageId, Owner owner) throws LookupException {
    Optional<OwnerStore.PushHold> left = store.pushHold(tag).filter(OwnerStore.PushHold::recovered);
    if (left.isPresent()) {
      releaseTag(tag, left.get().imageId()); // a push a previous berth did not finish: undone first
    }
    Optional<String> previous =
        image(tag).filter(i -> i.tags().containsKey(tag)).map(DockerObject::id);
    try {
      return store.holdForPush(tag, imageId, owner, previous);
    } catch (IOException e) {
      throw new LookupException(String.valueOf(e.getMessage()));
    }
  }

  /** Tags {@code imageId} {@code tag}; false when the daemon refused (the image is gone). */
  private boolean retag(String imageId, String tag) {
    try {
      tagImage(imageId, tag);
      return true;
    } catch (LookupException e) {
      return false;
    }
  }

  @Override
  public void tagImage(String imageId, String tag) throws LookupException {
    int colon = tag.lastIndexOf(':');
    DaemonClient.Answer a =
        call(
            "POST",
            "/images/"
                + segment(imageId)
                + "/tag?repo="
                + encode(tag.substring(0, colon), false)
                + "&tag="
                + encode(tag.substring(colon + 1), false),
            null);
    if (a.status() / 100 != 2) {
      throw new LookupException(
          "the daemon refused to tag " + imageId + " as " + tag + " (" + a.status() + ")");
    }
  }

  @Override
  public Map<String, String> repositoryTags(String repository) throws LookupException {
    DaemonClient.Answer a = call("GET", "/images/json", null);
    if (a.status() != 200) {
      throw new LookupException("the daemon did not list its images (" + a.status() + ")");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode image : parse(a)) {
      for (JsonNode t : image.path("RepoTags")) {
        String tag = t.asText("");
        int colon = tag.lastIndexOf(':');
        if (colon > tag.lastIndexOf('/') && tag.substring(0, colon).equals(repository)) {
          out.put(tag, image.path("Id").asText(""));
        }
      }
    }
    return out;
  }

  @Override
  public Optional<String> pullImage(String fromImage, String tag, String registryAuth)
      throws LookupException {
    String path =
        "/images/create?fromImage=" + encode(fromImage, false) + "&tag=" + encode(tag, false);
    try {
      return daemon.progress(
          path, registryAuth.isEmpty() ? Map.of() : Map.of("X-Registry-Auth", registryAuth));
    } catch (IOException e) {
      throw new LookupException("the daemon could not pull " + fromImage + ": " + e.getMessage());
    }
  }

  /**
   * Ends a push's hold: the daemon's tag goes back to the image it named before the hold, or is
   * removed ({@code noprune}: only the tag, the image keeps its other tags), while it still names
   * the pushed image; then the hold is dropped. A tag that moved on meanwhile (a pull) is left.
   */
  @Override
  public void releaseTag(String tag, String imageId) throws LookupException {
    Optional<OwnerStore.PushHold> hold =
        store.pushHold(tag).filter(h -> h.imageId().equals(imageId));
    if (hold.isEmpty()) {
      return;
    }
    boolean stillOurs =
        image(tag).filter(i -> i.tags().containsKey(tag) && i.id().equals(imageId)).isPresent();
    if (stillOurs) {
      Optional<String> previous = hold.get().previous();
      boolean keep = previous.filter(imageId::equals).isPresent();
      boolean restored = !keep && previous.isPresent() && retag(previous.get(), tag);
      if (!keep && !restored) {
        DaemonClient.Answer a = call("DELETE", "/images/" + imagePath(tag) + "?noprune=1", null);
        if (a.status() / 100 != 2 && a.status() != 404) {
          throw new LookupException(
              "the daemon refused to remove the tag " + tag + " (" + a.status() + ")");
        }
      }
    }
    store.release(tag, imageId);
  }

  @Override
  public DockerObject ensureVolume(String name, Owner owner) throws LookupException {
    byte[] body =
        JSON.createObjectNode()
            .put("Name", name)
            .<ObjectNode>set("Labels", JSON.valueToTree(owner.labels()))
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    DaemonClient.Answer a = call("POST", "/volumes/create", body);
    if (a.status() / 100 != 2) {
      throw new LookupException(
          "the daemon refused to create volume " + name + " (" + a.status() + ")");
    }
    JsonNode volume = parse(a);
    DockerObject v = volumeOf(volume);
    if (v.owner().filter(owner::equals).isPresent()) {
      claimRoot(volume);
    }
    return v;
  }

  /**
   * Gives the roots of the local volumes that container {@code id} mounts to their owners (the
   * owner labels of each volume), where they are still root's: see {@link VolumeRoots}. Volumes
   * without owner labels are nobody's and stay as they are.
   *
   * @return one note per root given
   */
  @Override
  public List<String> claimVolumeRoots(String id) throws LookupException {
    List<String> volumes = localVolumes.get(id);
    if (volumes == null) {
      volumes =
          localVolumeNames(
              inspect("/containers/" + segment(id) + "/json")
                  .orElseThrow(() -> new LookupException("container " + id + " is gone")));
    }
    List<String> notes = new ArrayList<>();
    for (String name : volumes) {
      Optional<JsonNode> v = inspect("/volumes/" + segment(name));
      if (v.isPresent() && claimRoot(v.get())) {
        notes.add("volume " + v.get().path("Name").asText() + " root given to its owner");
      }
    }
    return notes;
  }

  @Override
  public boolean inSwarm() throws LookupException {
    String state =
        inspect("/info")
            .orElseThrow(() -> new LookupException("no /info"))
            .path("Swarm")
            .path("LocalNodeState")
            .asText("");
    return !state.isEmpty() && !state.equals("inactive");
  }

  /** Kept for a while: see {@link DefaultPoolsCache}. */
  @Override
  public List<AddressPool> defaultAddressPools(boolean recheck) throws LookupException {
    return pools.pools(recheck);
  }

  private List<AddressPool> readPools() throws LookupException {
    JsonNode info = inspect("/info").orElseThrow(() -> new LookupException("no /info"));
    try {
      return AddressPool.ofDaemon(info.path("DefaultAddressPools"));
    } catch (IllegalArgumentException e) {
      throw new LookupException("the daemon's /info: " + e.getMessage());
    }
  }

  @Override
  public String apiVersion() throws LookupException {
    String v =
        inspect("/version")
            .orElseThrow(() -> new LookupException("no /version"))
            .path("ApiVersion")
            .asText("");
    if (v.isEmpty()) {
      throw new LookupException("the daemon's /version names no ApiVersion");
    }
    return v;
  }

  /** Gives a local volume's root to the owner its labels name; whether it changed. */
  private static boolean claimRoot(JsonNode volume) throws LookupException {
    Optional<Owner> owner = Owner.fromLabels(labels(volume.path("Labels")));
    String mountpoint = volume.path("Mountpoint").asText("");
    if (owner.isEmpty()
        || !volume.path("Driver").asText().equals("local")
        || mountpoint.isEmpty()) {
      return false;
    }
    try {
      return VolumeRoots.claim(mountpoint, owner.get().uid(), owner.get().gid())
          == VolumeRoots.Outcome.CLAIMED;
    } catch (IOException e) {
      throw new LookupException(
          "cannot give volume "
              + volume.path("Name").asText()
              + " to its owner: "
              + e.getMessage());
    }
  }

  /**
   * Inspects first and creates only when the name is free; a concurrent create of the same name
   * makes the daemon answer 409, after which the network that won is inspected and judged by its
   * labels like any other.
   */
  @Override
  public DockerObject ensureNetwork(String name, Map<String, String> labels)
      throws LookupException {
    Optional<JsonNode> found = inspect("/networks/" + segment(name));
    if (found.isEmpty()) {
      byte[] body =
          JSON.createObjectNode()
              .put("Name", name)
              .put("Driver", "bridge")
              .put("CheckDuplicate", true)
              .<ObjectNode>set("Labels", JSON.valueToTree(labels))
              .toString()
              .getBytes(StandardCharsets.UTF_8);
      DaemonClient.Answer a = call("POST", "/networks/create", body);
      if (a.status() / 100 != 2 && a.status() != 409) {
        throw new LookupException(
            "the daemon refused to create network " + name + " (" + a.status() + ")");
      }
      found = inspect("/networks/" + segment(name));
    }
    JsonNode n = found.orElseThrow(() -> new LookupException("network " + name + " is gone"));
    if (!n.path("Name").asText("").equals(name) || !labels(n.path("Labels")).equals(labels)) {
      throw new LookupException(
          "a network named "
              + name
              + " exists and is not berth's; an "
              + "administrator must remove it");
    }
    return DockerObject.of(n.path("Id").asText(), name, Optional.empty());
  }

  @Override
  public ContainerUsage usage(String id) throws LookupException {
    JsonNode c =
        inspect("/containers/" + segment(id) + "/json")
            .orElseThrow(() -> new LookupException("container " + id + " is gone"));
    JsonNode state = c.path("State");
    JsonNode hc = c.path("HostConfig");
    long nano = hc.path("NanoCpus").asLong(0);
    long quota = hc.path("CpuQuota").asLong(0);
    if (quota > 0) {
      long period = hc.path("CpuPeriod").asLong(0);
      nano = Math.max(nano, quota * 1_000_000_000L / (period > 0 ? period : 100_000L));
    }
    return new ContainerUsage(
        c.path("Id").asText(),
        state.path("Running").asBoolean(false)
            || state.path("Paused").asBoolean(false)
            || state.path("Restarting").asBoolean(false),
        hc.path("Memory").asLong(0),
        nano,
        hc.path("PidsLimit").asLong(0));
  }

  @Override
  public List<ContainerUsage> active(String label) throws LookupException {
    String filters =
        JSON.createObjectNode()
            .<ObjectNode>set("label", JSON.createArrayNode().add(label))
            .<ObjectNode>set(
                "status", JSON.createArrayNode().add("running").add("paused").add("restarting"))
            .toString();
    DaemonClient.Answer a =
        call(
            "GET",
            "/containers/json?filters=" + URLEncoder.encode(filters, StandardCharsets.UTF_8),
            null);
    if (a.status() != 200) {
      throw new LookupException("the daemon answered " + a.status() + " to a container list");
    }
    List<ContainerUsage> out = new ArrayList<>();
    for (JsonNode c : parse(a)) {
      out.add(usage(c.path("Id").asText()));
    }
    return out;
  }

  @Override
  public List<JsonNode> builtinNetworks(String filters) throws LookupException {
    DaemonClient.Answer a =
        call(
            "GET", "/networks?filters=" + URLEncoder.encode(filters, StandardCharsets.UTF_8), null);
    if (a.status() != 200) {
      throw new LookupException("the daemon answered " + a.status() + " to a network list");
    }
    List<JsonNode> out = new ArrayList<>();
    parse(a).forEach(out::add);
    return out;
  }

  private static DockerObject volumeOf(JsonNode v) {
    return DockerObject.of(
        v.path("Name").asText(),
        v.path("Name").asText(),
        Owner.fromLabels(labels(v.path("Labels"))));
  }

  private Optional<JsonNode> inspect(String path) throws LookupException {
    if (path.contains("//")
        || path.contains("/./")
        || path.contains("/../")
        || path.endsWith("/.")
        || path.endsWith("/..")) {
      return Optional.empty(); // an empty or dot reference names no object
    }
    DaemonClient.Answer a = call("GET", path, null);
    if (a.status() == 404 || a.status() == 400) {
      return Optional.empty(); // no such object, or an ambiguous or invalid reference
    }
    if (a.status() != 200) {
      throw new LookupException("the daemon answered " + a.status() + " to GET " + path);
    }
    JsonNode found = parse(a);
    if (!found.isObject()) {
      throw new LookupException("the daemon's answer to GET " + path + " is not an object");
    }
    return Optional.of(found);
  }

  private DaemonClient.Answer call(String method, String path, byte @Nullable [] body)
      throws LookupException {
    try {
      return daemon.call(method, path, body);
    } catch (IOException e) {
      throw new LookupException("the daemon could not be asked: " + e.getMessage());
    }
  }

  private static JsonNode parse(DaemonClient.Answer a) throws LookupException {
    try {
      return JSON.readTree(a.body());
    } catch (IOException e) {
      throw new LookupException("the daemon's answer is not JSON");
    }
  }

  private static Map<String, String> labels(JsonNode node) {
    Map<String, String> out = new HashMap<>();
    node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText("")));
    return out;
  }

  private static String stripSlash(String name) {
    return name.startsWith("/") ? name.substring(1) : name;
  }

  /** One path segment, percent-encoded except for unreserved characters. */
  private static String segment(String s) {
    return encode(s, false);
  }

  /** An image reference: its {@code /} separators stay, as the daemon's route expects. */
  private static String imagePath(String s) {
    return encode(s, true);
  }

  private static String encode(String s, boolean keepSlash) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~'
          || c == ':'
          || c == '@'
          || (keepSlash && c == '/')) {
        sb.append((char) c);
      } else {
        sb.append('%').append(String.format("%02X", c));
      }
    }
    return sb.toString();
  }
}
