package dev.berth.policy.rules;

import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;
import dev.berth.policy.QueryParams;
import dev.berth.policy.RequestException;

/**
 * Ownership of images (issue 13), handed to {@link ImageRules}: a reference is resolved in the
 * caller's namespace first and must name an image the caller sees ({@link ImageAccess}); names a
 * user gives (tag, commit) are written into the user's namespace; pulls write shared names and are
 * recorded for the puller; what the answer names is shown in the caller's names.
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

  /** The image actions whose path or query names an image, and pulls. */
  static Step evaluate(
      Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects, Action action)
      throws Refusal, LookupException {
    if (action == Action.IMAGE_PUSH) {
      return ImagePushRules.push(who, grant, request, objects);
    }
    return of(
        switch (action) {
          case IMAGE_INSPECT -> ImageRules.inspect(who, grant, request, objects);
          case IMAGE_HISTORY -> ImageRules.history(who, grant, request, objects);
          case IMAGE_EXPORT -> ImageRules.export(who, grant, request, objects);
          case IMAGE_CREATE ->
              ImageArchiveRules.isImport(request)
                  ? ImageArchiveRules.importInto(who, grant, request)
                  : ImageRules.pull(who, grant, request, objects);
          case IMAGE_LOAD -> ImageArchiveRules.load(who, grant, request);
          case IMAGE_TAG -> ImageRules.tag(who, grant, request, objects);
          case IMAGE_DELETE -> ImageRules.delete(who, grant, request, objects);
          default -> throw new IllegalStateException(action.id() + " is not an image rule");
        });
  }

  /** {@code docker images}: the answer narrowed to the images the caller sees. */
  static Step list(Principal who, Grant grant, CanonicalRequest request, ObjectDirectory objects)
      throws Refusal, LookupException, RequestException {
    return of(ImageRules.list(who, grant, request, objects));
  }

  /** {@code docker commit}: of the caller's container (by its private name first). */
  static Step commit(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      PrivateNames names)
      throws Refusal, LookupException {
    DockerObject c =
        ContainerOwnership.container(
            request.query().get("container").orElse(""), who, grant, objects, names);
    return of(ImageRules.commit(who, grant, request, c.id()));
  }

  static Step of(ImageRules.Outcome outcome) {
    Step step = new Step(outcome.request(), outcome.followUp());
    step.notes.addAll(outcome.notes());
    return step;
  }
}
