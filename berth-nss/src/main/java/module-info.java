/** User and group lookups through the C library (NSS), via the FFM API. */
module dev.berth.nss {
  requires static org.jspecify;
  requires transitive dev.berth.policy;

  exports dev.berth.nss;
}
