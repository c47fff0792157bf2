package dev.berth.policy.docker;

import dev.berth.policy.RequestException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A Dockerfile split into instructions as the classic builder splits it, and written back so that
 * the daemon splits berth's text into exactly the same instructions.
 *
 * <p>Design note. No Java library parses Dockerfiles, so this one class mirrors the splitter moby
 * vendors from BuildKit ({@code frontend/dockerfile/parser/parser.go}: {@code Parse}, {@code
 * processLine}, {@code trimContinuationCharacter}, {@code splitCommand}; {@code line_parsers.go}'s
 * {@code extractBuilderFlags}) in the current engine; 20.10's vendored copy differs only in
 * directives (it knows {@code escape} alone, so a {@code # syntax=} line before {@code # escape=}
 * ends its directives; berth follows the current engines). Physical lines are split on {@code \n}
 * (a trailing {@code \r} dropped), a BOM is dropped, parser directives are read from the first
 * lines ({@code escape} sets the escape character; {@code syntax} and {@code check} are read and
 * ignored, the classic builder has no frontends), comment lines are dropped, also inside a
 * continuation, as are empty continuation lines; a line ending in the escape character (then
 * blanks) continues on the next, joined without the escape character, as the daemon joins them.
 * Each logical line is split into its keyword (compared in lower case), its {@code --flags} (parsed
 * byte by byte as the daemon does, quotes and backslashes included) and the rest, which berth keeps
 * verbatim.
 *
 * <p>{@link #write} emits an explicit {@code # escape=} directive of the file's escape character
 * (the rest of each line keeps its meaning only under the same character; the default is written
 * out so that no later line can become a directive), then one logical line per physical line with
 * no comments. A logical line that would end in the escape character again is refused (the daemon
 * would join it with the next). Heredocs ({@code RUN <<EOF}, which newer parsers read, 20.10's not)
 * are refused in RUN, COPY and ADD (also after ONBUILD), so no line berth writes can be read as a
 * heredoc's body; an instruction the classic builder does not know is refused with the daemon's
 * words. The {@code DockerfileFuzzTest} in berth-fuzz checks that what berth writes reads back as
 * the same instructions.
 */
public final class Dockerfile {
  /** The instructions of the classic builder (moby's dispatch table, lower case). */
  private static final Set<String> KEYWORDS =
      Set.of(
          "add",
          "arg",
          "cmd",
          "copy",
          "entrypoint",
          "env",
          "expose",
          "from",
          "healthcheck",
          "label",
          "maintainer",
          "onbuild",
          "run",
          "shell",
          "stopsignal",
          "user",
          "volume",
          "workdir");

  private static final Set<String> HEREDOC_KEYWORDS = Set.of("run", "copy", "add");
  private static final Set<String> DIRECTIVES = Set.of("syntax", "escape", "check");

  /** BuildKit's {@code reDirective}; Go's {@code \s} is ASCII {@code [\t\n\f\r ]}. */
  private static final Pattern DIRECTIVE =
      Pattern.compile(
          "^#[\\t\\n\\f\\r ]*([a-zA-Z][a-zA-Z0-9]*)[\\t\\n\\f\\r ]*=[\\t\\n\\f\\r ]*(.+?)"
              + "[\\t\\n\\f\\r ]*\\z",
          Pattern.DOTALL);

  /** The daemon's {@code tokenWhitespace}. */
  static final Pattern WHITESPACE = Pattern.compile("[\\t\\u000b\\f\\r ]+");

  private static final Pattern HEREDOC = Pattern.compile("<<-?[^\\t\\u000b\\f\\r <]");

  private final char escape;
  private final List<Instruction> instructions;

  private Dockerfile(char escape, List<Instruction> instructions) {
    this.escape = escape;
    this.instructions = List.copyOf(instructions);
  }

  /**
   * One instruction.
   *
   * @param keyword the instruction's name in lower case ({@code from}, {@code copy})
   * @param flags the {@code --flags} as the daemon reads them (quotes removed), in order
   * @param rest the rest of the line after the flags, trimmed, verbatim
   * @param line the logical line as the daemon joined it
   */
  public record Instruction(String keyword, List<String> flags, String rest, String line) {
    public Instruction {
      flags = List.copyOf(flags);
    }

    /** The words of {@link #rest} split on blanks, as FROM's arguments are split. */
    public List<String> words() {
      return rest.isEmpty() ? List.of() : List.of(WHITESPACE.split(rest, -1));
    }

    /** The value of flag {@code --name=}, or null when the instruction has none. */
    public @Nullable String flag(String name) {
      String prefix = name + "=";
      String found = null;
      for (String f : flags) {
        if (f.equals(name)) {
          found = "";
        } else if (f.startsWith(prefix)) {
          found = f.substring(prefix.length());
        }
      }
      return found;
    }

    /** The instruction with the flag {@code --name} given {@code value} (or added), rest kept. */
    public Instruction withFlag(String name, String value) {
      List<String> out = new ArrayList<>();
      boolean set = false;
      for (String f : flags) {
        if (f.equals(name) || f.startsWith(name + "=")) {
          out.add(name + "=" + value);
          set = true;
        } else {
          out.add(f);
        }
      }
      if (!set) {
        out.add(name + "=" + value);
      }
      return rebuilt(out, rest);
    }

    /** The instruction with its rest replaced (flags kept). */
    public Instruction withRest(String newRest) {
      return rebuilt(flags, newRest);
    }

    private Instruction rebuilt(List<String> newFlags, String newRest) {
      StringBuilder b = new StringBuilder(keyword.toUpperCase(Locale.ROOT));
      for (String f : newFlags) {
        b.append(' ').append(quotedFlag(f));
      }
      if (!newRest.isEmpty()) {
        b.append(' ').append(newRest);
      }
      return new Instruction(keyword, newFlags, newRest, b.toString());
    }
  }

  /** The escape character ({@code \} unless a directive said {@code `}). */
  public char escape() {
    return escape;
  }

  public List<Instruction> instructions() {
    return instructions;
  }

  /** The same file with other instructions (written with this file's escape character). */
  public Dockerfile with(List<Instruction> replaced) {
    return new Dockerfile(escape, replaced);
  }

  /**
   * Reads a Dockerfile as the daemon's classic builder splits it.
   *
   * @throws RequestException when it is not UTF-8 text, or when it holds what berth cannot write
   *     back unchanged in meaning (a heredoc, an unknown instruction, a bad directive)
   */
  public static Dockerfile parse(byte[] content) throws RequestException {
    return parse(content, '\\', true);
  }

  /**
   * Reads one ONBUILD trigger of an image as the daemon reads it ({@code processOnBuild}: a
   * Dockerfile of its own, with the default escape character).
   */
  public static Dockerfile parseTrigger(String trigger) throws RequestException {
    return parse(trigger.getBytes(StandardCharsets.UTF_8), '\\', false);
  }

  private static Dockerfile parse(byte[] content, char defaultEscape, boolean directives)
      throws RequestException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(content))
              .toString();
    } catch (CharacterCodingException e) {
      throw RequestException.bad("Dockerfile: not UTF-8 text");
    }
    List<String> lines = physicalLines(text);
    char esc = defaultEscape;
    boolean directivesDone = !directives;
    Set<String> seen = new HashSet<>();
    List<Instruction> out = new ArrayList<>();
    int i = 0;
    while (i < lines.size()) {
      String raw = lines.get(i);
      if (i == 0 && raw.startsWith("\uFEFF")) {
        raw = raw.substring(1);
      }
      i++;
      String token = trimLeadingSpace(raw);
      if (!directivesDone) {
        Matcher m = DIRECTIVE.matcher(token);
        String key = m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : "";
        if (!DIRECTIVES.contains(key)) {
          directivesDone = true;
        } else {
          if (!seen.add(key)) {
            throw RequestException.bad(
                "Dockerfile: only one " + key + " parser directive can be used");
          }
          if (key.equals("escape")) {
            String v = m.group(2);
            if (!v.equals("`") && !v.equals("\\")) {
              throw RequestException.bad(
                  "Dockerfile: invalid escape token '" + v + "' does not match ` or \\");
            }
            esc = v.charAt(0);
          }
        }
      }
      if (isComment(token)) {
        token = "";
      }
      String line = token;
      boolean continued = continues(line, esc);
      if (continued) {
        line = dropContinuation(line);
      }
      if (!continued && line.isEmpty()) {
        continue;
      }
      while (continued && i < lines.size()) {
        String next = lines.get(i);
        i++;
        if (isComment(trimLeadingSpace(next)) || trimLeadingSpace(next).isEmpty()) {
          continue;
        }
        continued = continues(next, esc);
        line += continued ? dropContinuation(next) : next;
      }
      out.add(instruction(line, esc));
    }
    return new Dockerfile(esc, out);
  }

  /** The lines as Go's {@code bufio.ScanLines} gives them. */
  private static List<String> physicalLines(String text) {
    List<String> lines = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int nl = text.indexOf('\n', start);
      String line = nl < 0 ? text.substring(start) : text.substring(start, nl);
      int end = line.length();
      while (end > 0 && line.charAt(end - 1) == '\r') {
        end--;
      }
      line = line.substring(0, end);
      lines.add(line);
      start = nl < 0 ? text.length() : nl + 1;
    }
    return lines;
  }

  private static Instruction instruction(String joined, char esc) throws RequestException {
    // As the daemon reads the line back from berth's output: leading blanks and trailing
    // carriage returns dropped (neither changes the instruction: splitCommand trims both)
    String line = trimLeadingSpace(joined);
    int end = line.length();
    while (end > 0 && line.charAt(end - 1) == '\r') {
      end--;
    }
    line = line.substring(0, end);
    String trimmed = trimSpace(line);
    String[] parts = WHITESPACE.split(trimmed, 2);
    String cmd = lower(parts[0]);
    if (!KEYWORDS.contains(cmd)) {
      throw RequestException.bad("Dockerfile: unknown instruction: " + parts[0]);
    }
    List<String> flags = new ArrayList<>();
    String rest = parts.length == 2 ? extractFlags(parts[1], flags) : "";
    rest = trimSpace(rest);
    Instruction in = new Instruction(cmd, flags, rest, line);
    checkHeredoc(in);
    if (cmd.equals("onbuild")) {
      if (rest.isEmpty()) {
        throw RequestException.bad("Dockerfile: ONBUILD requires at least one argument");
      }
      instruction(rest, esc); // the trigger read as a line of its own: a known keyword, no heredoc
    }
    if (continues(line, esc) || continues(trimSpace(line), esc)) {
      throw RequestException.bad(
          "Dockerfile: a line ends in the escape character "
              + esc
              + " once its continuations are joined ("
              + trimmed
              + "); berth cannot write it back as one line");
    }
    return in;
  }

  private static void checkHeredoc(Instruction in) throws RequestException {
    if (HEREDOC_KEYWORDS.contains(in.keyword()) && HEREDOC.matcher(in.rest()).find()) {
      throw RequestException.bad(
          "Dockerfile: heredocs (<<) in "
              + in.keyword().toUpperCase(Locale.ROOT)
              + " are not supported in classic builds through berth; write the content to a"
              + " file in the context, or build with BuildKit");
    }
  }

  /** Per code point, as Go's {@code strings.ToLower} maps each rune. */
  private static String lower(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(cp -> b.appendCodePoint(Character.toLowerCase(cp)));
    return b.toString();
  }

  /**
   * The daemon's {@code extractBuilderFlags}: it walks the line's bytes, a byte counting as a blank
   * when Go's {@code unicode.IsSpace} says so of it as a rune. Flags with bytes beyond ASCII are
   * refused (berth keeps flags as text), so every byte this walk meets between words follows an
   * ASCII byte or starts the line: a character's first byte, never one of the bytes 0x85 and 0xa0
   * that Go would also count as blanks. Each word starts with {@code --}, so none is empty (Go's
   * {@code blankOK} never decides).
   */
  private static String extractFlags(String line, List<String> words) throws RequestException {
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    final int inSpaces = 0;
    final int inWord = 1;
    final int inQuote = 2;
    int phase = inSpaces;
    StringBuilder word = new StringBuilder();
    int quote = 0;
    int ch = 0;
    for (int pos = 0; pos <= b.length; pos++) {
      if (pos != b.length) {
        ch = b[pos] & 0xff;
      }
      if (phase == inSpaces) {
        if (pos == b.length) {
          break;
        }
        if (byteIsSpace(ch)) {
          continue;
        }
        if (ch != '-' || pos + 1 == b.length || b[pos + 1] != '-') {
          return new String(b, pos, b.length - pos, StandardCharsets.UTF_8);
        }
        phase = inWord;
      }
      if ((phase == inWord || phase == inQuote) && pos == b.length) {
        if (!word.toString().equals("--")) {
          words.add(word.toString());
        }
        break;
      }
      if (ch >= 0x80) {
        throw RequestException.bad(
            "Dockerfile: flags with characters beyond ASCII are not supported: " + line);
      }
      if (phase == inWord) {
        if (byteIsSpace(ch)) {
          phase = inSpaces;
          if (word.toString().equals("--")) {
            return new String(b, pos, b.length - pos, StandardCharsets.UTF_8);
          }
          words.add(word.toString());
          word.setLength(0);
          continue;
        }
        if (ch == '\'' || ch == '"') {
          quote = ch;
          phase = inQuote;
          continue;
        }
        if (ch == '\\') {
          if (pos + 1 == b.length) {
            continue;
          }
          pos++;
          ch = b[pos] & 0xff;
          if (ch >= 0x80) {
            throw RequestException.bad(
                "Dockerfile: flags with characters beyond ASCII are not supported: " + line);
          }
        }
        word.append((char) ch);
        continue;
      }
      if (ch == quote) {
        phase = inWord;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == b.length) {
          phase = inWord;
          continue;
        }
        pos++;
        ch = b[pos] & 0xff;
        if (ch >= 0x80) {
          throw RequestException.bad(
              "Dockerfile: flags with characters beyond ASCII are not supported: " + line);
        }
      }
      word.append((char) ch);
    }
    return "";
  }

  /** A flag as {@code extractBuilderFlags} reads it back: quoted unless plainly safe. */
  static String quotedFlag(String flag) {
    if (flag.matches("--[A-Za-z0-9._:/@=,+-]*")) {
      return flag;
    }
    StringBuilder b = new StringBuilder("--\"");
    for (char c : flag.substring(2).toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"').toString();
  }

  /**
   * The file as berth forwards it: the escape directive, then one instruction per line.
   *
   * @throws IllegalStateException never for a parsed file (each line was checked when read)
   */
  public byte[] write() {
    StringBuilder b = new StringBuilder("# escape=").append(escape).append('\n');
    for (Instruction in : instructions) {
      b.append(in.line()).append('\n');
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static boolean continues(String line, char esc) {
    int end = endBeforeBlanks(line);
    return end > 0 && line.charAt(end - 1) == esc;
  }

  /** A line that {@link #continues}, without its escape character and the blanks after it. */
  private static String dropContinuation(String line) {
    return line.substring(0, endBeforeBlanks(line) - 1);
  }

  /** Where the line's trailing spaces and tabs start. */
  private static int endBeforeBlanks(String line) {
    int end = line.length();
    while (end > 0 && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) {
      end--;
    }
    return end;
  }

  private static boolean isComment(String trimmed) {
    return trimmed.startsWith("#");
  }

  /** Go's {@code unicode.IsSpace}. */
  static boolean isSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0d) || cp == ' ' || cp == 0x85 || Character.isSpaceChar(cp);
  }

  /** Go's {@code unicode.IsSpace} of a byte {@link #extractFlags} can meet between words. */
  private static boolean byteIsSpace(int b) {
    return (b >= 0x09 && b <= 0x0d) || b == ' ';
  }

  private static String trimLeadingSpace(String s) {
    int i = 0;
    while (i < s.length() && isSpace(s.codePointAt(i))) {
      i += Character.charCount(s.codePointAt(i));
    }
    return s.substring(i);
  }

  /** Go's {@code strings.TrimSpace}. */
  static String trimSpace(String s) {
    String t = trimLeadingSpace(s);
    int end = t.length();
    while (end > 0) {
      int cp = t.codePointBefore(end);
      if (!isSpace(cp)) {
        break;
      }
      end -= Character.charCount(cp);
    }
    return t.substring(0, end);
  }
}
