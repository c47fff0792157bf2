package dev.berth.policy.docker;

/** How a route's request body is handled. */
public enum BodyKind {
  /**
   * The daemon reads no body here. An empty body, {@code {}} or {@code null} is accepted and
   * dropped; anything else is refused.
   */
  NONE,
  /**
   * A JSON body berth reads whole (bounded), canonicalises against a schema, judges and rewrites.
   */
  JSON,
  /** A JSON body berth reads whole, rejects if ambiguous, and re-serialises without a schema. */
  JSON_OPAQUE,
  /** An opaque stream (tar archive, image tarball) relayed as it arrives. */
  STREAM
}
