package dev.berth.fuzz;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.DockerSchemas;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The strict JSON model: any bytes are refused, or read into a value whose serialisation (what
 * berth forwards) reads back to the same value and the same bytes. A value that changed on the way
 * would mean berth judged one body and forwarded another. A list answer mapped as a stream of
 * sparse elements ({@link DockerJson#mapList}) is refused exactly when the tree form refuses it,
 * and is otherwise the tree form's bytes.
 */
class DockerJsonFuzzTest {
  /**
   * alice's {@code docker ps -a}, and the same with a name filter berth applies (drops, renames).
   */
  private static final List<Decision.FollowUp.MapNames> LISTS =
      List.of(
          listMapping("/v1.51/containers/json?all=1"),
          listMapping(
              "/v1.51/containers/json?limit=2&filters="
                  + URLEncoder.encode("{\"name\":[\"^w\"]}", StandardCharsets.UTF_8)));

  private static Decision.FollowUp.MapNames listMapping(String target) {
    try {
      Decision d =
          FuzzHost.ENGINE.evaluate(
              FuzzHost.ALICE, CanonicalRequest.parse("GET", target), null, FuzzHost.daemon());
      if (d instanceof Decision.Allow a && a.followUp() instanceof Decision.FollowUp.MapNames m) {
        return m;
      }
      throw new IllegalStateException("alice's list must be allowed and mapped, got " + d);
    } catch (RequestException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "20s")
  void mapList_anyBytes_sameAsTheTree(byte[] bytes) {
    for (Decision.FollowUp.MapNames m : LISTS) {
      byte[] tree;
      try {
        tree = DockerJson.write(m.mapping().apply(DockerJson.parse(bytes)));
      } catch (RequestException e) {
        assertThatThrownBy(
                () -> DockerJson.mapList(bytes, requireNonNull(m.elements()), m.mapping()))
            .as("refused as a tree: %s", e.getMessage())
            .isInstanceOf(RequestException.class);
        continue;
      }
      byte[] sparse;
      try {
        sparse = DockerJson.mapList(bytes, requireNonNull(m.elements()), m.mapping());
      } catch (RequestException e) {
        throw new AssertionError(
            "the tree form maps what the stream refuses: " + e.getMessage(), e);
      }
      assertThat(new String(sparse, StandardCharsets.UTF_8))
          .isEqualTo(new String(tree, StandardCharsets.UTF_8));
    }
  }

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
