package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.RequestException;
import dev.berth.policy.docker.Dockerfile.Instruction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The classic builder's Dockerfile splitter, and berth's re-serialisation (issue 13). */
class DockerfileTest {
  private static Dockerfile parse(String text) throws RequestException {
    return Dockerfile.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> lines(Dockerfile df) {
    return df.instructions().stream().map(Instruction::line).toList();
  }

  /** What the daemon reads back from berth's output is berth's instruction list. */
  private static void assertRoundTrip(Dockerfile df) throws RequestException {
    Dockerfile again = Dockerfile.parse(df.write());
    assertThat(again.instructions()).isEqualTo(df.instructions());
    assertThat(again.escape()).isEqualTo(df.escape());
  }

  @Test
  void parse_continuationsCommentsAndEmptyLines_joinedAsTheDaemonJoins() throws Exception {
    Dockerfile df =
        parse(
            "# a comment\n"
                + "FROM busybox\n"
                + "RUN echo a \\\n"
                + "# a comment inside the continuation\n"
                + "\n"
                + "    && echo b \\  \t\n"
                + "  c\r\n"
                + "\n"
                + "   # indented comment\n");
    assertThat(lines(df)).containsExactly("FROM busybox", "RUN echo a     && echo b   c");
    assertRoundTrip(df);
  }

  @Test
  void parse_escapeDirectiveBacktick_continuesWithBacktick() throws Exception {
    Dockerfile df = parse("# escape=`\nFROM busybox\nRUN dir C:\\ `\n  && echo x\n");
    assertThat(df.escape()).isEqualTo('`');
    assertThat(lines(df)).containsExactly("FROM busybox", "RUN dir C:\\   && echo x");
    assertThat(new String(df.write(), StandardCharsets.UTF_8)).startsWith("# escape=`\n");
    assertRoundTrip(df);
  }

  @Test
  void parse_syntaxThenEscapeDirectives_bothRead() throws Exception {
    Dockerfile df = parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM busybox\n");
    assertThat(df.escape()).isEqualTo('`');
  }

  @Test
  void parse_directiveAfterAComment_isAComment() throws Exception {
    Dockerfile df = parse("# hello\n# escape=`\nFROM busybox\nRUN a \\\n b\n");
    assertThat(df.escape()).isEqualTo('\\');
    assertThat(lines(df)).containsExactly("FROM busybox", "RUN a  b");
  }

  @Test
  void parse_invalidEscape_refused() {
    assertThatThrownBy(() -> parse("# escape=x\nFROM busybox\n"))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("invalid escape token");
  }

  @Test
  void parse_twoEscapeDirectives_refused() {
    assertThatThrownBy(() -> parse("# escape=`\n# escape=\\\nFROM busybox\n"))
        .hasMessageContaining("only one escape parser directive");
  }

  @Test
  void parse_keywordInAnyCase_lowerCased() throws Exception {
    Dockerfile df = parse("fRoM busybox AS Build\nCoPy --from=build a b\n");
    assertThat(df.instructions().get(0).keyword()).isEqualTo("from");
    assertThat(df.instructions().get(1).flag("--from")).isEqualTo("build");
  }

  @Test
  void parse_flagsWithQuotesAndBackslashes_readAsTheDaemonReads() throws Exception {
    Instruction in = parse("COPY --from=\"a b\" --chown=x\\ y src dst\n").instructions().get(0);
    assertThat(in.flags()).containsExactly("--from=a b", "--chown=x y");
    assertThat(in.rest()).isEqualTo("src dst");
    Instruction rebuilt = in.withFlag("--from", "sha256:" + "1".repeat(64));
    Dockerfile df = parse("FROM busybox\n").with(List.of(rebuilt));
    assertThat(Dockerfile.parse(df.write()).instructions().get(0).flags())
        .containsExactly("--from=sha256:" + "1".repeat(64), "--chown=x y");
  }

  @Test
  void parse_platformFlagOnFrom_keptAsAFlag() throws Exception {
    Instruction in = parse("FROM --platform=$BUILDPLATFORM busybox AS b\n").instructions().get(0);
    assertThat(in.flag("--platform")).isEqualTo("$BUILDPLATFORM");
    assertThat(in.words()).containsExactly("busybox", "AS", "b");
  }

  @Test
  void parse_heredocInRun_refused() {
    assertThatThrownBy(() -> parse("FROM busybox\nRUN <<EOF\necho hi\nEOF\n"))
        .hasMessageContaining("heredocs");
    assertThatThrownBy(() -> parse("FROM busybox\nONBUILD COPY <<-\"EOF\" /x\n"))
        .hasMessageContaining("heredocs");
  }

  @Test
  void parse_unknownInstruction_refusedWithTheDaemonsWords() {
    assertThatThrownBy(() -> parse("FROM busybox\nFETCH http://x\n"))
        .hasMessageContaining("unknown instruction: FETCH");
  }

  @Test
  void parse_lineStillEndingInEscapeAfterJoin_refused() {
    assertThatThrownBy(() -> parse("FROM busybox\nRUN a \\ \\\n"))
        .hasMessageContaining("cannot write it back");
  }

  @Test
  void parse_notUtf8_refused() {
    assertThatThrownBy(() -> Dockerfile.parse(new byte[] {'F', 'R', 'O', 'M', ' ', (byte) 0xff}))
        .hasMessageContaining("not UTF-8");
  }

  @Test
  void parse_byteOrderMark_dropped() throws Exception {
    assertThat(lines(parse("\uFEFFFROM busybox\n"))).containsExactly("FROM busybox");
  }

  @Test
  void parse_continuationAtTheEnd_joinedWithoutIt() throws Exception {
    assertThat(lines(parse("FROM busybox \\"))).containsExactly("FROM busybox ");
  }

  @Test
  void parse_leadingNewline_splitAtEveryNewline() throws Exception {
    assertThat(lines(parse("\nFROM busybox\nRUN x\n"))).containsExactly("FROM busybox", "RUN x");
  }

  @Test
  void parse_leadingBlanksOfEveryKindGoKnows_dropped() throws Exception {
    Dockerfile df = parse("\t\u000b\f\r\u0085\u00a0\u2003FROM busybox\n \tRUN x\n");
    assertThat(lines(df)).containsExactly("FROM busybox", "RUN x");
  }

  @Test
  void parse_carriageReturnBeforeTheLastContinuation_dropped() throws Exception {
    Dockerfile df = parse("FROM busybox\nRUN a\r\\");
    assertThat(lines(df)).containsExactly("FROM busybox", "RUN a");
    assertRoundTrip(df);
  }

  @Test
  void parse_lastLineOnlyAContinuation_refusedAsAnEmptyInstruction() {
    assertThatThrownBy(() -> parse("FROM busybox\n\\"))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("unknown instruction");
  }

  @Test
  void parse_onbuildOfAnUnknownInstruction_refused() {
    assertThatThrownBy(() -> parse("FROM busybox\nONBUILD FETCH http://x\n"))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("unknown instruction: FETCH");
  }

  @Test
  void parse_flagEndingTheLine_readAsAFlag() throws Exception {
    Instruction in = parse("RUN --network=none").instructions().get(0);
    assertThat(in.flags()).containsExactly("--network=none");
    assertThat(in.rest()).isEmpty();
  }

  @Test
  void parse_unterminatedQuoteInAFlag_readToTheEndOfTheLine() throws Exception {
    Instruction in = parse("RUN --mount=\"type=cache").instructions().get(0);
    assertThat(in.flags()).containsExactly("--mount=type=cache");
    assertThat(in.rest()).isEmpty();
  }

  @Test
  void parse_doubleDash_endsTheFlags() throws Exception {
    Instruction in = parse("COPY --from=a -- --b c").instructions().get(0);
    assertThat(in.flags()).containsExactly("--from=a");
    assertThat(in.rest()).isEqualTo("--b c");
    Instruction alone = parse("RUN --").instructions().get(0);
    assertThat(alone.flags()).isEmpty();
    assertThat(alone.rest()).isEmpty();
  }

  @Test
  void parse_singleDashAtTheEnd_isTheRest() throws Exception {
    Instruction in = parse("RUN -").instructions().get(0);
    assertThat(in.flags()).isEmpty();
    assertThat(in.rest()).isEqualTo("-");
  }

  @Test
  void parse_blanksBetweenFlags_eachAsciiBlankGoKnows() throws Exception {
    Dockerfile df = parse("COPY --a=1\t--b=2\u000b--c=3\f--d=4\r--e=5 src dst\n");
    Instruction in = df.instructions().get(0);
    assertThat(in.flags()).containsExactly("--a=1", "--b=2", "--c=3", "--d=4", "--e=5");
    assertThat(in.rest()).isEqualTo("src dst");
    assertRoundTrip(df);
  }

  @Test
  void parse_backslashEndingAFlag_skippedAsTheDaemonSkipsIt() throws Exception {
    assertThat(parse("# escape=`\nRUN --x=a\\").instructions().get(0).flags())
        .containsExactly("--x=a");
    assertThat(parse("# escape=`\nRUN --x=\"a\\").instructions().get(0).flags())
        .containsExactly("--x=a");
  }

  @Test
  void parse_escapedQuoteInsideAQuotedFlag_keptInTheFlag() throws Exception {
    Instruction in = parse("RUN --x=\"a\\\"b\" c").instructions().get(0);
    assertThat(in.flags()).containsExactly("--x=a\"b");
    assertThat(in.rest()).isEqualTo("c");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "RUN --x=\u00e9 c",
        "RUN --x=\\\u00e9 c",
        "RUN --x=\"\u00e9\" c",
        "RUN --x=\"\\\u00e9\" c"
      })
  void parse_flagBeyondAscii_refused(String line) {
    assertThatThrownBy(() -> parse(line))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("beyond ASCII");
  }

