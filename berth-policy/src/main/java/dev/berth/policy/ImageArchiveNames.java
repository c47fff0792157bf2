package dev.berth.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.ImageRef;
import dev.berth.policy.docker.ImageRefs;
import dev.berth.policy.docker.TarSanitizer;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tags of an image archive ({@code docker load}), written into the loader's image namespace
 * ({@link ImageNamespace}) as the archive streams through berth.
 *
 * <p>Design note. The daemon takes an archive's tags from three entries at its root, in the two
 * layouts {@code docker save} writes (20.10: Docker's; 25 and later: OCI with Docker's beside it):
 * {@code manifest.json} ({@code [{"RepoTags": ["name:tag"], ...}]}; moby {@code
 * image/tarexport/load.go}), {@code repositories} (the legacy {@code {"name": {"tag": "id"}}}, read
 * when there is no {@code manifest.json}) and {@code index.json} (an OCI index whose manifests'
 * annotations {@code io.containerd.image.name} and {@code org.opencontainers.image.ref.name} name
 * them; read by the containerd image store). Each entry is parsed with Jackson (strictly: a
 * duplicate key is refused), every name in it is mapped to the loader's private name, and the entry
 * is re-serialised: the daemon reads exactly what berth judged. A name that cannot be a user's
 * (under {@code berth.invalid}, a digest, outside the reference grammar) refuses the whole load; so
 * does an entry berth cannot parse. Everything else of the archive (layers, configs, blobs) is
 * content, not names, and passes as streamed ({@link TarSanitizer}).
 *
 * <p>{@code org.opencontainers.image.ref.name} may be a bare tag ({@code latest}, as moby writes it
 * beside {@code io.containerd.image.name}) or a full reference; either way it becomes the full
 * private name, which the daemon reads as the reference it is.
 */
public final class ImageArchiveNames implements TarSanitizer.TagEntries {
  static final String MANIFEST = "manifest.json";
  static final String REPOSITORIES = "repositories";
  static final String INDEX = "index.json";
  private static final Set<String> ENTRIES = Set.of(MANIFEST, REPOSITORIES, INDEX);
  private static final String IMAGE_NAME = "io.containerd.image.name";
  private static final String REF_NAME = "org.opencontainers.image.ref.name";

  private static final Pattern LOADED =
      Pattern.compile("^Loaded image(?: ID)?: (\\S+)\\s*$", Pattern.DOTALL);
  private static final Pattern IMAGE_ID = Pattern.compile("^sha256:[0-9a-f]{64}$");

  private final int uid;

  /**
   * The image a line of a load or import answer says was made, or empty: the name of {@code
   * {"stream":"Loaded image: NAME\n"}}, the id of {@code {"stream":"Loaded image ID: ID\n"}} (moby
   * {@code image/tarexport/load.go}; the containerd store writes the same lines) or of an import's
   * {@code {"status":"sha256:..."}} (moby {@code api/server/router/image}, {@code
   * postImagesCreate}).
   */
  public static Optional<String> madeImage(JsonNode line) {
    Matcher m = LOADED.matcher(line.path("stream").asText(""));
    if (m.matches()) {
      return Optional.of(m.group(1));
    }
    String status = line.path("status").asText("");
    return IMAGE_ID.matcher(status).matches() ? Optional.of(status) : Optional.empty();
  }

  /** The archive's tags go into {@code uid}'s namespace. */
  public ImageArchiveNames(int uid) {
    this.uid = uid;
  }

  @Override
  public boolean isTagEntry(String name) {
    return ENTRIES.contains(name);
  }

  @Override
  public byte[] rewrite(String name, byte[] content) throws RequestException {
    JsonNode json;
    try {
      json = DockerJson.parse(content);
    } catch (RequestException e) {
      throw RequestException.bad(
          "docker load: "
              + name
              + " of the archive is not JSON berth can read ("
              + e.getMessage()
              + ")");
    }
    JsonNode out =
        switch (name) {
          case MANIFEST -> manifest(json);
          case REPOSITORIES -> repositories(json);
          case INDEX -> index(json);
          default -> throw new IllegalArgumentException(name + " bears no tags");
        };
    return DockerJson.write(out);
  }

