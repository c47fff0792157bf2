package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.CanonicalRequest.Body;
import org.junit.jupiter.api.Test;

/** The top-level fields of {@code docker network create}: each judged, or refused with its flag. */
class NetworkCreateFieldsTest {
  private static Decision create(String body) {
    return Fixtures.decide(
        Fixtures.ENGINE, Fixtures.objects(), ALICE, "POST", "/networks/create", body);
  }

  private static JsonNode forwarded(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return ((Body.Json) ((Decision.Allow) d).forward().body()).value();
  }

  private static String refusal(Decision d) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    return ((Decision.Deny) d).reason();
  }

  @Test
  void create_switches_forwardedUnderTheDaemonsNames() {
    JsonNode out =
        forwarded(
            create("{\"Name\":\"n\",\"internal\":true,\"enableipv6\":false,\"EnableIPv4\":true}"));
    assertThat(out.path("Internal").asBoolean()).isTrue();
    assertThat(out.path("EnableIPv6").isBoolean()).isTrue();
    assertThat(out.path("EnableIPv6").asBoolean()).isFalse();
    assertThat(out.path("EnableIPv4").asBoolean()).isTrue();
  }

  @Test
  void create_allowedDriverScopeAndEmptyExtras_forwarded() {
    forwarded(
        create(
            "{\"Name\":\"n\",\"Driver\":\"bridge\",\"Scope\":\"local\",\"ConfigFrom\":{},"
                + "\"Options\":{},\"Labels\":null}"));
  }

  @Test
  void create_configFrom_refused() {
    assertThat(refusal(create("{\"Name\":\"n\",\"ConfigFrom\":{\"Network\":\"other\"}}")))
        .contains("--config-from is not allowed");
  }

  @Test
  void create_labelsNotAnObject_refused() {
    assertThat(refusal(create("{\"Name\":\"n\",\"Labels\":\"a=b\"}")))
        .contains("--label: expected labels");
  }
}
