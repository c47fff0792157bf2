package dev.berth.buildkit;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.docker.DockerJson;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The frontend images a Dockerfile asks for with a {@code syntax} parser directive.
 *
 * <p>Design note. The Dockerfile frontend forwards the build to the image its directive names
 * (buildkit {@code frontend/dockerfile/builder/build.go}, {@code Build}); the directive is found by
 * {@code parser.DetectSyntax} ({@code frontend/dockerfile/parser/directives.go}): after a byte
 * order mark and a {@code #!} line, leading {@code # key=value} comment lines, else leading {@code
 * // key=value} lines, else a JSON document with a {@code "syntax"} string. Older engines read the
 * {@code #} lines only, and differently (BuildKit 0.8 kept reading past unknown keys and took the
 * last of repeated ones). berth must never miss a directive any of them would follow, so it reads
 * more than each: every {@code syntax} value of the leading directive-shaped lines in both comment
 * styles, and the JSON form; all of them must be allowed.
 */
final class DockerfileSyntax {
  private static final Pattern DIRECTIVE =
      Pattern.compile("^([a-zA-Z][a-zA-Z0-9]*)\\s*=\\s*(.+?)\\s*$");

  /** Jackson's defaults: lenient like Go's encoding/json (the last of repeated keys wins). */
  private static final ObjectMapper JSON = DockerJson.mapper();

  private DockerfileSyntax() {}

  /** The frontend references the directives of {@code dockerfile} name (first words). */
  static List<String> frontends(byte[] dockerfile) {
    String text = new String(dockerfile, StandardCharsets.UTF_8);
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    String[] lines = text.split("\n", -1);
    int first = lines.length > 0 && lines[0].startsWith("#!") ? 1 : 0;
    List<String> refs = new ArrayList<>();
    for (String comment : List.of("#", "//")) {
      for (int i = first; i < lines.length; i++) {
        String line =
            lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
        if (!line.startsWith(comment)) {
          break;
        }
        Matcher m = DIRECTIVE.matcher(line.substring(comment.length()).stripLeading());
        if (!m.matches()) {
          break;
        }
        if (m.group(1).toLowerCase(Locale.ROOT).equals("syntax")) {
          refs.add(m.group(2).split(" ", 2)[0]);
        }
      }
    }
    try {
      JsonNode doc = JSON.readTree(text);
      if (doc != null && doc.isObject() && doc.has("syntax")) {
        refs.add(doc.get("syntax").asText());
      }
    } catch (JacksonException e) {
      // not JSON: no JSON directive
    }
    return refs;
  }
}
