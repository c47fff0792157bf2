package dev.berth.policy.docker;

import dev.berth.policy.RequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The word expansion the classic builder applies to {@code FROM}'s image and to {@code ARG}
 * defaults before the first {@code FROM} (BuildKit's {@code shell.Lex.ProcessWord}, vendored by
 * moby), for the forms Dockerfiles use there: {@code $X}, {@code ${X}}, {@code ${X:-word}}, {@code
 * ${X:+word}}, single and double quotes, and the escape character. Other modifiers ({@code ${X-w}},
 * {@code ${X:?w}}, {@code ${X#p}}, ...) are refused: berth forwards the name it expanded, so a form
 * it cannot expand as the daemon would is refused rather than guessed.
 */
public final class DockerfileWords {
  private DockerfileWords() {}

  /**
   * {@code word} with its variables replaced by their values in {@code vars} (unset: empty), its
   * quotes removed and its escapes applied.
   *
   * @throws RequestException when it uses a form berth does not expand
   */
  public static String expand(String word, char escape, Map<String, String> vars)
      throws RequestException {
    StringBuilder out = new StringBuilder();
    expand(word, 0, escape, vars, out, false); // outside braces it reads to the end
    return out.toString();
  }

  /**
   * Expands from {@code i}; stops at the end, or at an unquoted {@code }} when {@code inBraces}.
   * Returns where it stopped.
   */
  private static int expand(
      String w,
      int start,
      char escape,
      Map<String, String> vars,
      StringBuilder out,
      boolean inBraces)
      throws RequestException {
    int i = start;
    while (i < w.length()) {
      char c = w.charAt(i);
      if (inBraces && c == '}') {
        return i;
      }
      if (c == escape) {
        if (i + 1 >= w.length()) {
          throw refused(w);
        }
        out.append(w.charAt(i + 1));
        i += 2;
      } else if (c == '\'') {
        int close = w.indexOf('\'', i + 1);
        if (close < 0) {
          throw RequestException.bad(
              "Dockerfile: unexpected end of statement while looking for matching single-quote in "
                  + w);
        }
        out.append(w, i + 1, close);
        i = close + 1;
      } else if (c == '"') {
        i++;
        while (true) {
          if (i >= w.length()) {
            throw RequestException.bad(
                "Dockerfile: unexpected end of statement while looking for matching "
                    + "double-quote in "
                    + w);
          }
          char d = w.charAt(i);
          if (d == '"') {
            i++;
            break;
          }
          if (d == escape && i + 1 < w.length()) {
            char n = w.charAt(i + 1);
            if (n == '"' || n == '$' || n == escape) {
              out.append(n);
              i += 2;
              continue;
            }
            out.append(d);
            i++;
          } else if (d == '$') {
            i = variable(w, i, escape, vars, out);
          } else {
            out.append(d);
            i++;
          }
        }
      } else if (c == '$') {
        i = variable(w, i, escape, vars, out);
      } else {
        out.append(c);
        i++;
      }
    }
    if (inBraces) {
      throw refused(w);
    }
    return i;
  }

  /** Expands the variable at {@code w[i] == '$'}; returns the index after it. */
  private static int variable(
      String w, int i, char escape, Map<String, String> vars, StringBuilder out)
      throws RequestException {
    int j = i + 1;
    if (j >= w.length()) {
      out.append('$');
      return j;
    }
    if (w.charAt(j) != '{') {
      int k = j;
      while (k < w.length() && isNameChar(w.charAt(k))) {
        k++;
      }
      if (k == j) {
        out.append('$');
        return j;
      }
      out.append(vars.getOrDefault(w.substring(j, k), ""));
      return k;
    }
    int k = j + 1;
    while (k < w.length() && isNameChar(w.charAt(k))) {
      k++;
    }
    String name = w.substring(j + 1, k);
    if (name.isEmpty() || k >= w.length()) {
      throw refused(w);
    }
    String value = vars.get(name);
    char m = w.charAt(k);
    if (m == '}') {
      out.append(value == null ? "" : value);
      return k + 1;
    }
    if (m == ':' && k + 1 < w.length() && (w.charAt(k + 1) == '-' || w.charAt(k + 1) == '+')) {
      boolean orElse = w.charAt(k + 1) == '-';
      StringBuilder alt = new StringBuilder();
      int close = expand(w, k + 2, escape, vars, alt, true);
      boolean set = value != null && !value.isEmpty();
      if (orElse) {
        out.append(set ? value : alt);
      } else if (set) {
        out.append(alt);
      }
      return close + 1;
    }
    throw refused(w);
  }

  private static boolean isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  private static RequestException refused(String word) {
    return RequestException.bad(
        "Dockerfile: berth expands only $X, ${X}, ${X:-word} and ${X:+word} in FROM and in ARG"
            + " defaults before it; rewrite "
            + word);
  }

  /**
   * The words of an {@code ARG} line: blank-separated, quotes and escapes kept inside a word, each
   * {@code NAME} or {@code NAME=value}, as the daemon's {@code parseWords} splits them (BuildKit
   * {@code frontend/dockerfile/parser/line_parsers.go}): the escape character keeps the next
   * character in the word outside quotes and inside double quotes, is an ordinary character inside
   * single quotes, and is dropped at the end of the line.
   */
  public static List<String> argWords(String rest, char escape) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < rest.length(); i++) {
      char c = rest.charAt(i);
      if (quote == 0 && Dockerfile.isSpace(c)) {
        if (word.length() > 0) {
          words.add(word.toString());
          word.setLength(0);
        }
        continue;
      }
      if (c == escape && quote != '\'') {
        if (i + 1 == rest.length()) {
          break; // an escape at the end of the line is dropped
        }
        word.append(c).append(rest.charAt(++i));
        continue;
      }
      word.append(c);
      if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      }
    }
    if (word.length() > 0) {
      words.add(word.toString());
    }
    return words;
  }
}
