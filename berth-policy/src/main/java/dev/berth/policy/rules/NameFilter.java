package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code name} filter of {@code docker ps}, {@code docker network ls} and {@code docker volume
 * ls}, evaluated by berth in the caller's names (issue 13).
 *
 * <p>Design note. The daemon matches a {@code name} filter against its own names (moby {@code
 * filters.Args.Match}: a value selects a name it equals, or a Go regular expression that matches
 * somewhere in it; a value that is not a valid expression selects nothing, without an error).
 * Containers are matched by their name with and without the leading slash ({@code /web} and {@code
 * web}; moby {@code daemon/list.go} since Engine 23, 20.10 only with the slash), networks and
 * volumes by their name ({@code daemon/network/filter.go}, {@code volume/service/convert.go}). With
 * private names the daemon's name is {@code /u1001_web}, so {@code ^web$} or {@code ^/web$} (as
 * scripts and compose write them) would select nothing. Rewriting a user's expression into the
 * daemon's names is not safe in general (an expression is not a name: {@code ^w} would have to
 * become {@code ^u1001_w}, but {@code w|^x} and look-alikes defeat any textual rewrite), so berth
 * takes the {@code name} values out of the forwarded filters, lets the daemon narrow the list to
 * the caller's objects by the owner label as always, and applies the values itself to the answer,
 * after it is renamed to the caller's names, with the daemon's semantics: equal, or found as an
 * expression. Expressions never see another user's name, since the list holds only the caller's
 * objects.
 *
 * <p>Expressions are Java's, restricted to what Go's RE2 accepts: look-around, back-references,
 * atomic groups and possessive quantifiers (which RE2 refuses) make a value select nothing, as an
 * invalid expression does in the daemon; RE2's {@code (?P<name>...)} groups are read as Java's
 * {@code (?<name>...)}. RE2 matches in linear time, Java's engine backtracks: each match runs on a
 * name that allows {@value #MAX_STEPS} character reads and then selects nothing, so no expression
 * can make berth spin. The current engine's container rule (with or without the slash) applies on
 * both engines berth supports: a superset of 20.10's, never another user's object.
 */
final class NameFilter {
  /** Reads of a name's characters one match may make (a name is at most a few hundred). */
  static final int MAX_STEPS = 100_000;

  private static final Pattern NOT_RE2 =
      Pattern.compile(
          "\\(\\?<?[=!]|\\(\\?>|\\\\[1-9]|\\\\k<|\\\\[GRXZhHV]|[*+?}]\\+|\\\\p\\{(java|Is|In)");

  private final List<String> values;
  private final List<Pattern> patterns;

  private NameFilter(List<String> values) {
    this.values = List.copyOf(values);
    this.patterns = values.stream().map(NameFilter::compile).flatMap(Optional::stream).toList();
  }

  /** The filter of the {@code name} values (none: everything is selected). */
  static NameFilter of(List<String> values) {
    return new NameFilter(values);
  }

  boolean isEmpty() {
    return values.isEmpty();
  }

  /** Whether {@code name} is selected: equal to a value, or a value's expression found in it. */
  boolean selects(String name) {
    if (values.isEmpty() || values.contains(name)) {
      return true;
    }
    for (Pattern p : patterns) {
      if (found(p, name)) {
        return true;
      }
    }
    return false;
  }

  /** A container's name as the daemon matches it: with its leading slash, or without. */
  boolean selectsContainer(String name) {
    String bare = name.startsWith("/") ? name.substring(1) : name;
    return selects("/" + bare) || selects(bare);
  }

  /**
   * A list answer (in the caller's names) narrowed to what the filter selects: an array of
   * containers (by their name: the one of {@code Names} without a second slash) or networks (by
   * {@code Name}), or a volume list ({@code {"Volumes": [...]}}).
   */
  JsonNode narrow(JsonNode answer) {
    if (values.isEmpty()) {
      return answer;
    }
    if (answer instanceof ObjectNode o && o.path("Volumes") instanceof ArrayNode volumes) {
      o.set("Volumes", kept(volumes));
      return o;
    }
    return answer instanceof ArrayNode list ? kept(list) : answer;
  }

  private ArrayNode kept(ArrayNode list) {
    ArrayNode out = list.arrayNode();
    for (JsonNode item : list) {
      if (keeps(item)) {
        out.add(item);
      }
    }
    return out;
  }

  /**
   * Whether the filter selects one element of a list (in the caller's names): a container by its
   * name (the one of {@code Names} without a second slash), a network or volume by {@code Name}.
   */
  boolean keeps(JsonNode item) {
    if (values.isEmpty()) {
      return true;
    }
    return item.has("Names")
        ? selectsAnyName(item.path("Names"))
        : selects(item.path("Name").asText(""));
  }

  private boolean selectsAnyName(JsonNode names) {
    for (JsonNode n : names) {
      String name = n.asText("");
      if (name.lastIndexOf('/') <= 0 && selectsContainer(name)) {
        return true;
      }
    }
    return false;
  }

  /** The expression of {@code value}; none when RE2 would not accept it (it selects nothing). */
  private static Optional<Pattern> compile(String value) {
    if (NOT_RE2.matcher(value).find()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Pattern.compile(value.replace("(?P<", "(?<")));
    } catch (PatternSyntaxException e) {
      return Optional.empty();
    }
  }

  private static boolean found(Pattern p, String name) {
    Matcher m = p.matcher(new Bounded(name));
    try {
      return m.find();
    } catch (Bounded.Exhausted e) {
      return false;
    }
  }

  /** A name that allows {@link #MAX_STEPS} character reads to the expression matching it. */
  private static final class Bounded implements CharSequence {
    private final String s;
    private final int[] steps;

    Bounded(String s) {
      this(s, new int[] {0});
    }

    private Bounded(String s, int[] steps) {
      this.s = s;
      this.steps = steps;
    }

    @Override
    public char charAt(int index) {
      if (++steps[0] > MAX_STEPS) {
        throw new Exhausted();
      }
      return s.charAt(index);
    }

    @Override
    public int length() {
      return s.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new Bounded(s.substring(start, end), steps);
    }

    @Override
    public String toString() {
      return s;
    }

    /** The expression used up its reads. */
    static final class Exhausted extends RuntimeException {
      private static final long serialVersionUID = 1L;

      Exhausted() {
        super("name filter expression too costly", null, false, false);
      }
    }
  }
}
