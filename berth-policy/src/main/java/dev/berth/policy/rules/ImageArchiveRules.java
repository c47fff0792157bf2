package dev.berth.policy.rules;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageArchiveNames;
import dev.berth.policy.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code docker import} ({@code POST /images/create?fromSrc=-}) and {@code docker load} ({@code
 * POST /images/load}): images a user makes from an archive are theirs (issue 13).
 *
 * <p>Design note. Both write tags, so both write them only into the caller's image namespace: an
 * import's {@code repo}/{@code tag} are mapped like {@code docker tag}'s; a load's tags are inside
 * the archive, so the relay rewrites the archive's tag-bearing entries as they stream through
 * ({@link ImageArchiveNames}, {@code TarSanitizer}) and refuses the load before the archive's end
 * when a tag cannot be the caller's. The images made are claimed for the caller from the daemon's
 * answer ({@link FollowUp.ClaimLoaded}), which is shown in the caller's names. An import's body (a
 * root file system) is content and passes as sent; its source must be that body ({@code
 * fromSrc=-}): from a URL the daemon itself would fetch from the network. Its {@code changes} are
 * judged as {@code docker commit}'s ({@link ImageChanges}).
 */
final class ImageArchiveRules {
  private ImageArchiveRules() {}

  /** Whether {@code request} ({@code POST /images/create}) is an import rather than a pull. */
  static boolean isImport(CanonicalRequest request) {
    return request.query().has("fromSrc") && !request.query().has("fromImage");
  }

  /**
   * The import's source and changes, for every judged role: the body only ({@code fromSrc=-}), and
   * the changes {@link ImageChanges} allows.
   */
  static Decision importSource(CanonicalRequest request) {
    String from = request.query().get("fromSrc").orElse("");
    if (request.query().has("fromImage")) {
      return Decision.badRequest(
          "image_create",
          "berth: give fromImage (docker pull) or fromSrc (docker import), not both");
    }
    if (!from.equals("-")) {
      return Decision.forbidden(
          "image_create",
          "berth: docker import from a URL ("
              + from
              + ") is refused: the daemon would fetch it from the network itself; download it and"
              + " pipe it (curl -fsSL URL | docker import - NAME)");
    }
    Optional<String> refused = ImageChanges.refusal(request, "docker import");
    if (refused.isPresent()) {
      return Decision.forbidden("image_create", refused.get());
    }
    return new Decision.Allow("image_create", request, List.of());
  }

  /**
   * {@code docker import - NAME}: the name goes into the caller's namespace, the image made is
   * claimed for the caller from the answer.
   */
  static ImageRules.Outcome importInto(Principal who, Grant grant, CanonicalRequest request)
      throws Refusal {
    String repo = request.query().get("repo").orElse("");
    List<String> notes = new ArrayList<>();
    CanonicalRequest out = request;
    if (!repo.isEmpty()) {
      out =
          out.withQuery(
              ImageRules.privateTarget(
                  repo, request.query().get("tag").orElse(""), who, out.query(), notes));
    } else if (request.query().has("tag")) {
      out = out.withQuery(out.query().without("tag")); // the daemon reads tag only with repo
    }
    return new ImageRules.Outcome(out, claim(who, grant), notes);
  }

  /**
   * {@code docker load}: the archive's tags are rewritten into the caller's namespace as it streams
   * (its entries also become the caller's, as for {@code docker cp}), the images made are claimed.
   */
  static ImageRules.Outcome load(Principal who, Grant grant, CanonicalRequest request) {
    CanonicalRequest out =
        request.withBody(
            new Body.Stream(
                Optional.of(new Body.TarOwner(who.uid(), who.gid())),
                Optional.of(new Body.ImageNames(who.uid()))));
    return new ImageRules.Outcome(
        out, claim(who, grant), List.of("the archive's tags are written as yours"));
  }

  private static FollowUp claim(Principal who, Grant grant) {
    return new FollowUp.ClaimLoaded(grant.ownerFor(who));
  }
}
