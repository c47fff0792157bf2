package dev.berth.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.TarSanitizer;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * The tags of an image archive the daemon wrote for {@code docker save}, given back the names the
 * saver gave them as the archive streams to the caller: the reverse of {@link ImageArchiveNames}.
 *
 * <p>Design note. A user's tag {@code app:1} is {@code berth.invalid/u1001/docker.io/library/app:1}
 * in the daemon ({@link ImageNamespace}), and {@code docker save} writes the daemon's names into
 * the archive (moby {@code image/tarexport/save.go}, 20.10 and 28.x): {@code manifest.json}'s
 * {@code RepoTags} (familiar strings), the legacy {@code repositories} ({@code {familiar name:
 * {tag: id}}}) and, from 25 on, the OCI {@code index.json}, whose manifests carry {@code
 * io.containerd.image.name} (the full reference) and {@code org.opencontainers.image.ref.name} (the
 * tag alone). Each of these entries is held (bounded, {@link TarSanitizer#tagsOnly}), parsed,
 * rewritten and relayed; everything else streams as the daemon wrote it. A name of the saver's
 * namespace becomes the name they gave (in the same form: familiar, or fully qualified); a name of
 * another user's namespace, which a save through berth cannot name (references resolve only to what
 * the caller may see, and a save by id writes no tags), is dropped rather than shown; shared names
 * pass. Loading the archive again through berth makes the tags the loader's ({@link
 * ImageArchiveNames}); another Docker sees the names the user gave.
 */
public final class SavedImageNames implements TarSanitizer.TagEntries {
  private static final String IMAGE_NAME = "io.containerd.image.name";
  private static final String REF_NAME = "org.opencontainers.image.ref.name";

  private final int uid;

  /** The archive's tags as {@code uid} named them. */
  public SavedImageNames(int uid) {
    this.uid = uid;
  }

  @Override
  public boolean isTagEntry(String name) {
    return name.equals(ImageArchiveNames.MANIFEST)
        || name.equals(ImageArchiveNames.REPOSITORIES)
        || name.equals(ImageArchiveNames.INDEX);
  }

  @Override
  public byte[] rewrite(String name, byte[] content) throws RequestException {
    JsonNode json = DockerJson.parse(content);
    switch (name) {
      case ImageArchiveNames.MANIFEST -> manifest(json);
      case ImageArchiveNames.REPOSITORIES -> json = repositories(json);
      case ImageArchiveNames.INDEX -> index(json);
      default -> throw new IllegalArgumentException(name + " bears no tags");
    }
    byte[] out = DockerJson.write(json);
    if (content.length == 0 || content[content.length - 1] != '\n') {
      return out;
    }
    // the daemon's json.Encoder ended the entry with a newline: so does berth
    byte[] lined = Arrays.copyOf(out, out.length + 1);
    lined[out.length] = '\n';
    return lined;
  }

  private void manifest(JsonNode json) {
    for (JsonNode image : json) {
      if (image instanceof ObjectNode o && o.get("RepoTags") instanceof ArrayNode tags) {
        ArrayNode shown = o.arrayNode();
        for (JsonNode t : tags) {
          shown(t.asText("")).ifPresent(shown::add);
        }
        o.set("RepoTags", shown);
      }
    }
  }

  private JsonNode repositories(JsonNode json) {
    if (!(json instanceof ObjectNode repos)) {
      return json;
    }
    ObjectNode out = repos.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = repos.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> repo = it.next();
      if (!(repo.getValue() instanceof ObjectNode tags)) {
        continue;
      }
      for (Iterator<Map.Entry<String, JsonNode>> t = tags.fields(); t.hasNext(); ) {
        Map.Entry<String, JsonNode> tag = t.next();
        Optional<String> shown = shown(repo.getKey() + ":" + tag.getKey());
        if (shown.isPresent()) {
          String s = shown.get();
          int colon = s.lastIndexOf(':');
          JsonNode existing = out.get(s.substring(0, colon));
          ObjectNode into =
              existing instanceof ObjectNode e ? e : out.putObject(s.substring(0, colon));
          into.set(s.substring(colon + 1), tag.getValue());
        }
      }
    }
    return out;
  }

  private void index(JsonNode json) {
    if (!(json.get("manifests") instanceof ArrayNode manifests)) {
      return;
    }
    for (JsonNode m : manifests) {
      if (!(m instanceof ObjectNode manifest)
          || !(manifest.get("annotations") instanceof ObjectNode a)) {
        continue;
      }
      String image = a.path(IMAGE_NAME).asText("");
      if (ImageNamespace.parse(image).isPresent()) {
        Optional<String> full = ImageNamespace.qualifiedName(image, uid);
        if (full.isPresent()) {
          a.put(IMAGE_NAME, full.get());
        } else {
          a.remove(IMAGE_NAME);
          a.remove(REF_NAME);
        }
      }
      String ref = a.path(REF_NAME).asText("");
      if (ImageNamespace.parse(ref).isPresent()) {
        Optional<String> full = ImageNamespace.qualifiedName(ref, uid);
        if (full.isPresent()) {
          a.put(REF_NAME, full.get());
        } else {
          a.remove(REF_NAME);
        }
      }
      if (a.isEmpty()) {
        manifest.remove("annotations");
      }
    }
  }

  /** A daemon tag as the saver sees it: their own as given, shared as is, another's not at all. */
  private Optional<String> shown(String tag) {
    Optional<ImageNamespace.PrivateTag> p = ImageNamespace.parse(tag);
    if (p.isEmpty()) {
      return Optional.of(tag);
    }
    return p.get().uid() == uid ? Optional.of(p.get().name()) : Optional.empty();
  }
}
