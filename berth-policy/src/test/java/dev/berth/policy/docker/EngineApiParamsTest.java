package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.Action;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every query parameter the Engine API reference lists, for every version from 1.24 to 1.51, is
 * known to the table: judged, dropped with a note, or refused with a reason; none falls through to
 * "not allowed" by omission. The reference's parameters are data extracted from moby's {@code
 * api/docs/v1.NN.yaml} ({@code engine-api/query-params.tsv}); one case per route.
 */
class EngineApiParamsTest {
  private static final int FIRST_SWAGGER = 25;
  private static final int NEWEST = 51;

  /** The build entries are judged by the build rules, kept on their own branch of work. */
  private static final Set<Action> BUILD = Set.of(Action.IMAGE_BUILD, Action.IMAGE_BUILD_PRUNE);

  /** One row of the extract: a parameter of a route, listed from {@code since} to {@code until}. */
  record Listed(String method, String path, String name, int since, int until) {}

  static Stream<Arguments> routes() throws IOException {
    Map<String, List<Listed>> byRoute = new LinkedHashMap<>();
    try (InputStream in =
            EngineApiParamsTest.class.getResourceAsStream("/engine-api/query-params.tsv");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        String[] f = line.split("\t", -1);
        Listed l = new Listed(f[1], f[2], f[3], minor(f[4]), f[5].isEmpty() ? NEWEST : minor(f[5]));
        byRoute.computeIfAbsent(l.method() + " " + l.path(), k -> new ArrayList<>()).add(l);
      }
    }
    return byRoute.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  private static int minor(String version) {
    return Integer.parseInt(version.substring(version.indexOf('.') + 1));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void route_everyListedParameterKnownInEveryVersion(String route, List<Listed> params) {
    Listed first = params.get(0);
    String concrete = first.path().replaceAll("\\{[A-Za-z]+}", "x1");
    RouteMatch match =
        RouteTable.docker()
            .match(first.method(), concrete)
            .orElseThrow(() -> new AssertionError(route + " has no entry"));
    ActionSpec spec = DockerApi.spec(match.route().action());
    if (BUILD.contains(spec.action())) {
      return;
    }
    for (Listed p : params) {
      // API 1.24's reference is prose; what 1.25 lists from the start, 1.24 had too
      int from = p.since() == FIRST_SWAGGER ? 24 : p.since();
      for (int v = from; v <= p.until(); v++) {
        String version = "1." + v;
        QueryParam known =
            spec.param(p.name(), version)
                .orElseThrow(
                    () ->
                        new AssertionError(
                            route
                                + " ?"
                                + p.name()
                                + " (API "
                                + version
                                + ") is not in the table"));
        if (known.treatment() != QueryParam.Treatment.JUDGED) {
          assertThat(known.note()).as(route + " ?" + p.name()).isNotBlank();
        }
      }
      if (p.until() == NEWEST) {
        assertThat(spec.param(p.name(), ""))
            .as(route + " ?" + p.name() + " without a version")
            .isPresent();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("actions")
  void entry_eachParameterOncePerVersion(Action action) {
    ActionSpec spec = DockerApi.spec(action);
    for (int v = 24; v <= NEWEST; v++) {
      Set<String> seen = new HashSet<>();
      for (QueryParam p : spec.query()) {
        if (p.appliesTo("1." + v)) {
          assertThat(seen.add(p.name())).as(action.id() + " ?" + p.name() + " twice").isTrue();
        }
      }
    }
  }

  static Stream<Action> actions() {
    return Stream.of(Action.values());
  }
}
