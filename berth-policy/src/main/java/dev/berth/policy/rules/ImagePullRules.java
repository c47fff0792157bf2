package dev.berth.policy.rules;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import java.util.List;

/** {@code POST /images/create}: pulls, never imports. */
final class ImagePullRules {
  private ImagePullRules() {}

  /**
   * Pull only. An import ({@code fromSrc}) can give any tag, such as a base image other users run,
   * new content, and from a URL it makes the daemon fetch as root.
   */
  static Decision evaluate(CanonicalRequest request) {
    if (request.query().has("fromSrc")) {
      return Decision.forbidden(
          "image_create",
          "berth: docker import is reserved for "
              + "administrators (an import can replace an image other users run)");
    }
    return new Decision.Allow("image_create", request, List.of());
  }
}
