package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ALICE_CONTAINER;
import static dev.berth.policy.Fixtures.decide;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The table's query treatments end to end through the engine: a dropped parameter never reaches the
 * daemon and the record says so; a refused one is refused with the table's reason.
 */
class QueryTreatmentTest {

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "GET,/containers/json?all=1&trunc_cmd=0&size=0,trunc_cmd",
    "GET,/v1.41/containers/json?all=1&trunc_cmd=1,trunc_cmd",
    "GET,/images/json?only_ids=0&all=0,only_ids",
    "GET,/v1.24/images/json?only_ids=1&all=1,only_ids",
    "GET,/images/json?digests=1&all=1,digests",
    "POST,/volumes/prune?all=1&filters=%7B%7D,all",
    "POST,/images/busybox/tag?repo=alice/new&tag=1&force=0,force",
    "POST,/v1.41/images/busybox/tag?repo=alice/new&tag=1&force=1,force"
  })
  void droppedParameter_absentFromForwardAndNoted(String method, String target, String param) {
    Decision d = decide(ALICE, method, target, null);
    assertThat(d).isInstanceOf(Decision.Allow.class);
    Decision.Allow a = (Decision.Allow) d;
    assertThat(a.forward().query().has(param)).isFalse();
    assertThat(a.forward().query().asMap()).isNotEmpty();
    assertThat(a.rewrites())
        .anySatisfy(
            n ->
                assertThat(n)
                    .startsWith("query parameter '" + param + "' dropped (the daemon ignores it"));
  }

  /** link=1 with the caller's container: forwarded by full id, where the daemon removes no link. */
  @Test
  void containerDelete_linkTrue_forwardedByFullId() {
    Decision d = decide(ALICE, "DELETE", "/containers/abc?v=0&link=1&force=0", null);
    assertThat(d).isInstanceOf(Decision.Allow.class);
    Decision.Allow a = (Decision.Allow) d;
    assertThat(a.forward().segments()).containsExactly("containers", ALICE_CONTAINER);
    assertThat(a.forward().query().bool("link")).isTrue();
  }

  /** The daemon removes a link only for a path /parent/alias; berth never forwards one. */
  @Test
  void containerDelete_linkPathParentAlias_refused() {
    assertThat(decide(ALICE, "DELETE", "/containers/abc/x?link=1", null).rule())
        .isEqualTo("unknown_route");
    assertThatThrownBy(() -> CanonicalRequest.parse("DELETE", "/containers/%2Fabc%2Fx?link=1"))
        .isInstanceOf(RequestException.class);
  }

  @Test
  void containerDelete_otherUsersContainerWithLink_denied() {
    assertThat(decide(ALICE, "DELETE", "/containers/bobweb?link=1", null))
        .isInstanceOf(Decision.Deny.class);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "POST,/containers/abc/start?checkpoint-dir=%2Fhome%2Falice%2Fcp,checkpoint-dir,root",
    "POST,/containers/abc/start?checkpoint=c1,checkpoint,checkpoint",
    "GET,/containers/json?since=bobweb,since,existence oracle",
    "GET,/containers/json?before=bobweb,before,existence oracle"
  })
  void refusedParameter_deniedWithTheTablesReason(
      String method, String target, String param, String reason) {
    Decision d = decide(ALICE, method, target, null);
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason()).contains("'" + param + "'").contains(reason);
  }
}
