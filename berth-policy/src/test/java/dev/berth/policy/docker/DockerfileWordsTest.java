package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.RequestException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The word expansion of FROM and of ARG defaults before it, as the daemon's shell lexer expands
 * them, and the words of an ARG line ({@code DockerfileTest} has the common forms).
 */
class DockerfileWordsTest {
  private static final Map<String, String> VARS =
      Map.of("a", "1", "z", "2", "A", "3", "Z", "4", "_0", "5", "_9", "6", "V", "busybox");

  private static String expand(String word) throws RequestException {
    return DockerfileWords.expand(word, '\\', VARS);
  }

  @Test
  void expand_namesOfEveryNameCharacter_readWhole() throws Exception {
    assertThat(expand("$a/$z/$A/$Z/$_0/$_9")).isEqualTo("1/2/3/4/5/6");
    assertThat(expand("${a}${z}${A}${Z}${_0}${_9}")).isEqualTo("123456");
  }

  @Test
  void expand_variableEndingTheWord_expanded() throws Exception {
    assertThat(expand("x$V")).isEqualTo("xbusybox");
    assertThat(expand("\"x$V\"")).isEqualTo("xbusybox");
  }

  @Test
  void expand_dollarWithoutAName_keptAsADollar() throws Exception {
    assertThat(expand("a$")).isEqualTo("a$");
    assertThat(expand("$-x$")).isEqualTo("$-x$");
    assertThat(expand("\"a$\"")).isEqualTo("a$");
  }

  @Test
  void expand_escapesInDoubleQuotes_onlyQuoteDollarAndEscape() throws Exception {
    assertThat(expand("\"a\\\"b\\$V\\\\c\\xd\"")).isEqualTo("a\"b$V\\c\\xd");
    assertThat(DockerfileWords.expand("\"a`\"b`$V``c`xd\"", '`', VARS)).isEqualTo("a\"b$V`c`xd");
  }

  @Test
  void expand_alternativesOfAnEmptyOrUnsetVariable_asTheShellTakesThem() throws Exception {
    Map<String, String> vars = Map.of("E", "", "S", "set");
    assertThat(DockerfileWords.expand("${S:-x}|${E:-x}|${U:-x}", '\\', vars)).isEqualTo("set|x|x");
    assertThat(DockerfileWords.expand("${S:+x}|${E:+x}|${U:+x}", '\\', vars)).isEqualTo("x||");
    assertThat(DockerfileWords.expand("${U:-${S}y}", '\\', vars)).isEqualTo("sety");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\\", "${V", "${V:", "${V:-x", "${}", "${V:?x}", "${V:+x"})
  void expand_formBerthDoesNotExpand_refused(String word) {
    assertThatThrownBy(() -> expand(word))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("berth expands only");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"abc", "\"a\\", "\"a\\\"", "x'abc"})
  void expand_unterminatedQuote_refused(String word) {
    assertThatThrownBy(() -> expand(word))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("unexpected end of statement");
  }

  @Test
  void argWords_blankSeparated_quotesAndEscapesKeptInAWord() {
    assertThat(DockerfileWords.argWords("A=1  \tB=2 ", '\\')).containsExactly("A=1", "B=2");
    assertThat(DockerfileWords.argWords("A='x y' B=\"p 'q\" C", '\\'))
        .containsExactly("A='x y'", "B=\"p 'q\"", "C");
    assertThat(DockerfileWords.argWords("A=a\\ b B=\\\"c d\\\"", '\\'))
        .containsExactly("A=a\\ b", "B=\\\"c", "d\\\"");
    assertThat(DockerfileWords.argWords("A=a` b", '`')).containsExactly("A=a` b");
  }

  @Test
  void argWords_escapeInsideSingleQuotes_literalAsTheDaemonReadsIt() {
    assertThat(DockerfileWords.argWords("A='a\\' B=c", '\\')).containsExactly("A='a\\'", "B=c");
    assertThat(DockerfileWords.argWords("A='a` b' C", '`')).containsExactly("A='a` b'", "C");
    assertThat(DockerfileWords.argWords("A=\"a\\\" b\" C", '\\'))
        .containsExactly("A=\"a\\\" b\"", "C");
  }

  @Test
  void argWords_escapeAtTheEndOfTheLine_dropped() {
    assertThat(DockerfileWords.argWords("A=b\\", '\\')).containsExactly("A=b");
    assertThat(DockerfileWords.argWords("A=\"b\\", '\\')).containsExactly("A=\"b");
    assertThat(DockerfileWords.argWords("A='b\\", '\\')).containsExactly("A='b\\");
  }
}
