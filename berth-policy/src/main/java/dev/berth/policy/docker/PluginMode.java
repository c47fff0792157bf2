package dev.berth.policy.docker;

/** Whether an action is judged in plugin mode, where berth sees requests but cannot change them. */
public enum PluginMode {
  /** Judged as in the proxy. */
  JUDGED,
  /**
   * Closed: the action would bypass or switch off authorization (plugins, BuildKit's gRPC tunnel,
   * sessions).
   */
  CLOSED,
  /**
   * Closed: the proxy rewrites the action's streamed body (a tar archive), which a plugin cannot.
   */
  CLOSED_STREAM_REWRITE
}
