package dev.berth.policy.rules;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import java.util.List;

/** {@code POST /images/create}: a pull, or an import judged by {@link ImageArchiveRules}. */
final class ImagePullRules {
  private ImagePullRules() {}

  /** A pull as it is; an import ({@code fromSrc}) only from its body, with safe changes. */
  static Decision evaluate(CanonicalRequest request) {
    if (request.query().has("fromSrc")) {
      return ImageArchiveRules.importSource(request);
    }
    return new Decision.Allow("image_create", request, List.of());
  }
}
