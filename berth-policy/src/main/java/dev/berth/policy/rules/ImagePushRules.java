package dev.berth.policy.rules;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Effect;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.docker.ImageRefs;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code docker push NAME:TAG} of an image the caller made, to the registry under the name the
 * caller gave it (issue 13). A push of a shared tag is {@link ImageRules#push}'s.
 *
 * <p>Design note. The daemon pushes only a name it holds, and the caller's name lives in the
 * caller's namespace ({@code berth.invalid/u1001/127.0.0.1__5000/alice/app:1}, which the daemon can
 * never push). So for the push's duration the judged image (by its full id) gets the real name as a
 * daemon tag, in three steps that only happen after the decision's record is durable: {@link
 * Effect.HoldTag} records the shared tag as held by the caller while it points at that image, and
 * remembers what the tag pointed at before (if anything); {@link Effect.TagImage} then tags the
 * image; the push of that name is forwarded. {@link FollowUp.ReleaseTag} runs once when the push's
 * answer ended (success or failure), when the client or the daemon closed the connection first, or
 * when an effect failed: the temporary tag is removed, or the image it replaced is tagged again,
 * and the hold is dropped.
 *
 * <p>Why nobody else sees or uses the name meanwhile: the hold is in place before the tag exists,
 * and a held tag is hidden from everyone but its holder ({@link ImageAccess#shownTag}: lists,
 * inspect, run, tag and history answer "No such image", as for any image of another user) and
 * refused to their pulls ({@link ImageRules#pull}); a second push of the same name while one runs
 * is refused ({@link Effect.HoldTag}, 409), since the two would push each other's image. The image
 * is pushed by the name that was judged and tagged to the judged id, so a change of the caller's
 * own tag during the push does not change what is pushed. Credentials stay the client's: {@code
 * X-Registry-Auth} is forwarded with the request as for any push, and berth never stores it.
 *
 * <p>Races and failure. A pull of the same shared name judged before the hold and finishing during
 * the push re-tags the name to the registry's image; the release then leaves that tag alone (it
 * restores only a tag that still points at the pushed image), and the push sends back what the
 * registry had. If berth dies mid-push, the hold and the tag remain (the hold is recorded before
 * the tag is made): the daemon holds the shared name on the caller's image, seen only by the caller
 * (the next push of that name through berth undoes it first; the caller can also remove it with a
 * second {@code docker rmi} of the name, the first removes their own tag) and by administrators; a
 * shared image it replaced is then untagged until it is pulled again by an administrator or the
 * caller. Accepted: nothing is exposed to other users. In plugin mode berth cannot act around a
 * request, and such a push is refused there.
 */
final class ImagePushRules {
  private ImagePushRules() {}

  /** {@code POST /images/{name}/push?tag=}: the caller's own tag, or else a shared one. */
  static Step push(Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException {
    String name = ImageRules.imagePath(request);
    String tag = request.query().get("tag").orElse("");
    String last = name.substring(name.lastIndexOf('/') + 1);
    if (tag.isEmpty() && !last.contains(":") && !name.contains("@")) {
      throw allTags(name);
    }
    String target = ImageRefs.familiar(tag.isEmpty() ? name : name + ":" + tag);
    Optional<ImageAccess.Resolved> r = ImageAccess.resolve(target, who, grant, objects);
    if (r.isEmpty() || ImageNamespace.parse(r.get().tag()).isEmpty()) {
      return ImageOwnership.of(ImageRules.push(who, grant, request, objects));
    }
    return own(who, grant, request, objects, r.get());
  }

  /**
   * {@code docker push -a REPOSITORY} (no tag: the CLI's {@code --all-tags}) is refused to users.
   * The daemon pushes every tag of the repository that it holds (moby {@code
   * distribution/push_v2.go}, {@code pushV2Repository} without a tag): the tags other users pulled
   * (not the caller's to push), and a name held for another user's push of their own image right
   * now, which the caller would push with the caller's credentials. berth cannot narrow one
   * all-tags push to the caller's tags, and pushing each of the caller's tags in turn would take
   * one daemon request per tag where the relay forwards one; so the caller pushes each tag.
   */
  private static Refusal allTags(String name) {
    return new Refusal(
        Decision.Status.FORBIDDEN,
        "docker push -a (--all-tags) is not available through berth: the daemon would push every"
            + " tag of "
            + name
            + " it holds, also tags that are not yours to push; push each tag instead (docker"
            + " push "
            + name
            + ":TAG; docker images "
            + name
            + " lists your tags)");
  }

  private static Step own(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      ImageAccess.Resolved mine)
      throws Refusal, LookupException {
    String real = ImageNamespace.parse(mine.tag()).orElseThrow().name();
    String imageId = mine.image().id();
    Optional<DockerObject> shared = objects.image(real).filter(i -> i.tags().containsKey(real));
    if (shared.isPresent()) {
      Optional<Owner> held = objects.imageClaims().heldTag(real, shared.get().id());
      if (held.isPresent() && !grant.reaches(who, held)) {
        throw new Refusal(
            Decision.Status.FORBIDDEN,
            "the name "
                + real
                + " on this host holds an image of another user; berth cannot give it to your"
                + " image for a push; ask an administrator to move it");
      }
    }
    int colon = real.lastIndexOf(':');
    List<String> segments = new ArrayList<>();
    segments.add("images");
    segments.addAll(List.of(real.substring(0, colon).split("/", -1)));
    segments.add("push");
    CanonicalRequest out =
        new CanonicalRequest(
                request.method(),
                request.apiVersion(),
                "/" + String.join("/", segments),
                segments,
                request.query(),
                request.body())
            .withQuery(request.query().with("tag", real.substring(colon + 1)));
    Step step = new Step(out, new FollowUp.ReleaseTag(real, imageId));
    step.effects.add(new Effect.HoldTag(real, imageId, grant.ownerFor(who)));
    step.effects.add(new Effect.TagImage(imageId, real));
    step.note(
        "push of your image "
            + imageId
            + " as "
            + real
            + " (the daemon holds that name for the push, hidden from other users)");
    return step;
  }
}