  @Test
  void parse_trailingBlanks_notPartOfTheRest() throws Exception {
    Dockerfile df = parse("FROM busybox\nRUN a \t\u00a0\u2003\n");
    assertThat(df.instructions().get(1).rest()).isEqualTo("a");
    assertThat(df.instructions().get(1).words()).containsExactly("a");
    assertRoundTrip(df);
  }

  @Test
  void withFlag_valueWithQuotesAndBackslashes_readBackAsGiven() throws Exception {
    Instruction in = parse("COPY a b\n").instructions().get(0).withFlag("--from", "x\"y\\z w\\");
    Dockerfile df = parse("FROM busybox\n").with(List.of(in));
    Instruction back = Dockerfile.parse(df.write()).instructions().get(0);
    assertThat(back.flag("--from")).isEqualTo("x\"y\\z w\\");
    assertThat(back.rest()).isEqualTo("a b");
  }

  @Test
  void write_instructionLookingLikeADirectiveOrComment_neverRead() throws Exception {
    Dockerfile df = parse("FROM busybox\nRUN echo '# escape=`'\n");
    assertRoundTrip(df);
  }

  @Test
  void parseTrigger_copyFrom_readWithTheDefaultEscape() throws Exception {
    Dockerfile t = Dockerfile.parseTrigger("COPY --from=other /a /b");
    assertThat(t.instructions().get(0).flag("--from")).isEqualTo("other");
  }

  @Test
  void expand_argForms_asTheDaemonExpands() throws Exception {
    Map<String, String> vars = Map.of("A", "busybox", "T", "1.36", "E", "");
    assertThat(DockerfileWords.expand("$A:${T}", '\\', vars)).isEqualTo("busybox:1.36");
    assertThat(DockerfileWords.expand("${E:-alpine}", '\\', vars)).isEqualTo("alpine");
    assertThat(DockerfileWords.expand("${A:+x}${E:+y}", '\\', vars)).isEqualTo("x");
    assertThat(DockerfileWords.expand("\"$A\"'$T'", '\\', vars)).isEqualTo("busybox$T");
    assertThat(DockerfileWords.expand("a\\$A", '\\', vars)).isEqualTo("a$A");
    assertThat(DockerfileWords.expand("${MISSING}x", '\\', vars)).isEqualTo("x");
  }

  @Test
  void expand_otherModifiers_refused() {
    assertThatThrownBy(() -> DockerfileWords.expand("${A#b}", '\\', Map.of()))
        .hasMessageContaining("berth expands only");
    assertThatThrownBy(() -> DockerfileWords.expand("${A-b}", '\\', Map.of()))
        .hasMessageContaining("berth expands only");
  }
}
