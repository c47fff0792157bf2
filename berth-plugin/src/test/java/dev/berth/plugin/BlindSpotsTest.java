package dev.berth.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class BlindSpotsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void engine29_2_nativeGrpcReported() throws Exception {
    assertThat(
            BlindSpots.of(
                JSON.readTree("{\"ApiVersion\":\"1.52\",\"Version\":\"29.2.0\"}"),
                JSON.readTree("{}")))
        .singleElement()
        .asString()
        .contains("HTTP/2 gRPC");
  }

  @Test
  void olderEngineWithoutSwarm_nothingReported() throws Exception {
    assertThat(
            BlindSpots.of(
                JSON.readTree("{\"ApiVersion\":\"1.51\"}"),
                JSON.readTree("{\"Swarm\":{\"LocalNodeState\":\"inactive\"}}")))
        .isEmpty();
  }

  @Test
  void activeSwarm_reported() throws Exception {
    assertThat(
            BlindSpots.of(
                JSON.readTree("{\"ApiVersion\":\"1.41\"}"),
                JSON.readTree("{\"Swarm\":{\"LocalNodeState\":\"active\"}}")))
        .singleElement()
        .asString()
        .contains("swarm is active");
  }
}
