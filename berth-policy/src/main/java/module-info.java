/**
 * berth's policy: the model and the engine ({@code dev.berth.policy}), the Docker Engine API table
 * ({@code dev.berth.policy.docker}) and the policy file loader ({@code dev.berth.policy.yaml}). The
 * rules behind the engine ({@code dev.berth.policy.rules}) are not exported.
 */
module dev.berth.policy {
  requires static org.jspecify;
  requires transitive com.fasterxml.jackson.databind;
  requires org.snakeyaml.engine;

  exports dev.berth.policy;
  exports dev.berth.policy.docker;
  exports dev.berth.policy.yaml;
}
