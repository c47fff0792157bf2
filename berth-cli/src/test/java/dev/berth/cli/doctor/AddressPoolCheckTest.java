package dev.berth.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.berth.policy.docker.DockerJson;
import org.junit.jupiter.api.Test;

class AddressPoolCheckTest {
  private static JsonNode json(String text) throws Exception {
    return DockerJson.mapper().readTree(text);
  }

  @Test
  void check_poolsNotConfigured_warnsWithDockerdsThirtyOne() {
    Finding f = AddressPoolCheck.check(MissingNode.getInstance());
    assertThat(f.severity()).isEqualTo(Finding.Severity.WARN);
    assertThat(f.detail()).startsWith("31 bridge networks");
    assertThat(f.remedy()).contains("default-address-pools");
  }

  @Test
  void check_a16In24s_ok() throws Exception {
    Finding f = AddressPoolCheck.check(json("[{\"Base\":\"10.200.0.0/16\",\"Size\":24}]"));
    assertThat(f.severity()).isEqualTo(Finding.Severity.OK);
    assertThat(f.detail()).startsWith("256 bridge networks");
  }

  @Test
  void check_smallPoolsAddUp_warnsBelowEnough() throws Exception {
    Finding f =
        AddressPoolCheck.check(
            json(
                "[{\"Base\":\"10.1.0.0/16\",\"Size\":20},"
                    + "{\"Base\":\"10.2.0.0/16\",\"Size\":22}]"));
    assertThat(f.detail()).startsWith("80 bridge networks");
    assertThat(f.severity()).isEqualTo(Finding.Severity.WARN);
  }

  @Test
  void check_configuredPools_namesThePoolsSubnetsAreJudgedBy() throws Exception {
    Finding f =
        AddressPoolCheck.check(
            json(
                "[{\"Base\":\"10.200.0.0/16\",\"Size\":24},"
                    + "{\"Base\":\"fd00::/48\",\"Size\":64}]"));
    assertThat(f.detail())
        .startsWith("256 bridge networks from default-address-pools 10.200.0.0/16 in /24s;")
        .contains("a --subnet of a role without allow.address_pools must lie in these pools");
  }

  @Test
  void check_poolsNotConfigured_namesTheBuiltInPools() {
    assertThat(AddressPoolCheck.check(MissingNode.getInstance()).detail())
        .contains("dockerd's built-in pools (default-address-pools not set) 172.17.0.0/16 in /16s");
  }

  @Test
  void check_unreadablePools_warnsThatSubnetsAreRefused() throws Exception {
    Finding f = AddressPoolCheck.check(json("[{\"Base\":\"10.0.0.0/24\",\"Size\":16}]"));
    assertThat(f.severity()).isEqualTo(Finding.Severity.WARN);
    assertThat(f.detail()).contains("cannot be read").contains("refuses every --subnet");
  }
}
