package dev.berth.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.RequestException;
import java.util.List;

/**
 * The canonicaliser: any request target is refused, or canonical. Canonical means the target berth
 * forwards parses back to the same request (what was judged is what is sent), and its path has no
 * dot segments, empty segments or encoded separators for the daemon to read differently.
 */
class CanonicalRequestFuzzTest {
  private static final List<String> METHODS = List.of("GET", "POST", "DELETE", "PUT", "HEAD");

  @FuzzTest(maxDuration = "20s")
  void parse_anyTarget_refusedOrAFixedPoint(FuzzedDataProvider in) {
    String method = in.pickValue(METHODS);
    String target = in.consumeRemainingAsString();
    CanonicalRequest r;
    try {
      r = CanonicalRequest.parse(method, target);
    } catch (RequestException e) {
      return;
    }
    String forwarded = r.target();
    CanonicalRequest again;
    try {
      again = CanonicalRequest.parse(method, forwarded);
    } catch (RequestException e) {
      throw new AssertionError(
          "berth would forward "
              + forwarded
              + " for "
              + target
              + ", which it refuses itself: "
              + e.getMessage(),
          e);
    }
    assertThat(again.target()).as("target of %s", target).isEqualTo(forwarded);
    assertThat(again.path()).isEqualTo(r.path());
    assertThat(again.segments()).isEqualTo(r.segments());
    assertThat(again.apiVersion()).isEqualTo(r.apiVersion());
    for (String s : r.segments()) {
      assertThat(s)
          .as("segment of %s", target)
          .isNotEmpty()
          .isNotIn(".", "..")
          .doesNotContain("/")
          .doesNotContain("\0");
    }
  }
}
