package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.Action;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The table itself: one entry per action, each route reachable, each fact consistent. */
class DockerApiTest {

  @Test
  void table_everyActionHasOneEntry() {
    assertThat(DockerApi.all())
        .extracting(ActionSpec::action)
        .containsExactlyInAnyOrder(Action.values());
    for (Action a : Action.values()) {
      assertThat(DockerApi.spec(a).action()).isEqualTo(a);
    }
  }

  /** A route shadowed by an earlier one (a template before a fixed path) could never match. */
  @Test
  void table_noRouteShadowed() {
    for (Route r : RouteTable.docker().routes()) {
      String path = r.template().replaceAll("\\{[a-z]+\\*?}", "x1");
      assertThat(RouteTable.docker().match(r.method(), path).orElseThrow().route())
          .as(r.method() + " " + r.template())
          .isSameAs(r);
    }
  }

  @Test
  void table_everyRouteHasAReference() {
    for (ActionSpec s : DockerApi.all()) {
      for (Route r : s.routes()) {
        assertThat(r.reference()).as(r.template()).isNotBlank();
      }
      assertThat(s.reference()).isEqualTo(s.routes().get(0).reference());
      List<String> routeRefs = s.routes().stream().map(Route::reference).toList();
      for (QueryParam p : s.query()) {
        if (p.treatment() == QueryParam.Treatment.JUDGED) {
          assertThat(routeRefs).as(p.name()).contains(p.reference());
        } else {
          assertThat(p.reference()).as(p.name()).startsWith("https://");
          assertThat(p.note()).as(p.name()).isNotBlank();
        }
      }
    }
  }

  @Test
  void schemas_readFromTheTable() {
    assertThat(DockerSchemas.forAction(Action.CONTAINER_CREATE))
        .isSameAs(DockerSchemas.CONTAINER_CREATE);
    assertThat(DockerSchemas.forAction(Action.EXEC_START)).isSameAs(DockerSchemas.EXEC_START);
    assertThatThrownBy(() -> DockerSchemas.forAction(Action.PING))
        .hasMessageContaining("no schema for ping");
  }

  @Test
  void entries_whatTheRulesAndTheProxyRead() {
    ActionSpec exec = DockerApi.spec(Action.EXEC_CREATE);
    assertThat(exec.names()).hasValue(ObjectKind.CONTAINER);
    assertThat(exec.creates()).hasValue(ObjectKind.EXEC);
    assertThat(exec.ownership()).isEqualTo(Ownership.NAMED);
    assertThat(DockerApi.spec(Action.SESSION).plugin()).isEqualTo(PluginMode.CLOSED);
    assertThat(DockerApi.spec(Action.CONTAINER_ARCHIVE_PUT).plugin())
        .isEqualTo(PluginMode.CLOSED_STREAM_REWRITE);
    assertThat(DockerApi.spec(Action.CONTAINER_CREATE).plugin()).isEqualTo(PluginMode.JUDGED);
    assertThat(DockerApi.spec(Action.IMAGE_INSPECT).ownership()).isEqualTo(Ownership.RULE);
    assertThat(Ownership.RULE.consultsDirectory()).isTrue();
    assertThat(Ownership.NARROWED.consultsDirectory()).isFalse();
    assertThat(
            DockerApi.all().stream().filter(s -> s.creates().isPresent()).map(ActionSpec::action))
        .containsExactlyInAnyOrder(
            Action.CONTAINER_CREATE,
            Action.EXEC_CREATE,
            Action.VOLUME_CREATE,
            Action.NETWORK_CREATE,
            Action.CONTAINER_COMMIT);
  }

