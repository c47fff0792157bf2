package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** IPv4 blocks as networks, pools and host routes are compared: every edge address counts. */
class Ipv4BlockTest {
  private static final Ipv4Block NET = Ipv4Block.parse("10.0.1.0/24");

  @Test
  void parse_widestAndNarrowestPrefix_accepted() {
    assertThat(Ipv4Block.parse("0.0.0.0/0").end()).isEqualTo(0xffffffffL);
    assertThat(Ipv4Block.parse("10.0.0.7/32").end()).isEqualTo(Ipv4Block.address("10.0.0.7"));
  }

  @Test
  void parse_prefixOutsideZeroTo32_refused() {
    assertThatThrownBy(() -> Ipv4Block.parse("10.0.0.0/-1")).hasMessageContaining("0-32");
    assertThatThrownBy(() -> Ipv4Block.parse("10.0.0.0/33")).hasMessageContaining("0-32");
  }

  @Test
  void parse_hostBitsSet_refusedNamingTheSubnetStart() {
    assertThatThrownBy(() -> Ipv4Block.parse("10.1.2.3/16"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the subnet starts at 10.1.0.0/16");
  }

  @Test
  void parse_nothingBeforeTheSlash_refusedAsNoAddress() {
    assertThatThrownBy(() -> Ipv4Block.parse("/16")).hasMessageContaining("is not an IP address");
    assertThatThrownBy(() -> Ipv4Block.parse("10.0.0.0"))
        .hasMessageContaining("expected an IPv4 subnet");
  }

  @Test
  void containsAddress_firstAndLastInside_neighboursOutside() {
    assertThat(NET.contains(Ipv4Block.address("10.0.1.0"))).isTrue();
    assertThat(NET.contains(Ipv4Block.address("10.0.1.255"))).isTrue();
    assertThat(NET.contains(Ipv4Block.address("10.0.0.255"))).isFalse();
    assertThat(NET.contains(Ipv4Block.address("10.0.2.0"))).isFalse();
  }

  @Test
  void containsBlock_itselfAndEdgeBlocksInside_straddlingOutside() {
    assertThat(NET.contains(NET)).isTrue();
    assertThat(NET.contains(Ipv4Block.parse("10.0.1.0/32"))).isTrue();
    assertThat(NET.contains(Ipv4Block.parse("10.0.1.255/32"))).isTrue();
    assertThat(NET.contains(Ipv4Block.parse("10.0.0.0/23"))).isFalse();
    assertThat(NET.contains(Ipv4Block.parse("10.0.0.255/32"))).isFalse();
    assertThat(NET.contains(Ipv4Block.parse("10.0.2.0/32"))).isFalse();
  }

  @Test
  void overlaps_sharingOneEdgeAddress_trueAdjacent_false() {
    assertThat(NET.overlaps(Ipv4Block.parse("10.0.1.255/32"))).isTrue();
    assertThat(NET.overlaps(Ipv4Block.parse("10.0.1.0/32"))).isTrue();
    assertThat(Ipv4Block.parse("10.0.1.255/32").overlaps(NET)).isTrue();
    assertThat(Ipv4Block.parse("10.0.1.0/32").overlaps(NET)).isTrue();
    assertThat(NET.overlaps(Ipv4Block.parse("10.0.2.0/24"))).isFalse();
    assertThat(NET.overlaps(Ipv4Block.parse("10.0.0.0/24"))).isFalse();
  }
}
