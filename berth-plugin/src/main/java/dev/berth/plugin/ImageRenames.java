package dev.berth.plugin;

import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Image references the proxy would have renamed (into the caller's image namespace, or to the full
 * id that was judged; issue 13), which a plugin cannot do: the daemon would act on the name as
 * sent, which may be another image than the one judged (a shared tag instead of the caller's own,
 * or a shared name a user must not write). Such requests are refused with the name to use.
 */
final class ImageRenames {
  private static final Set<Action> IMAGE_ACTIONS =
      Set.of(
          Action.IMAGE_INSPECT,
          Action.IMAGE_HISTORY,
          Action.IMAGE_EXPORT,
          Action.IMAGE_TAG,
          Action.IMAGE_DELETE,
          Action.IMAGE_PUSH,
          Action.IMAGE_CREATE,
          Action.CONTAINER_COMMIT);
  private static final List<String> IMAGE_PARAMS = List.of("repo", "tag", "names", "fromImage");

  private ImageRenames() {}

  /** What the caller must send instead, or empty when the judged request names the same. */
  static Optional<String> needed(Action action, CanonicalRequest sent, CanonicalRequest judged) {
    if (IMAGE_ACTIONS.contains(action)) {
      if (!sent.path().equals(judged.path())) {
        return Optional.of("the path " + judged.path());
      }
      for (String p : IMAGE_PARAMS) {
        if (!sent.query().get(p).equals(judged.query().get(p))) {
          return Optional.of(p + "=" + judged.query().get(p).orElse(""));
        }
      }
    }
    if (action == Action.CONTAINER_CREATE
        && judged.body() instanceof CanonicalRequest.Body.Json j
        && j.value().path("Image").isTextual()) {
      String image = j.value().path("Image").asText();
      String given =
          sent.body() instanceof CanonicalRequest.Body.Json s
              ? s.value().path("Image").asText("")
              : "";
      if (!given.equals(image)) {
        return Optional.of("the image " + image);
      }
    }
    return Optional.empty();
  }
}