  @Test
  void entry_inconsistentFacts_refused() {
    List<Route> json = DockerApi.spec(Action.CONTAINER_CREATE).routes();
    assertThatThrownBy(
            () ->
                new ActionSpec(
                    Action.CONTAINER_CREATE,
                    json,
                    Optional.empty(),
                    List.of(),
                    Optional.empty(),
                    Optional.empty(),
                    Ownership.NONE,
                    PluginMode.JUDGED))
        .hasMessageContaining("schema");
    assertThatThrownBy(
            () ->
                new ActionSpec(
                    Action.PING,
                    json,
                    Optional.of(DockerSchemas.CONTAINER_CREATE),
                    List.of(),
                    Optional.empty(),
                    Optional.empty(),
                    Ownership.NONE,
                    PluginMode.JUDGED))
        .hasMessageContaining("belongs to container_create");
    List<Route> ping = DockerApi.spec(Action.PING).routes();
    assertThatThrownBy(
            () ->
                new ActionSpec(
                    Action.PING,
                    ping,
                    Optional.empty(),
                    List.of(),
                    Optional.empty(),
                    Optional.empty(),
                    Ownership.NAMED,
                    PluginMode.JUDGED))
        .hasMessageContaining("NAMED");
    assertThatThrownBy(
            () ->
                new ActionSpec(
                    Action.PING,
                    List.of(),
                    Optional.empty(),
                    List.of(),
                    Optional.empty(),
                    Optional.empty(),
                    Ownership.NONE,
                    PluginMode.JUDGED))
        .hasMessageContaining("no route");
  }

  @Test
  void queryParam_versionRange() {
    QueryParam p = new QueryParam("x", "1.40", "1.44", QueryParam.Treatment.JUDGED, "ref");
    assertThat(p.appliesTo("1.39")).isFalse();
    assertThat(p.appliesTo("1.40")).isTrue();
    assertThat(p.appliesTo("1.44")).isTrue();
    assertThat(p.appliesTo("1.45")).isFalse();
    assertThat(p.appliesTo("")).as("no version: the daemon's newest").isFalse();
    QueryParam open = new QueryParam("x", "", "", QueryParam.Treatment.JUDGED, "ref");
    assertThat(open.appliesTo("")).isTrue();
    assertThat(open.appliesTo("1.24")).isTrue();
    assertThat(ApiVersions.compare("1.9", "1.24")).isNegative();
    assertThat(ApiVersions.compare("1.24", "1.24.0")).isZero();
  }

  @Test
  void builder_everyFactSetEndsInTheEntry() {
    ActionSpec s =
        ActionSpec.of(Action.EXEC_START)
            .hijacking(
                "POST", "/exec/{id}/start", BodyKind.JSON, ActionSpec.api("Exec", "ExecStart"))
            .route("GET", "/exec/{id}/x", BodyKind.NONE, "other")
            .schema(DockerSchemas.EXEC_START)
            .query("a")
            .query(new QueryParam("b", "1.40", "", QueryParam.Treatment.DROPPED, "ref", "ignored"))
            .names(ObjectKind.EXEC)
            .creates(ObjectKind.EXEC)
            .ownership(Ownership.NAMED)
            .plugin(PluginMode.CLOSED)
            .build();
    assertThat(s.routes()).extracting(Route::hijacks).containsExactly(true, false);
    assertThat(s.reference())
        .isEqualTo(
            "https://docs.docker.com/reference/api/engine/version/"
                + "v1.51/#tag/Exec/operation/ExecStart");
    assertThat(s.schema()).containsSame(DockerSchemas.EXEC_START);
    assertThat(s.query()).extracting(QueryParam::name).containsExactly("a", "b");
    assertThat(s.query().get(0).reference()).as("the route declared last").isEqualTo("other");
    assertThat(s.param("b", "1.39")).isEmpty();
    assertThat(s.param("b", "1.40"))
        .hasValueSatisfying(p -> assertThat(p.treatment()).isEqualTo(QueryParam.Treatment.DROPPED));
    assertThat(s.names()).hasValue(ObjectKind.EXEC);
    assertThat(s.creates()).hasValue(ObjectKind.EXEC);
    assertThat(s.ownership()).isEqualTo(Ownership.NAMED);
    assertThat(s.plugin()).isEqualTo(PluginMode.CLOSED);
  }
}
