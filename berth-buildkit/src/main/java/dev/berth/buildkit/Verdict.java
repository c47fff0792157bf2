package dev.berth.buildkit;

import static java.util.Objects.requireNonNull;

/** What berth does with one gRPC request message of a build. */
public sealed interface Verdict {

  /** Send {@code message} (the judged message, re-encoded when berth changed it) upstream. */
  record Forward(byte[] message, String note) implements Verdict {
    public Forward {
      requireNonNull(message, "message");
      requireNonNull(note, "note");
    }
  }

  /**
   * End the call with gRPC status {@code code} and {@code message}; nothing goes upstream.
   *
   * @param rule the rule that refused, for the audit trail
   */
  record Refuse(int code, String rule, String message) implements Verdict {
    public Refuse {
      requireNonNull(rule, "rule");
      requireNonNull(message, "message");
    }
  }

  /**
   * The call names a session or build ref that is not known yet: the client opens its session,
   * starts its Solve and asks for the Solve's status at the same time, in any order. Judge again a
   * little later; after a few seconds the call is refused.
   */
  record NotYet(String what) implements Verdict {
    public NotYet {
      requireNonNull(what, "what");
    }
  }

  /** gRPC status codes berth answers with (grpc/codes). */
  int PERMISSION_DENIED = 7;

  int INVALID_ARGUMENT = 3;
  int UNIMPLEMENTED = 12;
  int RESOURCE_EXHAUSTED = 8;
  int UNAVAILABLE = 14;

  static Refuse denied(String rule, String message) {
    return new Refuse(PERMISSION_DENIED, rule, "berth: " + message);
  }
}
