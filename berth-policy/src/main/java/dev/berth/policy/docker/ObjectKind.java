package dev.berth.policy.docker;

/** The kinds of Docker object a request can name or create. */
public enum ObjectKind {
  CONTAINER,
  EXEC,
  IMAGE,
  VOLUME,
  NETWORK
}
