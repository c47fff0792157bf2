package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageClaims;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.Scope;
import dev.berth.policy.docker.ImageRefs;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which images a caller sees, and under which names (issue #13).
 *
 * <p>Design note. An image is shared when it holds a shared tag (pulled from a registry, or made by
 * an administrator), or when it is untagged and nobody made it (an older version of a pulled tag, a
 * pull by digest). An image a user made ({@code commit}, {@code build}; recorded in berth's side
 * store) or tagged only in users' namespaces ({@link ImageNamespace}) is seen only by that user. A
 * reference is resolved in the caller's namespace first, then as the shared name, then as an id, id
 * prefix or digest; whatever it resolves to must be seen by the caller, and is forwarded as the
 * daemon's name (a tag) or the full id that was judged, so that the daemon acts on exactly that
 * image. Shared tags that a user made before namespaces existed stay that user's ({@link
 * ImageClaims#heldTag}). Administrators (scope {@code all}) see the daemon as it is.
 */
public final class ImageAccess {
  private ImageAccess() {}

  /**
   * What a caller's image reference resolves to.
   *
   * @param forward the reference to forward: the daemon's name of the caller's tag, the shared name
   *     as given, a digest reference as given, or the full id
   * @param image the image it names now
   * @param tag the daemon's tag it resolved through (familiar form), or "" for an id or digest
   */
  public record Resolved(String forward, DockerObject image, String tag) {}

  /**
   * The image {@code ref} names for this caller, or empty when there is none the caller may see
   * (answered like a missing image). Also what a build's {@code FROM} must go through.
   */
  public static Optional<Resolved> resolve(
      String ref, Principal who, Grant grant, ObjectDirectory objects) throws LookupException {
    if (reachesAll(grant)) {
      return objects.image(ref).map(i -> new Resolved(ref, i, tagOf(ref, i)));
    }
    if (ref.isEmpty() || ImageNamespace.isReserved(ref)) {
      return Optional.empty();
    }
    Optional<String> mine = ImageNamespace.privateName(ref, who.uid());
    ObjectDirectory.Lookup<Optional<DockerObject>> asGiven = () -> objects.image(ref);
    if (mine.isPresent()) {
      asGiven = objects.ahead(asGiven); // asked with the caller's own name, used only if needed
      String own = ImageRefs.familiar(mine.get());
      Optional<DockerObject> image = objects.image(own).filter(i -> i.tags().containsKey(own));
      if (image.isPresent()) {
        return Optional.of(new Resolved(own, image.get(), own));
      }
    }
    Optional<DockerObject> found = asGiven.get();
    if (found.isEmpty()) {
      return Optional.empty();
    }
    DockerObject image = found.get();
    ImageClaims claims = objects.imageClaims();
    String asTag = ImageRefs.familiar(ref);
    if (!ref.contains("@") && image.tags().containsKey(asTag)) {
      return shownTag(asTag, image.id(), who, grant, claims).isPresent()
          ? Optional.of(new Resolved(ref, image, asTag))
          : Optional.empty();
    }
    if (!sees(image.id(), image.tagNames(), image.owner(), who, grant, claims)) {
      return Optional.empty();
    }
    return Optional.of(new Resolved(ref.contains("@") ? ref : image.id(), image, ""));
  }

  private static String tagOf(String ref, DockerObject image) {
    String asTag = ImageRefs.familiar(ref);
    return !ref.contains("@") && image.tags().containsKey(asTag) ? asTag : "";
  }

  /**
   * Whether the caller sees the image {@code id} with the daemon tags {@code tags}: through a tag
   * it may see, because it made the image, or because nobody made it and it has no tag.
   */
  static boolean sees(
      String id,
      List<String> tags,
      Optional<Owner> maker,
      Principal who,
      Grant grant,
      ImageClaims claims) {
    if (reachesAll(grant)) {
      return true;
    }
    for (String tag : tags) {
      if (shownTag(tag, id, who, grant, claims).isPresent()) {
        return true;
      }
    }
    if (maker.isPresent()) {
      return grant.reaches(who, maker);
    }
    return tags.isEmpty();
  }

  /**
   * The name under which the caller sees the daemon tag {@code tag} of image {@code id}: its own
   * namespace's tags without the prefix, shared tags as they are; empty for tags of other users.
   */
  static Optional<String> shownTag(
      String tag, String id, Principal who, Grant grant, ImageClaims claims) {
    if (reachesAll(grant)) {
      return Optional.of(tag);
    }
    Optional<ImageNamespace.PrivateTag> p = ImageNamespace.parse(tag);
    if (p.isPresent()) {
      return p.get().uid() == who.uid() ? Optional.of(p.get().name()) : Optional.empty();
    }
    Optional<Owner> held = claims.heldTag(tag, id);
    if (held.isPresent() && !grant.reaches(who, held)) {
      return Optional.empty();
    }
    return Optional.of(tag);
  }

  /**
   * An image list ({@code GET /images/json}, or the {@code Images} of {@code system df}) as the
   * caller sees it: images it may not see are dropped, tags and digests renamed or dropped.
   */
  public static JsonNode narrowList(JsonNode list, Principal who, Grant grant, ImageClaims claims) {
    if (reachesAll(grant) || !list.isArray()) {
      return list;
    }
    ArrayNode out = ((ArrayNode) list).arrayNode();
    for (JsonNode item : list) {
      if (!(item instanceof ObjectNode summary)) {
        continue;
      }
      String id = summary.path("Id").asText("");
      List<String> tags = texts(summary.path("RepoTags"));
      if (!sees(id, tags, claims.imageOwner(id), who, grant, claims)) {
        continue;
      }
      ObjectNode copy = summary.deepCopy();
      renameAll(copy, id, who, grant, claims);
      out.add(copy);
    }
    return out;
  }

  /** An image inspect answer as the caller sees it (the image itself was resolved before). */
  static JsonNode narrowInspect(JsonNode image, Principal who, Grant grant, ImageClaims claims) {
    if (reachesAll(grant) || !(image instanceof ObjectNode in)) {
      return image;
    }
    ObjectNode copy = in.deepCopy();
    renameAll(copy, in.path("Id").asText(""), who, grant, claims);
    return copy;
  }

  /** An image history answer: each layer's {@code Tags} renamed or dropped. */
  static JsonNode narrowHistory(JsonNode history, Principal who, Grant grant, ImageClaims claims) {
    if (reachesAll(grant) || !history.isArray()) {
      return history;
    }
    ArrayNode out = ((ArrayNode) history).arrayNode();
    for (JsonNode layer : history) {
      if (layer instanceof ObjectNode o) {
        ObjectNode copy = o.deepCopy();
        rename(copy, "Tags", o.path("Id").asText(""), who, grant, claims);
        out.add(copy);
      }
    }
    return out;
  }

  /**
   * The image name a container list or inspect shows ({@code Image}, {@code Config.Image}): the
   * caller's own tags without their namespace; another user's private tag (a container of a sharing
   * group's member) as the image id {@code id}, or {@value ImageNamespace#OTHERS} when the answer
   * names no id.
   */
  public static String shownImage(String image, String id, Principal who, Grant grant) {
    if (reachesAll(grant)) {
      return image;
    }
    return ImageNamespace.parse(image)
        .map(p -> p.uid() == who.uid() ? p.name() : id.isEmpty() ? ImageNamespace.OTHERS : id)
        .orElse(image);
  }

  private static void renameAll(
      ObjectNode image, String id, Principal who, Grant grant, ImageClaims claims) {
    rename(image, "RepoTags", id, who, grant, claims);
    rename(image, "RepoDigests", id, who, grant, claims);
  }

  private static void rename(
      ObjectNode node, String field, String id, Principal who, Grant grant, ImageClaims claims) {
    if (!node.path(field).isArray()) {
      return;
    }
    ArrayNode out = node.arrayNode();
    for (String name : texts(node.path(field))) {
      shownTag(name, id, who, grant, claims).ifPresent(out::add);
    }
    node.set(field, out);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) {
      String s = n.asText("");
      if (!s.isEmpty() && !s.equals("<none>:<none>") && !s.equals("<none>@<none>")) {
        out.add(s);
      }
    }
    return out;
  }

  private static boolean reachesAll(Grant grant) {
    return grant.role().passthrough() || grant.role().scope() == Scope.ALL;
  }
}
