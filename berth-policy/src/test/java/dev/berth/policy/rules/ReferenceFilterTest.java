package dev.berth.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.RequestException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Go's {@code path.Match} as the daemon's {@code FamiliarMatch} uses it. */
class ReferenceFilterTest {
  private static boolean matches(String pattern, String name) throws RequestException {
    return ReferenceFilter.Glob.compile(pattern).matches(name);
  }

  @ParameterizedTest
  @CsvSource({
    "app, app, true",
    "app, apps, false",
    "*, app, true",
    "*, a/b, false",
    "a*/b, abc/b, true",
    "a*b, a/b, false",
    "?, /, false",
    "[/], /, true",
    "[^a], /, true",
    "[a-c]x, bx, true",
    "[a-c]x, dx, false",
    "[^a-c]x, dx, true",
    "[c-a]x, bx, false",
    "[\\]]x, ]x, true",
    "[\\]]x, \\x, false",
    "[a\\-c]x, -x, true",
    "[a\\-c]x, bx, false",
    "[\\a-\\c]x, bx, true",
    "[\\a-\\c]x, dx, false",
    "a\\*, a*, true",
    "a\\*, ab, false",
    "*:1, localhost:5000/app:1, false",
    "*/*:1, localhost:5000/app:1, true",
    "**, ab, true",
    "'', '', true",
    "a*a*a*a*a*a*a*a*b, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, false",
  })
  void glob_asGoPathMatch(String pattern, String name, boolean expected) throws Exception {
    assertThat(matches(pattern, name)).isEqualTo(expected);
  }

  @Test
  void selects_familiarStringOrFamiliarName() throws Exception {
    ReferenceFilter f = ReferenceFilter.of(List.of("app"));
    assertThat(f.selects("app:1")).isTrue();
    assertThat(f.selects("app@sha256:" + "d".repeat(64))).isTrue();
    assertThat(f.selects("localhost:5000/app:1")).isFalse();
    assertThat(ReferenceFilter.of(List.of("localhost:5000/app")).selects("localhost:5000/app:1"))
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"[", "[\\", "[a\\", "[a-\\", "[]", "[-a]", "[a-]", "a\\"})
  void glob_malformed_refusedWithGosWords(String pattern) {
    assertThatThrownBy(() -> ReferenceFilter.Glob.compile(pattern))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("syntax error in pattern");
  }

  @Test
  void malformed_refusedWithGosWords() {
    assertThatThrownBy(() -> ReferenceFilter.of(List.of("ok", "[")))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("syntax error in pattern");
  }
}
