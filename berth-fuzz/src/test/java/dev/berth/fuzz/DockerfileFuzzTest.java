package dev.berth.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.Dockerfile;
import java.nio.charset.StandardCharsets;

/**
 * The classic builder's Dockerfile splitter (issue 13): any bytes are refused, or split into
 * instructions whose re-serialisation (the Dockerfile the daemon reads in berth's place) splits
 * into the same instructions and the same bytes again. A difference would mean berth judged one
 * list of FROM lines and the daemon built another.
 */
class DockerfileFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void parse_anyBytes_refusedOrRoundTrips(byte[] bytes) {
    Dockerfile first;
    try {
      first = Dockerfile.parse(bytes);
    } catch (RequestException e) {
      return;
    }
    byte[] written = first.write();
    Dockerfile second;
    try {
      second = Dockerfile.parse(written);
    } catch (RequestException e) {
      throw new AssertionError(
          "berth refuses its own Dockerfile "
              + new String(written, StandardCharsets.UTF_8)
              + ": "
              + e.getMessage(),
          e);
    }
    assertThat(second.escape()).isEqualTo(first.escape());
    assertThat(second.instructions()).isEqualTo(first.instructions());
    assertThat(second.write()).isEqualTo(written);
  }
}
