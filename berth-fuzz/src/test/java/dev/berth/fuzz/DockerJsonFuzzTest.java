package dev.berth.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.DockerSchemas;
import java.nio.charset.StandardCharsets;

/**
 * The strict JSON model: any bytes are refused, or read into a value whose serialisation (what
 * berth forwards) reads back to the same value and the same bytes. A value that changed on the way
 * would mean berth judged one body and forwarded another.
 */
class DockerJsonFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void read_anyBytes_refusedOrRoundTrips(byte[] bytes) {
    ObjectNode first;
    try {
      first = DockerJson.read(bytes, DockerSchemas.CONTAINER_CREATE);
    } catch (RequestException e) {
      return;
    }
    byte[] written = DockerJson.write(first);
    ObjectNode second;
    try {
      second = DockerJson.read(written, DockerSchemas.CONTAINER_CREATE);
    } catch (RequestException e) {
      throw new AssertionError(
          "berth refuses its own serialisation "
              + new String(written, StandardCharsets.UTF_8)
              + ": "
              + e.getMessage(),
          e);
    }
    assertThat(second).isEqualTo(first);
    assertThat(DockerJson.write(second)).isEqualTo(written);
  }
}
