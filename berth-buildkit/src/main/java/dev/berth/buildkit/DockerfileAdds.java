package dev.berth.buildkit;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.docker.DockerJson;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The sources of a Dockerfile's {@code ADD} instructions that may name something the daemon would
 * fetch (a URL, a git repository), for engines whose BuildKit has no source policies (20.10), where
 * berth must find them in the Dockerfile before the daemon reads it ({@link SessionCall}).
 *
 * <p>Design note. Conservative: berth must never miss a source any frontend would fetch, and may
 * refuse a few it would not. The Dockerfile frontend (buildkit {@code frontend/dockerfile/parser})
 * joins lines ending with the escape character ({@code \}, or {@code `} after an {@code escape}
 * directive), dropping comment and empty lines inside; instructions are case-insensitive; flags
 * ({@code --link}, {@code --checksum=}, {@code --chown=}, ...) come first; the arguments are a JSON
 * array or words, quotes and escapes removed and variables expanded ({@code dockerfile2llb}: {@code
 * isHTTPSource}, {@code dfgitutil.ParseGitRef}). So lines are joined with either escape character
 * and read as they stand too; {@code ONBUILD ADD} counts; quote and escape characters are dropped
 * from each word before it is judged; a JSON array is read both as JSON and as words. A source is
 * remote when it has a scheme ({@code x://}, any case), is scp-like ({@code user@host:path}) or
 * starts with {@code github.com/}; a source with a variable is reported unless its literal part
 * before the variable already has a path separator that rules out every remote form. Heredoc bodies
 * are read as lines like any other (the 20.10 frontend does not know heredocs).
 */
final class DockerfileAdds {
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z0-9+.-]*:/");
  private static final Pattern SCP = Pattern.compile("^[^/]*@[^/]*:");
  private static final Pattern WORDS = Pattern.compile("[ \t]+");
  private static final ObjectMapper JSON = DockerJson.mapper();

  private DockerfileAdds() {}

  /**
   * The {@code ADD} sources of {@code dockerfile} that could make the daemon fetch something, as
   * written (quotes and escapes removed): URLs, git references, and sources with variables that
   * could become one.
   */
  static Set<String> remote(byte[] dockerfile) {
    String[] lines = new String(dockerfile, StandardCharsets.UTF_8).split("\r?\n", -1);
    Set<String> found = new LinkedHashSet<>();
    for (String line : lines) {
      check(line, found);
    }
    for (char escape : new char[] {'\\', '`'}) {
      for (String line : joined(lines, escape)) {
        check(line, found);
      }
    }
    return found;
  }

  /** The logical lines: continuations joined, comment and empty lines inside them dropped. */
  private static List<String> joined(String[] lines, char escape) {
    List<String> out = new ArrayList<>();
    StringBuilder current = null;
    for (String raw : lines) {
      String line = raw.stripTrailing();
      if (current != null && (line.isBlank() || line.stripLeading().startsWith("#"))) {
        continue;
      }
      boolean continues = !line.isEmpty() && line.charAt(line.length() - 1) == escape;
      String text = continues ? line.substring(0, line.length() - 1) : line;
      current = current == null ? new StringBuilder(text) : current.append(' ').append(text);
      if (!continues) {
        out.add(current.toString());
        current = null;
      }
    }
    if (current != null) {
      out.add(current.toString());
    }
    return out;
  }

  private static void check(String line, Set<String> found) {
    String rest = line.strip();
    String first = firstWord(rest);
    if (first.equals("onbuild")) {
      rest = rest.substring(first.length()).strip();
      first = firstWord(rest);
    }
    if (!first.equals("add")) {
      return;
    }
    List<String> words = new ArrayList<>(List.of(WORDS.split(rest.substring(3).strip())));
    words.removeIf(String::isEmpty);
    while (!words.isEmpty() && words.getFirst().startsWith("--")) {
      words.removeFirst();
    }
    List<String> sources =
        new ArrayList<>(words.size() > 1 ? words.subList(0, words.size() - 1) : words);
    String args = String.join(" ", words);
    if (args.startsWith("[")) {
      try {
        JsonNode array = JSON.readTree(args);
        if (array != null && array.isArray()) {
          int last = array.size() > 1 ? array.size() - 1 : array.size();
          for (int i = 0; i < last; i++) {
            sources.add(array.get(i).asText());
          }
        }
      } catch (JacksonException e) {
        // not JSON: the frontend reads words, as above
      }
    }
    for (String source : sources) {
      String plain = source.replaceAll("[\"'\\\\`\\[\\],]", "");
      if (mayBeRemote(plain)) {
        found.add(plain);
      }
    }
  }

  private static String firstWord(String line) {
    int end = 0;
    while (end < line.length() && !Character.isWhitespace(line.charAt(end))) {
      end++;
    }
    return line.substring(0, end).toLowerCase(Locale.ROOT);
  }

  /** Whether {@code source} is, or with its variables expanded could be, remote. */
  static boolean mayBeRemote(String source) {
    int variable = source.indexOf('$');
    String literal = variable < 0 ? source : source.substring(0, variable);
    if (variable >= 0) {
      int slash = literal.indexOf('/');
      if (slash < 0) {
        return true; // the variable could still give the part that makes it remote
      }
      literal = literal.substring(0, slash + 1);
      if (literal.contains(":") || literal.contains("@")) {
        return true;
      }
    }
    return SCHEME.matcher(literal).find()
        || SCP.matcher(literal).find()
        || literal.toLowerCase(Locale.ROOT).startsWith("github.com/");
  }
}
