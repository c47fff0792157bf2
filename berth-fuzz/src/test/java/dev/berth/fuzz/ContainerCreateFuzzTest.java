package dev.berth.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Effect;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.DockerJson;
import java.nio.charset.StandardCharsets;

/**
 * {@code POST /containers/create} as alice on the default policy: refused, or forwarded safe and as
 * judged. Two views of the input: bodies assembled from attack pieces (deep coverage of the rules),
 * and raw bytes (the JSON reader's corners).
 */
class ContainerCreateFuzzTest {

  @FuzzTest(maxDuration = "40s")
  void create_assembledBody_refusedOrForwardedSafeAndAsJudged(FuzzedDataProvider in)
      throws RequestException {
    check(CreateBodies.body(in).getBytes(StandardCharsets.UTF_8));
  }

  @FuzzTest(maxDuration = "20s")
  void create_rawBody_refusedOrForwardedSafeAndAsJudged(byte[] body) throws RequestException {
    check(body);
  }

  static void check(byte[] body) throws RequestException {
    CanonicalRequest head = CanonicalRequest.parse("POST", "/v1.51/containers/create");
    ObjectDirectory daemon = FuzzHost.daemon();
    Decision d = FuzzHost.ENGINE.evaluate(FuzzHost.ALICE, head, body, daemon);
    if (!(d instanceof Decision.Allow allow)) {
      return;
    }
    for (Effect e : allow.effects()) { // the volumes and network it uses exist from now on
      try {
        assertThat(e.perform(daemon)).as("%s", e).isEmpty();
      } catch (ObjectDirectory.LookupException x) {
        throw new AssertionError(x);
      }
    }
    JsonNode forwarded = json(allow.forward());
    assertThat(SafeCreate.violations(forwarded))
        .as("forwarded %s for %s", forwarded, new String(body, StandardCharsets.UTF_8))
        .isEmpty();
    // Judge and forward the same thing: what berth forwards, judged again once its effects are
    // done, goes through as it is (daemon names of the caller's own objects resolve to them).
    byte[] again = DockerJson.write(forwarded);
    Decision second = FuzzHost.ENGINE.evaluate(FuzzHost.ALICE, allow.forward(), again, daemon);
    assertThat(second)
        .as("the forwarded body judged again: %s", forwarded)
        .isInstanceOf(Decision.Allow.class);
    assertThat(DockerJson.write(json(((Decision.Allow) second).forward())))
        .as("a forwarded body is a fixed point of the rules")
        .isEqualTo(again);
  }

  private static JsonNode json(CanonicalRequest forward) {
    if (!(forward.body() instanceof CanonicalRequest.Body.Json j)) {
      throw new AssertionError("an allowed create forwards no JSON body: " + forward.body());
    }
    return j.value();
  }
}
