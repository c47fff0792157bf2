package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.Action;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableTest {

  @Test
  void match_singleSegmentParameter() {
    Route r =
        Route.of(
            "GET", "/containers/{id}/json", Action.CONTAINER_INSPECT, BodyKind.NONE, false, "");
    assertThat(r.match("GET", "/containers/abc/json")).isEqualTo(Map.of("id", "abc"));
    assertThat(r.match("GET", "/containers/a/b/json")).isNull();
    assertThat(r.match("POST", "/containers/abc/json")).isNull();
    assertThat(r.match("GET", "/containers/abc/json/x")).isNull(); // anchored
  }

  @Test
  void match_multiSegmentParameter() {
    Route r =
        Route.of("DELETE", "/plugins/{name*}/x/{id}", Action.PLUGIN, BodyKind.NONE, false, "");
    assertThat(r.match("DELETE", "/plugins/a/b/c/x/9"))
        .isEqualTo(Map.of("name", "a/b/c", "id", "9"));
  }

  @Test
  void match_noParameters_emptyMap() {
    Route r = Route.of("GET", "/_ping", Action.PING, BodyKind.NONE, false, "");
    assertThat(r.match("GET", "/_ping")).isEmpty();
    assertThat(r.params()).isEmpty();
  }

  @Test
  void docker_fixedPathsBeforeTemplates() {
    RouteTable t = RouteTable.docker();
    assertThat(t.match("GET", "/images/json").orElseThrow().route().action())
        .isEqualTo(Action.IMAGE_LIST);
    RouteMatch m = t.match("GET", "/images/library/busybox:1.36/json").orElseThrow();
    assertThat(m.route().action()).isEqualTo(Action.IMAGE_INSPECT);
    assertThat(m.param("name")).isEqualTo("library/busybox:1.36");
    assertThatThrownBy(() -> m.param("id")).isInstanceOf(IllegalArgumentException.class);
    assertThat(t.match("POST", "/exec/abc/start").orElseThrow().route().hijacks()).isTrue();
    assertThat(t.match("GET", "/containers/abc/json").orElseThrow().route().hijacks()).isFalse();
    assertThat(t.match("GET", "/nope")).isEmpty();
    assertThat(t.routes()).hasSizeGreaterThan(100);
  }

  @Test
  void struct_malformedDefinitions_refused() {
    assertThatThrownBy(() -> Schema.struct("X", "A")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Schema.struct("X", "A", Schema.STR, "A", Schema.BOOL))
        .hasMessageContaining("X.A listed twice");
    assertThat(Schema.struct("X", "A", Schema.STR, "B", Schema.BOOL).fields())
        .containsOnlyKeys("A", "B");
  }
}
