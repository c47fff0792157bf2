package dev.berth.cli.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class SocketActivationTest {
  @Test
  void listenFd_oneSocketForThisProcess_fd3() {
    assertThat(SocketActivation.listenFd(Map.of("LISTEN_FDS", "1", "LISTEN_PID", "42"), 42))
        .isEqualTo(OptionalInt.of(3));
  }

  @Test
  void listenFd_variablesOfAnotherProcess_ignored() {
    assertThat(SocketActivation.listenFd(Map.of("LISTEN_FDS", "1", "LISTEN_PID", "41"), 42))
        .isEmpty();
  }

  @Test
  void listenFd_notActivated_empty() {
    assertThat(SocketActivation.listenFd(Map.of(), 42)).isEmpty();
    assertThat(SocketActivation.listenFd(Map.of("LISTEN_FDS", "0", "LISTEN_PID", "42"), 42))
        .isEmpty();
  }

  @Test
  void listenFd_twoSockets_refused() {
    assertThatThrownBy(
            () -> SocketActivation.listenFd(Map.of("LISTEN_FDS", "2", "LISTEN_PID", "42"), 42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exactly one");
  }

  @Test
  void listenFd_garbage_refused() {
    assertThatThrownBy(
            () -> SocketActivation.listenFd(Map.of("LISTEN_FDS", "x", "LISTEN_PID", "42"), 42))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
