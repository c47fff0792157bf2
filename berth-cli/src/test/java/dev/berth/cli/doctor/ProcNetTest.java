package dev.berth.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcNetTest {
  @Test
  void address_ipv4() {
    assertThat(ProcNet.address("0100007F:0947")).isEqualTo("127.0.0.1:2375");
    assertThat(ProcNet.address("00000000:0948")).isEqualTo("0.0.0.0:2376");
  }

  @Test
  void address_ipv6Loopback() {
    assertThat(ProcNet.address("00000000000000000000000001000000:0947"))
        .isEqualTo("[0:0:0:0:0:0:0:1]:2375");
  }
}
