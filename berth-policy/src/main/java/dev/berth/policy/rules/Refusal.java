package dev.berth.policy.rules;

import dev.berth.policy.Decision;

/**
 * A refusal with a message that names the field and what to do instead, and the status the caller
 * sees.
 */
final class Refusal extends Exception {
  final Decision.Status status;

  /** A policy refusal (403). */
  Refusal(String message) {
    this(Decision.Status.FORBIDDEN, message);
  }

  Refusal(Decision.Status status, String message) {
    super(message, null, false, false);
    this.status = status;
  }
}
