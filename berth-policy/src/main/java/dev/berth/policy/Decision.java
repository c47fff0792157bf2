package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Outcome of evaluating one request. Only {@link Allow} lets a request through, and it carries the
 * exact request to forward: the engine's rewrite of what it judged, never the client's raw bytes.
 */
public sealed interface Decision {

  /** Name of the rule that decided. */
  String rule();

  /**
   * The request may go upstream as {@code forward}.
   *
   * @param rewrites human-readable notes of what berth changed (empty when nothing changed)
   */
  record Allow(String rule, CanonicalRequest forward, List<String> rewrites) implements Decision {
    public Allow {
      requireNonNull(rule, "rule");
      requireNonNull(forward, "forward");
      rewrites = List.copyOf(rewrites);
    }
  }

  /** The request is refused; {@code reason} is shown to the user. */
  record Deny(String rule, Status status, String reason) implements Decision {
    public Deny {
      requireNonNull(rule, "rule");
      requireNonNull(status, "status");
      requireNonNull(reason, "reason");
    }
  }

  /** Evaluation could not finish. Enforced as deny. */
  record Indeterminate(String rule, String detail) implements Decision {
    public Indeterminate {
      requireNonNull(rule, "rule");
      requireNonNull(detail, "detail");
    }
  }

  /** Why a request is refused; maps to the HTTP status in one place (the proxy's error writer). */
  enum Status {
    /** Policy forbids it: 403. */
    FORBIDDEN,
    /** The request is malformed or ambiguous: 400. */
    BAD_REQUEST,
    /** The body exceeds what berth inspects: 413. */
    TOO_LARGE
  }

  static Deny forbidden(String rule, String reason) {
    return new Deny(rule, Status.FORBIDDEN, reason);
  }

  static Deny badRequest(String rule, String reason) {
    return new Deny(rule, Status.BAD_REQUEST, reason);
  }
}
