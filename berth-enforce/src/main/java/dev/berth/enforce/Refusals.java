package dev.berth.enforce;

import dev.berth.policy.Decision;
import dev.berth.policy.Decision.Status;

/**
 * Refusals that are not the policy's: the request's framing, the caller's identity, its size, the
 * daemon, the audit trail, per-user limits. Each is a {@link Decision.Deny} with its true status,
 * so it is answered and recorded like any policy refusal.
 */
public final class Refusals {
  private Refusals() {}

  /** The request is not well-formed HTTP/1.1 or not one berth can judge unambiguously: 400. */
  public static Decision.Deny framing(String message) {
    return new Decision.Deny("framing", Status.BAD_REQUEST, "berth: " + message);
  }

  /** The {@code Expect} header asks for something neither berth nor the daemon does: 417. */
  public static Decision.Deny expectation(String message) {
    return new Decision.Deny("framing", Status.EXPECTATION_FAILED, message);
  }

  /** The request line cannot be read as a Docker API request: 400. */
  public static Decision.Deny request(String message) {
    return new Decision.Deny("request", Status.BAD_REQUEST, "berth: " + message);
  }

  /** The caller could not be identified: 403. */
  public static Decision.Deny identity(String reason) {
    return new Decision.Deny("identity", Status.FORBIDDEN, reason);
  }

  /** The body is larger than berth inspects: 413. */
  public static Decision.Deny tooLarge(long limit) {
    return new Decision.Deny(
        "body_size",
        Status.TOO_LARGE,
        "berth: request body larger than "
            + limit
            + " bytes, the most berth inspects for this endpoint");
  }

  /** A body berth could not read (malformed chunking, a tar it cannot check): 400. */
  public static Decision.Deny body(String message) {
    return new Decision.Deny("request_body", Status.BAD_REQUEST, "berth: " + message);
  }

  /** The daemon could not be reached, or failed before answering: 502. */
  public static Decision.Deny upstream(String message) {
    return new Decision.Deny("upstream", Status.BAD_GATEWAY, "berth: " + message);
  }

  /** The audit trail cannot record, so nothing may change: 503. */
  public static Decision.Deny auditUnavailable() {
    return new Decision.Deny(
        "audit_unavailable",
        Status.UNAVAILABLE,
        "berth: the audit trail "
            + "cannot be written, so berth refuses changes; tell your administrator");
  }

  /** The request (its head, or a body berth judges) did not arrive in time: 408. */
  public static Decision.Deny timeout(String message) {
    return new Decision.Deny("request_timeout", Status.REQUEST_TIMEOUT, "berth: " + message);
  }

  /**
   * A per-user bound is reached: 429, naming the rule that set the bound (a role's {@code bounds}
   * key, or berth's host-wide option).
   */
  public static Decision.Deny limit(String rule, String message) {
    return new Decision.Deny(
        rule, Status.TOO_MANY_REQUESTS, "berth: " + message + " (" + rule + ")");
  }
}
