package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.ImagePolicy;
import dev.berth.policy.ImageRule;
import dev.berth.policy.ImageSubject;
import dev.berth.policy.ImageUse;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.Role;
import dev.berth.policy.docker.ImageRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every request that names an image, judged by the caller's role's image policy ({@link
 * ImagePolicy}, issue 16 item 2), after the other rules allowed it: the policy judges the request
 * berth forwards, so it judges the image the daemon will act on.
 *
 * <p>Design note. The paths that name an image, and how each is judged:
 *
 * <ul>
 *   <li>{@code POST /containers/create} ({@code docker run}, {@code create}, {@code berth run}):
 *       the forwarded {@code Image} is looked up on the daemon and judged by where its content came
 *       from ({@link ImageSubject}); a name the daemon does not have is judged by its name (the
 *       daemon answers 404, and the CLI's pull is judged next). When a rule with listed digests
 *       allowed a tag, the container is created from the full id that was judged, so a tag moved in
 *       between cannot substitute other content.
 *   <li>{@code POST /images/create?fromImage=&tag=} (pull): the canonical reference the daemon will
 *       pull ({@link ImageRef#ofPull}); imports ({@code fromSrc}) never reach the image policy
 *       ({@link ImagePullRules} refuses them to every role that is not a passthrough).
 *   <li>{@code docker load}: refused (the archive names its own tags and origin, written before
 *       anything could be judged).
 *   <li>{@code POST /build} (the classic builder): the request itself names no image; the
 *       Dockerfile held from its context names them, and {@link DockerfileRules} judges each {@code
 *       FROM}, {@code COPY --from} and base image's {@code ONBUILD COPY --from} for {@code build}
 *       ({@link #forBuild}) as a create judges its image: on the daemon by where its content came
 *       from and who made it, otherwise by its name before berth pulls it. A remote context ({@code
 *       remote}) is refused: the daemon fetches it and reads its Dockerfile unseen.
 *   <li>BuildKit ({@code /grpc}): the role's rules go to the daemon's BuildKit as a source policy
 *       with each Solve (berth-buildkit), which BuildKit applies to every image the build resolves
 *       or pulls; engines older than API 1.44, whose BuildKit would ignore it, run no user's
 *       BuildKit build (berth-buildkit refuses the Solve).
 * </ul>
 */
public final class ImagePolicyRules {
  private static final Set<Action> JUDGED =
      Set.of(Action.CONTAINER_CREATE, Action.IMAGE_CREATE, Action.IMAGE_LOAD, Action.IMAGE_BUILD);

  private ImagePolicyRules() {}

  /**
   * Whether the image policy of {@code role} asks the daemon for {@code action}: the image a
   * container is created from.
   */
  public static boolean consultsDirectory(Role role, Action action) {
    return role.images().restricts() && action == Action.CONTAINER_CREATE;
  }

  /**
   * The decision for an allowed request under the caller's image policy: {@code allowed} with a
   * note of the rule that allowed the image, or a refusal that names the rule.
   */
  public static Decision evaluate(
      Principal who, Grant grant, Action action, Decision.Allow allowed, ObjectDirectory objects) {
    Role role = grant.role();
    ImagePolicy policy = role.images();
    if (!policy.restricts() || !JUDGED.contains(action)) {
      return allowed;
    }
    try {
      return switch (action) {
        case CONTAINER_CREATE -> create(who, grant, allowed, objects);
        case IMAGE_CREATE -> pull(role, allowed);
        case IMAGE_LOAD ->
            refuse(
                "berth: docker load is not allowed under the image rules of "
                    + "role "
                    + role.name()
                    + " (an archive names its own tags and origin); pull from "
                    + "a registry they allow");
        case IMAGE_BUILD -> build(role, allowed);
        default -> allowed;
      };
    } catch (LookupException e) {
      return new Decision.Indeterminate(
          "ownership_lookup",
          "berth could not ask the daemon for the image rules (" + e.getMessage() + ")");
    }
  }

  private static Decision create(
      Principal who, Grant grant, Decision.Allow allowed, ObjectDirectory objects)
      throws LookupException {
    CanonicalRequest request = allowed.forward();
    if (!(request.body() instanceof Body.Json json)
        || !(json.value() instanceof ObjectNode body)
        || !body.path("Image").isTextual()) {
      return allowed;
    }
    String image = body.path("Image").asText();
    Optional<DockerObject> found = objects.image(image);
    ImageSubject subject;
    if (found.isPresent()) {
      subject = subjectOf(image, found.get(), who, grant);
    } else {
      Optional<ImageRef> ref = ImageRef.tryParse(image);
      if (ref.isEmpty()) {
        return refuse(
            "berth: "
                + image
                + " is not an image name the image rules of role "
                + grant.role().name()
                + " can judge");
      }
      subject = ImageSubject.remote(ref.get());
    }
    ImagePolicy.Verdict v = grant.role().images().judge(ImageUse.RUN, subject, grant.role().name());
    if (v instanceof ImagePolicy.Refused r) {
      return refuse("berth: " + shown(r.reason(), image, who, grant));
    }
    List<String> notes = new ArrayList<>(allowed.rewrites());
    notes.add(shown(v.reason(), image, who, grant));
    CanonicalRequest out = request;
    Optional<ImageRule> rule =
        grant.role().images().rules().stream()
            .filter(r -> r.name().equals(((ImagePolicy.Allowed) v).rule()))
            .findFirst();
    if (found.isPresent()
        && !subject.pinned()
        && rule.isPresent()
        && rule.get().digests() == ImageRule.Digests.LISTED) {
      ObjectNode copy = body.deepCopy();
      copy.put("Image", found.get().id());
      out = request.withBody(new Body.Json(copy));
      notes.add("created from the image id judged (" + found.get().id() + ")");
    }
    return new Decision.Allow(allowed.rule(), out, notes, allowed.followUp(), allowed.effects());
  }

  /** A classic build: refused only when the daemon would read a Dockerfile berth never sees. */
  private static Decision build(Role role, Decision.Allow allowed) {
    String remote = allowed.forward().query().get("remote").orElse("");
    if (!remote.isEmpty()) {
      return refuse(
          "berth: remote build contexts ("
              + remote
              + ") are not allowed under the image rules of role "
              + role.name()
              + ": the daemon fetches the context and reads its Dockerfile itself, so its FROM"
              + " could not be held to the rules for build; clone or download it yourself and"
              + " build the directory");
    }
    List<String> notes = new ArrayList<>(allowed.rewrites());
    notes.add(
        "the Dockerfile's images are judged by the image rules of role "
            + role.name()
            + " for build");
    return new Decision.Allow(
        allowed.rule(), allowed.forward(), notes, allowed.followUp(), allowed.effects());
  }

  /**
   * The verdict of the caller's image rules on building from {@code named}, an image of a classic
   * build's Dockerfile: {@code found} on the daemon (judged as a create judges its image, by where
   * its content came from and who made it), or, when empty, the image berth is about to pull for
   * the build, judged by {@code named} as written (after build-arg expansion), so that a {@code
   * digests} rule applies to what the Dockerfile names. Always allowed without image rules.
   */
  public static ImagePolicy.Verdict forBuild(
      String named, Optional<DockerObject> found, Principal who, Grant grant) {
    Role role = grant.role();
    if (!role.images().restricts()) {
      return new ImagePolicy.Allowed("", "");
    }
    ImageSubject subject;
    if (found.isPresent()) {
      subject = subjectOf(named, found.get(), who, grant);
    } else {
      Optional<ImageRef> ref = ImageRef.tryParse(named);
      if (ref.isEmpty()) {
        return new ImagePolicy.Refused(
            "",
            named + " is not an image name the image rules of role " + role.name() + " can judge");
      }
      subject = ImageSubject.remote(ref.get());
    }
    ImagePolicy.Verdict v = role.images().judge(ImageUse.BUILD, subject, role.name());
    return v instanceof ImagePolicy.Refused r
        ? new ImagePolicy.Refused(r.rule(), shown(r.reason(), named, who, grant))
        : new ImagePolicy.Allowed(
            ((ImagePolicy.Allowed) v).rule(), shown(v.reason(), named, who, grant));
  }

  private static Decision pull(Role role, Decision.Allow allowed) {
    CanonicalRequest request = allowed.forward();
    // An import (fromSrc) never gets here: ImagePullRules refuses it to every judged role.
    String from = request.query().get("fromImage").orElse("");
    String tag = request.query().get("tag").orElse("");
    ImageRef ref;
    try {
      ref = ImageRef.ofPull(from, tag);
    } catch (IllegalArgumentException e) {
      return Decision.badRequest("image_policy", "berth: " + e.getMessage());
    }
    ImageSubject subject = ImageSubject.remote(ref);
    String last = from.substring(from.lastIndexOf('/') + 1);
    if (tag.isEmpty() && !from.contains("@") && !last.contains(":")) {
      // docker pull -a: every tag of the repository, so no digest is named
      subject =
          new ImageSubject(
              ref.name() + " (all tags)",
              Optional.of(new ImageRef(ref.registry(), ref.repository(), "latest", "")),
              false,
              List.of(),
              ImageSubject.Maker.NONE,
              List.of());
    }
    ImagePolicy.Verdict v = role.images().judge(ImageUse.PULL, subject, role.name());
    if (v instanceof ImagePolicy.Refused r) {
      return refuse("berth: " + r.reason());
    }
    List<String> notes = new ArrayList<>(allowed.rewrites());
    notes.add(v.reason());
    return new Decision.Allow(
        allowed.rule(), request, notes, allowed.followUp(), allowed.effects());
  }

  /**
   * What berth knows about {@code image} (found on the daemon as {@code found}) for the image
   * policy: where its content came from (its registry digests), who made it, and the shared names
   * an administrator gave it.
   */
  static ImageSubject subjectOf(String named, DockerObject found, Principal who, Grant grant) {
    List<ImageRef> digests = new ArrayList<>();
    for (String d : found.repoDigests()) {
      ImageRef.tryParse(d).filter(ImageRef::pinned).ifPresent(digests::add);
    }
    List<ImageRef> adminNames = new ArrayList<>();
    ImageSubject.Maker by;
    if (found.owner().isPresent()) {
      by = grant.reaches(who, found.owner()) ? ImageSubject.Maker.CALLER : ImageSubject.Maker.OTHER;
    } else {
      Set<String> pulledFrom = Set.copyOf(digests.stream().map(ImageRef::name).toList());
      for (Map.Entry<String, Optional<Owner>> t : found.tags().entrySet()) {
        if (ImageNamespace.parse(t.getKey()).isPresent() || t.getValue().isPresent()) {
          continue; // a user's tag, or one berth recorded a user for
        }
        ImageRef.tryParse(t.getKey())
            .filter(r -> !pulledFrom.contains(r.name()))
            .ifPresent(adminNames::add);
      }
      by = adminNames.isEmpty() ? ImageSubject.Maker.NONE : ImageSubject.Maker.ADMIN;
    }
    Optional<ImageRef> ref = idOf(named, found.id()) ? Optional.empty() : ImageRef.tryParse(named);
    return new ImageSubject(
        ImageAccess.shownImage(named, found.id(), who, grant), ref, true, digests, by, adminNames);
  }

  /** Whether {@code named} is the image id {@code id}, or a prefix of it, rather than a name. */
  private static boolean idOf(String named, String id) {
    String hex = named.startsWith("sha256:") ? named.substring("sha256:".length()) : named;
    String full = id.startsWith("sha256:") ? id.substring("sha256:".length()) : id;
    return !hex.isEmpty() && hex.matches("[0-9a-f]+") && full.startsWith(hex);
  }

  /** A reason that names the daemon's name of the caller's own tag in the caller's name. */
  private static String shown(String reason, String image, Principal who, Grant grant) {
    String mine = ImageAccess.shownImage(image, "", who, grant);
    return mine.equals(image) ? reason : reason.replace(image, mine);
  }

  private static Decision refuse(String message) {
    return Decision.forbidden("image_policy", message);
  }
}
