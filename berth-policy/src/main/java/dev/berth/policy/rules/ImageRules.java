package dev.berth.policy.rules;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageClaims;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.QueryParams;
import dev.berth.policy.RequestException;
import dev.berth.policy.SavedImageNames;
import dev.berth.policy.Scope;
import dev.berth.policy.docker.ImageRef;
import dev.berth.policy.docker.ImageRefs;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The image endpoints for a caller who does not reach all objects (issue #13): references are
 * resolved by {@link ImageAccess}, names a user gives are written into the user's namespace ({@link
 * ImageNamespace}), shared names are written only by pulls (and administrators).
 *
 * <p>Design note. A user makes tags only in their own namespace ({@code tag}, {@code commit}); so a
 * shared name always holds what a registry (or an administrator) put there, and a pull of a shared
 * name cannot replace an image a user made: the only shared tags a pull is refused over are those a
 * user made before namespaces existed. An image a user made is claimed for them ({@code commit}:
 * the answer's id), so that it stays theirs when untagged or tagged again.
 */
final class ImageRules {
  private ImageRules() {}

  /** The rewritten request, what to do with the answer, and notes for the audit record. */
  record Outcome(CanonicalRequest request, FollowUp followUp, List<String> notes) {
    Outcome {
      requireNonNull(request, "request");
      requireNonNull(followUp, "followUp");
      notes = List.copyOf(notes);
    }

    Outcome(CanonicalRequest request, FollowUp followUp) {
      this(request, followUp, List.of());
    }
  }

  static Outcome inspect(
      Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException {
    ImageAccess.Resolved r = resolveOrNotFound(imagePath(request), who, grant, objects);
    ImageClaims claims = objects.imageClaims();
    return new Outcome(
        withImagePath(request, r.forward()),
        new FollowUp.MapNames(image -> ImageAccess.narrowInspect(image, who, grant, claims)));
  }

  static Outcome history(
      Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException {
    ImageAccess.Resolved r = resolveOrNotFound(imagePath(request), who, grant, objects);
    ImageClaims claims = objects.imageClaims();
    return new Outcome(
        withImagePath(request, r.forward()),
        new FollowUp.MapNames(layers -> ImageAccess.narrowHistory(layers, who, grant, claims)));
  }

  /** {@code docker save}: one image, by {@code /images/{name}/get} or {@code ?names=}. */
  static Outcome export(
      Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException {
    if (request.segments().size() == 2) {
      String name =
          request
              .query()
              .get("names")
              .orElseThrow(
                  () ->
                      new Refusal(
                          Decision.Status.FORBIDDEN, "name the image to save (docker save NAME)"));
      List<String> every = everyTag(name, who, grant, objects);
      if (!every.isEmpty()) {
        return new Outcome(
            request.withQuery(request.query().withAll("names", every)), savedNames(who, grant));
      }
      ImageAccess.Resolved r = resolveOrNotFound(name, who, grant, objects);
      return new Outcome(
          request.withQuery(request.query().with("names", r.forward())), savedNames(who, grant));
    }
    ImageAccess.Resolved r = resolveOrNotFound(imagePath(request), who, grant, objects);
    return new Outcome(withImagePath(request, r.forward()), savedNames(who, grant));
  }

  /**
   * {@code docker save REPOSITORY} (a name without tag or digest): the daemon saves every tag of
   * the repository (moby {@code tarexport.parseNames}: a name-only reference is a wildcard), so a
   * user's save names every tag of it the user may read: their own (daemon names, shown as given by
   * {@link SavedImageNames}) and the shared ones they see, their own where both have one tag. Empty
   * when {@code name} is not a repository name, for administrators (the daemon's wildcard as it
   * is), or when the caller may read no tag of it: then it is resolved as any reference (an id
   * prefix, or no such image).
   */
  static List<String> everyTag(String name, Principal who, Grant grant, ObjectDirectory objects)
      throws LookupException {
    Optional<String> own = ImageNamespace.privateName(name, who.uid());
    if (grant.role().passthrough()
        || grant.role().scope() == Scope.ALL
        || own.isEmpty()
        || name.substring(name.lastIndexOf('/') + 1).contains(":")
        || ImageRef.tryParse(name).isEmpty()) {
      return List.of();
    }
    String ownRepository = own.get().substring(0, own.get().lastIndexOf(':'));
    String familiar = ImageRefs.familiar(name);
    List<String> out = new ArrayList<>();
    Set<String> ownTags = new HashSet<>();
    for (String tag : objects.repositoryTags(ownRepository).keySet()) {
      out.add(tag);
      ownTags.add(tag.substring(ownRepository.length()));
    }
    String repository = familiar.substring(0, familiar.lastIndexOf(':'));
    ImageClaims claims = objects.imageClaims();
    for (Map.Entry<String, String> e : objects.repositoryTags(repository).entrySet()) {
      if (!ownTags.contains(e.getKey().substring(repository.length()))
          && ImageAccess.shownTag(e.getKey(), e.getValue(), who, grant, claims).isPresent()) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  /** The archive's tags in the caller's names ({@link SavedImageNames}); as is for admins. */
  private static FollowUp savedNames(Principal who, Grant grant) {
    return grant.role().passthrough() || grant.role().scope() == Scope.ALL
        ? FollowUp.NONE
        : new FollowUp.ShowArchiveNames(new SavedImageNames(who.uid()));
  }

  /**
   * {@code docker images}: the answer narrowed to the images the caller sees, in the caller's
   * names; {@code reference} patterns applied by berth to that answer ({@link ReferenceFilter}),
   * {@code before}/{@code since} resolved as the caller's references ({@link ImageFilters}).
   */
  static Outcome list(Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException, RequestException {
    ImageClaims claims = objects.imageClaims();
    CanonicalRequest out = request;
    ReferenceFilter byReference = ReferenceFilter.of(List.of());
    List<String> notes = new ArrayList<>();
    Optional<String> raw = request.query().get("filters");
    if (raw.isPresent()) {
      String filters = Filters.canonicalText(raw);
      byReference = ReferenceFilter.of(Filters.values(filters, "reference"));
      String judged =
          ImageFilters.beforeSince(Filters.without(filters, "reference"), who, grant, objects);
      if (!byReference.isEmpty() || !judged.equals(filters)) {
        out = request.withQuery(request.query().with("filters", judged));
        notes.add("image filters applied in your names");
      }
    }
    ReferenceFilter patterns = byReference;
    return new Outcome(
        out,
        new FollowUp.FilterResponse(
            list -> patterns.narrow(ImageAccess.narrowList(list, who, grant, claims))),
        notes);
  }

  /** {@code docker tag SOURCE TARGET}: the source must be seen, the target is the caller's. */
  static Outcome tag(Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException {
    ImageAccess.Resolved source = resolveOrNotFound(imagePath(request), who, grant, objects);
    String repo = request.query().get("repo").orElse("");
    String tag = request.query().get("tag").orElse("");
    List<String> notes = new ArrayList<>();
    CanonicalRequest out = withImagePath(request, source.forward());
    out = out.withQuery(privateTarget(repo, tag, who, out.query(), notes));
    return new Outcome(out, FollowUp.NONE, notes);
  }

  /** {@code docker commit}: the new image is the caller's, and so is the name it gets. */
  static Outcome commit(Principal who, Grant grant, CanonicalRequest request, String containerId)
      throws Refusal {
    CanonicalRequest out = request.withQuery(request.query().with("container", containerId));
    List<String> notes = new ArrayList<>();
    String repo = request.query().get("repo").orElse("");
    if (!repo.isEmpty()) {
      out =
          out.withQuery(
              privateTarget(repo, request.query().get("tag").orElse(""), who, out.query(), notes));
    }
    return new Outcome(out, new FollowUp.ClaimImage("", grant.ownerFor(who)), notes);
  }

  /**
   * {@code docker pull NAME:TAG}: writes a shared name, refused only over a shared tag another user
   * made before namespaces (a pull must not take an image from under its maker). The puller is
   * recorded, so that they may remove the tag again.
   */
  static Outcome pull(Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException {
    String from = request.query().get("fromImage").orElse("");
    String tag = request.query().get("tag").orElse("");
    if (ImageNamespace.isReserved(from)) {
      throw reserved(from);
    }
    if (from.contains("@") || tag.startsWith("sha256:")) {
      return new Outcome(request, FollowUp.NONE); // by digest: no tag changes
    }
    String last = from.substring(from.lastIndexOf('/') + 1);
    if (tag.isEmpty() && !last.contains(":")) {
      throw new Refusal(
          Decision.Status.FORBIDDEN,
          "pull one tag at a time (docker pull "
              + "NAME:TAG); pulling every tag (-a) is not allowed");
    }
    String target = ImageRefs.familiar(tag.isEmpty() ? from : from + ":" + tag);
    Optional<DockerObject> existing = objects.image(target);
    if (existing.isPresent() && existing.get().tags().containsKey(target)) {
      Optional<Owner> held = objects.imageClaims().heldTag(target, existing.get().id());
      if (held.isPresent() && !grant.reaches(who, held)) {
        throw new Refusal(
            Decision.Status.FORBIDDEN,
            "the name "
                + target
                + " holds an image "
                + "another user made before images had private names; ask an administrator to "
                + "move it");
      }
    }
    return new Outcome(request, new FollowUp.ClaimImage(target, grant.ownerFor(who)));
  }

  /**
   * {@code docker rmi}: the caller's own tag, a shared tag the caller pulled, or (by id) an image
   * all of whose tags the caller may remove.
   */
  static Outcome delete(
      Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException {
    String ref = imagePath(request);
    ImageAccess.Resolved r = resolveOrNotFound(ref, who, grant, objects);
    DockerObject image = r.image();
    boolean mine;
    if (!r.tag().isEmpty()) {
      mine = removable(r.tag(), image, who, grant);
    } else {
      // By id or digest: every tag of the image goes, so every tag (or, untagged, the image)
      // must be the caller's.
      mine =
          image.tags().isEmpty()
              ? grant.reaches(who, image.owner())
              : image.tagNames().stream().allMatch(t -> removable(t, image, who, grant));
    }
    if (!mine) {
      throw new Refusal(
          Decision.Status.FORBIDDEN,
          "the image "
              + ref
              + " is not yours; only "
              + "its owner or an administrator may remove it");
    }
    return new Outcome(
        withImagePath(request, r.forward()),
        new FollowUp.MapNames(answer -> untaggedAsNamed(answer, who, grant)));
  }

  /** The answer of {@code rmi} ({@code [{"Untagged": tag}, {"Deleted": id}]}) in caller's names. */
  private static JsonNode untaggedAsNamed(JsonNode answer, Principal who, Grant grant) {
    JsonNode out = answer.deepCopy();
    for (JsonNode item : out) {
      if (item instanceof ObjectNode o && o.path("Untagged").isTextual()) {
        o.put("Untagged", ImageAccess.shownImage(o.path("Untagged").asText(), "", who, grant));
      }
    }
    return out;
  }

  /**
   * {@code docker push NAME:TAG} of a shared tag the caller pulled (a tag of the caller's namespace
   * is {@link ImagePushRules}'s).
   */
  static Outcome push(Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException {
    String name = imagePath(request);
    String tag = request.query().get("tag").orElse("");
    String target = ImageRefs.familiar(tag.isEmpty() ? name : name + ":" + tag);
    ImageAccess.Resolved r = resolveOrNotFound(target, who, grant, objects);
    if (r.tag().isEmpty() || !removable(r.tag(), r.image(), who, grant)) {
      throw new Refusal(
          Decision.Status.FORBIDDEN,
          "the image " + target + " is not yours; " + "only its owner may push it");
    }
    return new Outcome(request, FollowUp.NONE);
  }

  /**
   * The image a new container runs: forwarded as the daemon's name or full id that was judged. A
   * name the daemon does not know goes on as given (the daemon answers 404 and the CLI pulls it: a
   * pull writes only shared names).
   */
  static String containerImage(String ref, Principal who, Grant grant, ObjectDirectory objects)
      throws Refusal, LookupException {
    Optional<ImageAccess.Resolved> r = ImageAccess.resolve(ref, who, grant, objects);
    if (r.isPresent()) {
      return r.get().forward();
    }
    if (ImageNamespace.isReserved(ref) || objects.image(ref).isPresent() || looksLikeId(ref)) {
      throw new Refusal(Decision.Status.NOT_FOUND, "No such image: " + ref);
    }
    return ref;
  }

  /** Whether the caller may remove (or push) the daemon tag {@code tag} of {@code image}. */
  private static boolean removable(String tag, DockerObject image, Principal who, Grant grant) {
    Optional<ImageNamespace.PrivateTag> p = ImageNamespace.parse(tag);
    if (p.isPresent()) {
      return p.get().uid() == who.uid();
    }
    return grant.reaches(who, image.tags().getOrDefault(tag, Optional.empty()));
  }

  static QueryParams privateTarget(
      String repo, String tag, Principal who, QueryParams query, List<String> notes)
      throws Refusal {
    String target = ImageRefs.familiar(tag.isEmpty() ? repo : repo + ":" + tag);
    if (ImageNamespace.isReserved(repo)) {
      throw reserved(repo);
    }
    String daemon =
        ImageNamespace.privateName(target, who.uid())
            .orElseThrow(
                () ->
                    new Refusal(
                        Decision.Status.FORBIDDEN,
                        "the name "
                            + target
                            + " cannot be given to "
                            + "an image of yours; choose a plain name such as myimage:1"));
    int colon = daemon.lastIndexOf(':');
    notes.add("tag " + target + " is yours (" + daemon + ")");
    return query.with("repo", daemon.substring(0, colon)).with("tag", daemon.substring(colon + 1));
  }

  private static ImageAccess.Resolved resolveOrNotFound(
      String ref, Principal who, Grant grant, ObjectDirectory objects)
      throws Refusal, LookupException {
    return ImageAccess.resolve(ref, who, grant, objects)
        .orElseThrow(() -> new Refusal(Decision.Status.NOT_FOUND, "No such image: " + ref));
  }

  private static Refusal reserved(String ref) {
    return new Refusal(
        Decision.Status.FORBIDDEN,
        "names under "
            + ImageNamespace.REGISTRY
            + " are berth's ("
            + ref
            + "); use the plain name");
  }

  /** A full or short image id: what the daemon would resolve as an id prefix. */
  private static boolean looksLikeId(String ref) {
    String hex = ref.startsWith("sha256:") ? ref.substring("sha256:".length()) : ref;
    return !hex.isEmpty()
        && hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  /** The {@code {name*}} of an image route: the segments after {@code /images/}. */
  static String imagePath(CanonicalRequest request) {
    List<String> s = request.segments();
    int end = request.method().equals("DELETE") ? s.size() : s.size() - 1;
    return String.join("/", s.subList(1, end));
  }

  /** {@code request} with its {@code {name*}} replaced by {@code ref}. */
  private static CanonicalRequest withImagePath(CanonicalRequest request, String ref) {
    List<String> s = request.segments();
    int end = request.method().equals("DELETE") ? s.size() : s.size() - 1;
    List<String> out = new ArrayList<>();
    out.add(s.get(0));
    out.addAll(List.of(ref.split("/", -1)));
    out.addAll(s.subList(end, s.size()));
    return new CanonicalRequest(
        request.method(),
        request.apiVersion(),
        "/" + String.join("/", out),
        out,
        request.query(),
        request.body());
  }
}
