package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnershipRules.notFound;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;
import dev.berth.policy.QueryParams;
import dev.berth.policy.docker.ImageRefs;
import java.util.List;
import java.util.Optional;

/**
 * Ownership of images: shared for reading; changing a tag (pull over it, tag over it, commit to
 * it, push or delete it) needs the tag to be the caller's, and a new tag is claimed for the
 * caller once the daemon succeeds.
 */
final class ImageOwnership {
  /**
   * A build-cache filter no record matches (buildkit compares ids, hex digests): the cache is
   * shared by every build on the daemon, so no user owns any of it, and {@code docker builder
   * prune} (also a step of {@code docker system prune}) completes without removing anything.
   */
  static final String NO_BUILD_CACHE = "{\"id\":[\"berth-users-own-no-build-cache\"]}";

  private ImageOwnership() {}

  /** {@code docker builder prune}: whatever the filters, forwarded to match no cache. */
  static Step buildPrune(CanonicalRequest request) {
    Step none = new Step(request.withQuery(QueryParams.empty().with("filters", NO_BUILD_CACHE)));
    none.note("build cache is shared: nothing of it is yours to prune");
    return none;
  }


  static Step imagePull(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects) throws Refusal, LookupException {
    String from = request.query().get("fromImage").orElse("");
    String tag = request.query().get("tag").orElse("");
    if (from.contains("@") || tag.startsWith("sha256:")) {
      return new Step(request); // by digest: no tag changes
    }
    String last = from.substring(from.lastIndexOf('/') + 1);
    if (tag.isEmpty() && !last.contains(":")) {
      throw new Refusal(Decision.Status.FORBIDDEN, "pull one tag at a time (docker pull "
          + "NAME:TAG); pulling every tag (-a) is not allowed");
    }
    String target = ImageRefs.familiar(tag.isEmpty() ? from : from + ":" + tag);
    return claimTag(target, who, grant, objects, request);
  }

  static Step imageTag(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects) throws Refusal, LookupException {
    String source = imagePath(request);
    if (objects.image(source).isEmpty()) {
      throw notFound("No such image: " + source);
    }
    String repo = request.query().get("repo").orElse("");
    String tag = request.query().get("tag").orElse("");
    String target = ImageRefs.familiar(tag.isEmpty() ? repo : repo + ":" + tag);
    return claimTag(target, who, grant, objects, request);
  }

  static Step commit(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects) throws Refusal, LookupException {
    String ref = request.query().get("container").orElse("");
    DockerObject c = ContainerOwnership.container(ref, who, grant, objects);
    CanonicalRequest out = request.withQuery(request.query().with("container", c.id()));
    String repo = request.query().get("repo").orElse("");
    if (repo.isEmpty()) {
      return new Step(out, new FollowUp.ClaimImage("", grant.ownerFor(who)));
    }
    String tag = request.query().get("tag").orElse("");
    return claimTag(ImageRefs.familiar(tag.isEmpty() ? repo : repo + ":" + tag), who, grant,
        objects, out);
  }

  /**
   * A request that points {@code target} at an image: refused when the tag exists and is not
   * the caller's (a user must not replace an image others run), else the tag is claimed once
   * the daemon succeeds.
   */
  static Step claimTag(String target, Principal who, Grant grant,
      ObjectDirectory objects, CanonicalRequest request) throws Refusal, LookupException {
    Optional<DockerObject> existing = objects.image(target);
    if (existing.isPresent()
        && !grant.reaches(who, existing.get().tags().getOrDefault(target, Optional.empty()))) {
      throw new Refusal(Decision.Status.FORBIDDEN, "the image " + target + " is already on this "
          + "host and is not yours: use it as it is, or give your image another name");
    }
    return new Step(request, new FollowUp.ClaimImage(target, grant.ownerFor(who)));
  }

  static Step imageDelete(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects) throws Refusal, LookupException {
    String ref = imagePath(request);
    DockerObject image = objects.image(ref)
        .orElseThrow(() -> notFound("No such image: " + ref));
    String asTag = ImageRefs.familiar(ref);
    boolean mine;
    if (image.tags().containsKey(asTag)) {
      mine = grant.reaches(who, image.tags().get(asTag));
    } else {
      // By id or digest: every tag of the image goes, so every tag (or, untagged, the image)
      // must be the caller's.
      mine = image.tags().isEmpty() ? grant.reaches(who, image.owner())
          : image.tags().values().stream().allMatch(o -> grant.reaches(who, o));
    }
    if (!mine) {
      throw new Refusal(Decision.Status.FORBIDDEN, "the image " + ref + " is not yours; only "
          + "its owner or an administrator may remove it");
    }
    return new Step(request);
  }

  static Step imagePush(Principal who, Grant grant, CanonicalRequest request,
      ObjectDirectory objects) throws Refusal, LookupException {
    String name = imagePath(request);
    String tag = request.query().get("tag").orElse("");
    String target = ImageRefs.familiar(tag.isEmpty() ? name : name + ":" + tag);
    DockerObject image = objects.image(target)
        .orElseThrow(() -> notFound("No such image: " + target));
    if (!grant.reaches(who, image.tags().getOrDefault(target, Optional.empty()))) {
      throw new Refusal(Decision.Status.FORBIDDEN, "the image " + target + " is not yours; "
          + "only its owner may push it");
    }
    return new Step(request);
  }

  /** The {@code {name*}} of an image route: the segments after {@code /images/}. */
  static String imagePath(CanonicalRequest request) {
    List<String> s = request.segments();
    int end = request.method().equals("DELETE") ? s.size() : s.size() - 1;
    return String.join("/", s.subList(1, end));
  }
}
