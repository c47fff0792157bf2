package dev.berth.policy.yaml;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads values out of SnakeYAML's node tree, keeping each value's line and column: every problem is
 * collected as {@code file:line:column path: message} into the list the readers of one file share,
 * and reported together.
 */
class NodeReader {
  static final Pattern ROLE_NAME = Pattern.compile("^[a-z][a-z0-9_-]*$");

  final String source;
  final List<String> errors;

  NodeReader(String source, List<String> errors) {
    this.source = source;
    this.errors = errors;
  }

  List<String> strings(@Nullable Node node, String at) {
    List<String> out = new ArrayList<>();
    if (node == null) {
      return out;
    }
    if (!(node instanceof SequenceNode seq)) {
      error(node, at, "expected a list");
      return out;
    }
    for (int i = 0; i < seq.getValue().size(); i++) {
      String s = scalar(seq.getValue().get(i), at + "[" + i + "]");
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  Map<String, Node> fields(MappingNode m, String at, Set<String> allowed) {
    Map<String, Node> out = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      String key = scalar(t.getKeyNode(), at);
      if (key == null) {
        continue;
      }
      String path = at.isEmpty() ? key : at + "." + key;
      if (!allowed.contains(key)) {
        error(
            t.getKeyNode(),
            path,
            "unknown key \"" + key + "\"" + suggestion(key, List.copyOf(allowed)));
      } else if (out.put(key, t.getValueNode()) != null) {
        error(t.getKeyNode(), path, "key given twice");
      }
    }
    return out;
  }

  @Nullable Node require(Map<String, Node> fields, String key, Node parent, String at) {
    Node n = fields.get(key);
    if (n == null) {
      error(parent, at.isEmpty() ? key : at + "." + key, "missing (required)");
    }
    return n;
  }

  @Nullable String scalar(Node node, String at) {
    if (node instanceof ScalarNode s) {
      return s.getValue();
    }
    error(node, at, "expected a single value");
    return null;
  }

  void error(@Nullable Node node, String at, String message) {
    Optional<Mark> mark = node == null ? Optional.empty() : node.getStartMark();
    String where =
        mark.map(m -> source + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1)).orElse(source);
    errors.add(where + " " + at + ": " + message);
  }

  /** " (did you mean "x"?)" for the closest candidate within a small edit distance. */
  static String suggestion(String word, List<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(word, c);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(2, word.length() / 4)
        ? " (did you mean \"" + best + "\"?)"
        : "";
  }

  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
