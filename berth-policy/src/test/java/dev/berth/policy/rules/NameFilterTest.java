package dev.berth.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@code name} filter berth applies in the caller's names, against the daemon's semantics (moby
 * {@code filters.Args.Match}: equal, or a Go regular expression found in the name; invalid
 * expressions select nothing; containers with and without the leading slash).
 */
class NameFilterTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest(name = "{0} on {1}: {2}")
  @CsvSource({
    "web, web, true",
    "web, webapp, true", // unanchored, as the daemon
    "eb, web, true",
    "^web$, web, true",
    "^web$, webapp, false",
    "^web, u1001_web, false",
    "'^(web|db)$', db, true",
    "'^w.b$', wib, true",
    "'[', '[', true", // an invalid expression still selects the name it equals
    "'[', web, false", // and nothing else, without an error
    "'^(?=w)web$', web, false", // look-ahead: RE2 refuses it, so the daemon selects nothing
    "'^(w)\\1', ww, false", // back-reference: idem
    "'^we++b$', web, false", // possessive: idem
    "'^(?P<n>web)$', web, true", // RE2's named group
    "'(?i)^WEB$', web, true"
  })
  void selects_likeTheDaemonsMatch(String value, String name, boolean selected) {
    assertThat(NameFilter.of(List.of(value)).selects(name)).isEqualTo(selected);
  }

  @Test
  void container_matchedWithAndWithoutTheSlash() {
    assertThat(NameFilter.of(List.of("^web$")).selectsContainer("/web")).isTrue();
    assertThat(NameFilter.of(List.of("^/web$")).selectsContainer("/web")).isTrue();
    assertThat(NameFilter.of(List.of("/web")).selectsContainer("/web")).isTrue();
    assertThat(NameFilter.of(List.of("^/web$")).selectsContainer("/webapp")).isFalse();
  }

  @Test
  void values_areAlternatives_noneSelectsEverything() {
    NameFilter f = NameFilter.of(List.of("^web$", "^db$"));
    assertThat(f.selects("db")).isTrue();
    assertThat(f.selects("cache")).isFalse();
    assertThat(NameFilter.of(List.of()).selects("anything")).isTrue();
  }

  @Test
  void catastrophicExpression_selectsNothing_andEnds() {
    String name = "a".repeat(60) + "!";
    assertThat(NameFilter.of(List.of("^(a+)+$")).selects(name)).isFalse();
    assertThat(NameFilter.of(List.of("^(a|aa)+$")).selects(name)).isFalse();
  }

  @Test
  void containerList_byItsOwnName_notByLinkAliases() throws Exception {
    NameFilter f = NameFilter.of(List.of("^web$"));
    String list =
        f.narrow(
                JSON.readTree(
                    """
                    [{"Id": "1", "Names": ["/web"]}, {"Id": "2", "Names": ["/webapp"]},
                     {"Id": "3", "Names": ["/db", "/app/web"]}]"""))
            .findValuesAsText("Id")
            .toString();
    assertThat(list).isEqualTo("[1]");
  }

  @Test
  void networkAndVolumeLists_byName() throws Exception {
    NameFilter f = NameFilter.of(List.of("^lab_"));
    assertThat(
            f.narrow(JSON.readTree("[{\"Name\": \"lab_default\"}, {\"Name\": \"bridge\"}]"))
                .findValuesAsText("Name"))
        .containsExactly("lab_default");
    assertThat(
            f.narrow(
                    JSON.readTree(
                        "{\"Volumes\": [{\"Name\": \"lab_data\"}, {\"Name\": \"x_lab_data\"}],"
                            + " \"Warnings\": []}"))
                .path("Volumes")
                .findValuesAsText("Name"))
        .containsExactly("lab_data");
  }
}
