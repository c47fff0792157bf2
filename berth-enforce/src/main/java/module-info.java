/**
 * The enforcement core shared by the proxy and the plugin (see {@code dev.berth.enforce}): one
 * policy snapshot per request, the audit record before anything acts, effects and claims.
 */
module dev.berth.enforce {
  requires static org.jspecify;
  requires transitive dev.berth.policy;
  requires transitive dev.berth.audit;
  requires transitive dev.berth.daemon;
  requires org.slf4j;

  exports dev.berth.enforce;
}