  private JsonNode manifest(JsonNode json) throws RequestException {
    if (!(json instanceof ArrayNode images)) {
      throw refused("manifest.json of the archive is not a list of images");
    }
    ArrayNode out = images.deepCopy();
    for (JsonNode image : out) {
      if (!(image instanceof ObjectNode o)) {
        throw refused("manifest.json of the archive lists something that is not an image");
      }
      JsonNode tags = o.get("RepoTags");
      if (tags == null || tags.isNull()) {
        continue;
      }
      if (!(tags instanceof ArrayNode list)) {
        throw refused("RepoTags in manifest.json of the archive is not a list");
      }
      ArrayNode mapped = o.arrayNode();
      for (JsonNode tag : list) {
        if (!tag.isTextual()) {
          throw refused("RepoTags in manifest.json of the archive holds a non-name");
        }
        mapped.add(privateName(tag.textValue()));
      }
      o.set("RepoTags", mapped);
    }
    return out;
  }

  private JsonNode repositories(JsonNode json) throws RequestException {
    if (!(json instanceof ObjectNode repos)) {
      throw refused("repositories of the archive is not an object");
    }
    ObjectNode out = repos.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = repos.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> repo = it.next();
      if (!(repo.getValue() instanceof ObjectNode tags)) {
        throw refused("repositories of the archive names a repository without tags");
      }
      for (Iterator<Map.Entry<String, JsonNode>> t = tags.fields(); t.hasNext(); ) {
        Map.Entry<String, JsonNode> tag = t.next();
        String daemon = privateName(repo.getKey() + ":" + tag.getKey());
        int colon = daemon.lastIndexOf(':');
        String name = daemon.substring(0, colon);
        JsonNode existing = out.get(name);
        ObjectNode mapped = existing instanceof ObjectNode e ? e : out.putObject(name);
        mapped.set(daemon.substring(colon + 1), tag.getValue());
      }
    }
    return out;
  }

  private JsonNode index(JsonNode json) throws RequestException {
    if (!(json instanceof ObjectNode index)) {
      throw refused("index.json of the archive is not an OCI index");
    }
    ObjectNode out = index.deepCopy();
    JsonNode manifests = out.get("manifests");
    if (manifests == null || manifests.isNull()) {
      return out;
    }
    if (!(manifests instanceof ArrayNode list)) {
      throw refused("manifests in index.json of the archive is not a list");
    }
    for (JsonNode m : list) {
      if (!(m instanceof ObjectNode manifest)) {
        throw refused("index.json of the archive lists something that is not a manifest");
      }
      JsonNode annotations = manifest.get("annotations");
      if (annotations == null || annotations.isNull()) {
        continue;
      }
      if (!(annotations instanceof ObjectNode a)) {
        throw refused("annotations in index.json of the archive are not an object");
      }
      JsonNode image = a.get(IMAGE_NAME);
      JsonNode ref = a.get(REF_NAME);
      String full = null;
      if (image != null) {
        full = privateName(text(image, IMAGE_NAME));
        a.put(IMAGE_NAME, full);
      }
      if (ref != null) {
        String given = text(ref, REF_NAME);
        String mapped;
        if (full != null && !given.contains("/") && !given.contains(":")) {
          // moby writes the bare tag beside the image name: keep it the tag of the mapped name
          mapped = full.substring(full.lastIndexOf(':') + 1);
        } else {
          mapped = privateName(given);
        }
        a.put(REF_NAME, mapped);
      }
    }
    return out;
  }

  private static String text(JsonNode value, String what) throws RequestException {
    if (!value.isTextual()) {
      throw refused(what + " in index.json of the archive is not a name");
    }
    return value.textValue();
  }

  /** The daemon's name, in the loader's namespace, for a tag the archive gives. */
  private String privateName(String tag) throws RequestException {
    Optional<ImageNamespace.PrivateTag> own = ImageNamespace.parse(tag).filter(p -> p.uid() == uid);
    if (own.isPresent()) {
      // the loader's own name, as docker save of the loader's tag writes it: kept theirs
      Optional<String> again = ImageNamespace.privateName(own.get().name(), uid);
      if (again.isPresent() && again.get().equals(ImageRefs.familiar(tag))) {
        return again.get();
      }
    }
    if (ImageNamespace.isReserved(tag)) {
      throw refused(
          "the archive's tag "
              + tag
              + " is under "
              + ImageNamespace.REGISTRY
              + ", berth's own registry; tag the image with a plain name before docker save");
    }
    if (ImageRef.tryParse(tag).isEmpty()) {
      throw refused("the archive's tag " + tag + " is not an image name");
    }
    return ImageNamespace.privateName(tag, uid)
        .orElseThrow(
            () ->
                refused(
                    "the archive's tag "
                        + tag
                        + " cannot be given to an image of yours; tag the image with a plain name"
                        + " such as myimage:1 before docker save"));
  }

  private static RequestException refused(String why) {
    return new RequestException(Decision.Status.FORBIDDEN, "docker load: " + why);
  }
}
