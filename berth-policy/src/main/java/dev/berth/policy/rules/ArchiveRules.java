package dev.berth.policy.rules;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.Principal;
import java.util.List;
import java.util.Optional;

/** {@code PUT /containers/{id}/archive} ({@code docker cp} into a container). */
final class ArchiveRules {
  private ArchiveRules() {}

  /**
   * {@code docker cp} into a container: the tar stream is rewritten so that every entry belongs to
   * the caller, without setuid bits or device nodes (see {@code TarSanitizer}). The {@code
   * copyUIDGID} flag is dropped: ownership is already the caller's, and with a numeric user it
   * fails on older engines.
   */
  static Decision evaluate(Principal who, CanonicalRequest request) {
    CanonicalRequest out =
        request
            .withQuery(request.query().without("copyUIDGID"))
            .withBody(
                new Body.Stream(
                    Optional.of(new CanonicalRequest.Body.TarOwner(who.uid(), who.gid()))));
    return new Decision.Allow(
        "container_archive_put",
        out,
        List.of(
            "archive entries owned by "
                + who.uid()
                + ":"
                + who.gid()
                + ", special mode bits cleared"));
  }
}
