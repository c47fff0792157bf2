package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.yaml.PolicyDefaults;
import org.junit.jupiter.api.Test;

class ExplainBoundsTest {
  @Test
  void bounds_defaultUserRole_namesItsRules() {
    assertThat(ExplainCommand.bounds(PolicyDefaults.policy().roles().get("user")))
        .contains("256 connections (roles.user.bounds.connections)")
        .contains("128 requests in flight (roles.user.bounds.requests_in_flight)");
  }

  @Test
  void bounds_roleWithout_saysTheHostWideOptionApplies() {
    assertThat(ExplainCommand.bounds(PolicyDefaults.policy().roles().get("admin")))
        .contains("connections as berth serve --max-connections-per-user")
        .contains("requests in flight as berth serve --max-requests-per-user");
  }
}
