package dev.berth.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.Action;
import dev.berth.policy.QueryParams;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.ActionSpec;
import dev.berth.policy.docker.DockerApi;
import dev.berth.policy.docker.QueryParam;
import dev.berth.policy.docker.QueryParam.Treatment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the table's query entries are applied: version ranges and treatments are data. */
class QueryAllowlistTest {
  private static final ActionSpec LOGS = DockerApi.spec(Action.CONTAINER_LOGS);

  private static ActionSpec logsWith(QueryParam... params) {
    return new ActionSpec(
        LOGS.action(),
        LOGS.routes(),
        LOGS.schema(),
        List.of(params),
        LOGS.names(),
        LOGS.creates(),
        LOGS.ownership(),
        LOGS.plugin());
  }

  private static QueryParams query(String raw) {
    try {
      return QueryParams.parse(raw);
    } catch (RequestException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void unlisted_refused() {
    assertThat(QueryAllowlist.firstRefused(LOGS, "1.51", query("follow=1&checkpoint-dir=/x")))
        .hasValue("checkpoint-dir");
    assertThat(QueryAllowlist.firstRefused(LOGS, "", query("follow=1&tail=5"))).isEmpty();
  }

  @Test
  void outsideItsVersions_refused() {
    ActionSpec spec = logsWith(new QueryParam("tail", "1.30", "", Treatment.JUDGED, "ref"));
    assertThat(QueryAllowlist.firstRefused(spec, "1.29", query("tail=1"))).hasValue("tail");
    assertThat(QueryAllowlist.firstRefused(spec, "1.30", query("tail=1"))).isEmpty();
  }

  @Test
  void refusedTreatment_refused() {
    ActionSpec spec = logsWith(new QueryParam("tail", "", "", Treatment.REFUSED, "ref", "reason"));
    assertThat(QueryAllowlist.firstRefused(spec, "1.51", query("tail=1"))).hasValue("tail");
  }

  @Test
  void droppedTreatment_removedWithANote() {
    ActionSpec spec =
        logsWith(
            new QueryParam("tail", "", "", Treatment.DROPPED, "ref", "ignored"),
            new QueryParam("follow", "", "", Treatment.JUDGED, "ref"));
    List<String> notes = new ArrayList<>();
    QueryParams q = query("follow=1&tail=5");
    assertThat(QueryAllowlist.firstRefused(spec, "1.51", q)).isEmpty();
    assertThat(QueryAllowlist.withoutDropped(spec, "1.51", q, notes).asMap())
        .containsOnlyKeys("follow");
    assertThat(notes)
        .containsExactly("query parameter 'tail' dropped (the daemon ignores it in " + "API 1.51)");
    List<String> none = new ArrayList<>();
    assertThat(QueryAllowlist.withoutDropped(LOGS, "", q, none)).isSameAs(q);
    assertThat(none).isEmpty();
  }
}
