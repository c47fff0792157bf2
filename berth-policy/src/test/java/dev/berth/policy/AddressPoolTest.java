package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.berth.policy.docker.DockerJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The daemon's default address pools, as {@code GET /info} lists them. */
class AddressPoolTest {
  private static JsonNode json(String text) throws Exception {
    return DockerJson.mapper().readTree(text);
  }

  @Test
  void ofDaemon_configuredPools_readAsListed() throws Exception {
    assertThat(
            AddressPool.ofDaemon(
                json(
                    "[{\"Base\":\"10.221.0.0/16\",\"Size\":24},"
                        + "{\"Base\":\"10.30.0.0/15\",\"Size\":20}]")))
        .containsExactly(
            new AddressPool(Ipv4Block.parse("10.221.0.0/16"), 24),
            new AddressPool(Ipv4Block.parse("10.30.0.0/15"), 20));
  }

  @ParameterizedTest
  @ValueSource(strings = {"null", "[]", "[{\"Base\":\"fd00::/48\",\"Size\":64}]"})
  void ofDaemon_noIpv4PoolListed_dockerdsBuiltInPools(String pools) throws Exception {
    assertThat(AddressPool.ofDaemon(json(pools))).isEqualTo(AddressPool.BUILT_IN);
    assertThat(AddressPool.ofDaemon(MissingNode.getInstance())).isEqualTo(AddressPool.BUILT_IN);
  }

  @Test
  void ofDaemon_ipv6BesideIpv4_onlyTheIpv4Kept() throws Exception {
    assertThat(
            AddressPool.ofDaemon(
                json(
                    "[{\"Base\":\"fd00::/48\",\"Size\":64},"
                        + "{\"Base\":\"10.221.0.0/16\",\"Size\":24}]")))
        .containsExactly(new AddressPool(Ipv4Block.parse("10.221.0.0/16"), 24));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"Base\":\"10.0.0.0/16\"}",
        "[{\"Base\":\"10.0.0.1/16\",\"Size\":24}]",
        "[{\"Base\":\"10.0.0.0/24\",\"Size\":16}]",
        "[{\"Base\":\"10.0.0.0/16\"}]",
        "[{\"Size\":24}]"
      })
  void ofDaemon_unreadablePools_refusedNotWidened(String pools) {
    assertThatThrownBy(() -> AddressPool.ofDaemon(json(pools)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builtIn_dockerdsLocalDefaults_thirtyOneNetworks() {
    assertThat(AddressPool.BUILT_IN.stream().mapToLong(AddressPool::subnets).sum()).isEqualTo(31);
    assertThat(AddressPool.BUILT_IN)
        .contains(
            new AddressPool(Ipv4Block.parse("172.17.0.0/16"), 16),
            new AddressPool(Ipv4Block.parse("172.31.0.0/16"), 16),
            new AddressPool(Ipv4Block.parse("192.168.0.0/16"), 20));
  }
}
