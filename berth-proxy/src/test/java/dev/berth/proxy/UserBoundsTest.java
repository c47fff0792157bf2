package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UserBoundsTest {
  private final UserBounds bounds = new UserBounds();

  @Test
  void openConnection_upToTheBound_thenRefusedUntilOneCloses() {
    assertThat(bounds.openConnection(1001, 2)).isTrue();
    assertThat(bounds.openConnection(1001, 2)).isTrue();
    assertThat(bounds.openConnection(1001, 2)).isFalse();
    assertThat(bounds.connections(1001)).isEqualTo(2);
    bounds.closeConnection(1001);
    assertThat(bounds.openConnection(1001, 2)).isTrue();
  }

  @Test
  void startRequest_oneUserAtTheBound_anotherUnaffected() {
    assertThat(bounds.startRequest(1001, 1)).isTrue();
    assertThat(bounds.startRequest(1001, 1)).isFalse();
    assertThat(bounds.startRequest(1002, 1)).isTrue();
    bounds.endRequest(1001);
    assertThat(bounds.requests(1001)).isZero();
  }
}
