package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.RequestException;
import dev.berth.policy.docker.Dockerfile.Instruction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
