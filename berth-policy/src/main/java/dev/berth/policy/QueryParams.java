package dev.berth.policy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Query parameters parsed the way dockerd reads them, with every ambiguity refused.
 *
 * <p>dockerd uses Go's {@code url.ParseQuery} and {@code FormValue}, which takes the first of
 * repeated keys; a proxy that took the last one would judge a different value than the daemon
 * uses. Only one key is legitimately repeated: {@code t} on {@code POST /build}, which dockerd
 * reads as a list ({@code r.Form["t"]}, moby {@code daemon/server/router/build/build_routes.go});
 * its values are all kept ({@link #all}), and {@link #get} gives the first, as Go's
 * {@code FormValue} does. Every other repeat is refused outright, as well as {@code ;} separators
 * (Go rejects them since 1.17) and malformed percent escapes.
 */
public final class QueryParams {
  private static final QueryParams EMPTY = new QueryParams(Map.of(), Map.of());
  /** Keys whose repeats dockerd reads as a list. */
  private static final Set<String> LISTS = Set.of("t");

  private final Map<String, String> values;
  /** Every value of a {@link #LISTS} key given more than once, in order. */
  private final Map<String, List<String>> repeated;

  private QueryParams(Map<String, String> values, Map<String, List<String>> repeated) {
    this.values = values;
    this.repeated = repeated;
  }

  public static QueryParams empty() {
    return EMPTY;
  }

  /** Parses a raw query string (without the leading {@code ?}). */
  public static QueryParams parse(String rawQuery) throws RequestException {
    if (rawQuery.isEmpty()) {
      return EMPTY;
    }
    if (rawQuery.indexOf(';') >= 0) {
      throw RequestException.bad("query: ';' is not a parameter separator");
    }
    Map<String, String> values = new LinkedHashMap<>();
    Map<String, List<String>> repeated = new LinkedHashMap<>();
    for (String pair : rawQuery.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = Percent.decodeQuery(eq < 0 ? pair : pair.substring(0, eq), "query key");
      String value = eq < 0 ? "" : Percent.decodeQuery(pair.substring(eq + 1), "query value");
      if (key.isEmpty()) {
        throw RequestException.bad("query: empty parameter name");
      }
      String first = values.putIfAbsent(key, value);
      if (first != null && LISTS.contains(key)) {
        repeated.computeIfAbsent(key, k -> new ArrayList<>(List.of(first)))
            .add(value);
      } else if (first != null) {
        throw RequestException.bad("query: parameter '" + key + "' given more than once");
      }
    }
    return new QueryParams(Collections.unmodifiableMap(values),
        Collections.unmodifiableMap(repeated));
  }

  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  /** Every value of {@code key}, in order (several only for a list key such as {@code t}). */
  public List<String> all(String key) {
    List<String> many = repeated.get(key);
    if (many != null) {
      return List.copyOf(many);
    }
    String v = values.get(key);
    return v == null ? List.of() : List.of(v);
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  /**
   * The parameter as dockerd's {@code httputils.BoolValue} reads it: false when absent, empty,
   * {@code 0}, {@code no}, {@code false} or {@code none} (any case, trimmed), true otherwise.
   */
  public boolean bool(String key) {
    String v = values.get(key);
    if (v == null) {
      return false;
    }
    String s = v.strip().toLowerCase(Locale.ROOT);
    return !(s.isEmpty() || s.equals("0") || s.equals("no") || s.equals("false")
        || s.equals("none"));
  }

  public Map<String, String> asMap() {
    return values;
  }

  /** A copy with {@code key} set to {@code value}. */
  public QueryParams with(String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.put(key, value);
    return new QueryParams(Collections.unmodifiableMap(copy), withoutList(key));
  }

  /** A copy without {@code key}. */
  public QueryParams without(String key) {
    if (!values.containsKey(key)) {
      return this;
    }
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.remove(key);
    return new QueryParams(Collections.unmodifiableMap(copy), withoutList(key));
  }

  private Map<String, List<String>> withoutList(String key) {
    if (!repeated.containsKey(key)) {
      return repeated;
    }
    Map<String, List<String>> copy = new LinkedHashMap<>(repeated);
    copy.remove(key);
    return Collections.unmodifiableMap(copy);
  }

  /** Re-serialises the parameters; what berth forwards is this, never the client's raw query. */
  public String encode() {
    StringJoiner out = new StringJoiner("&");
    values.forEach((k, first) -> {
      for (String v : all(k)) {
        out.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
            + URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    });
    return out.toString();
  }

  @Override
  public String toString() {
    return encode();
  }
}
