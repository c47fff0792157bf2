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
 * repeated keys; a proxy that took the last one would judge a different value than the daemon uses.
 * So berth refuses repeats, except for the keys the daemon reads only as lists, whichever endpoint
 * they are on ({@code r.Form["..."]} in moby's routers, 20.10 and 28.x alike): {@code changes}
 * (commit, import: {@code api/server/router/container/container_routes.go}, {@code
 * image/image_routes.go}), {@code names} (save), {@code platforms} (image delete) and {@code type}
 * (system df), and {@code t} on {@code POST /build} (moby {@code
 * daemon/server/router/build/build_routes.go}). Their values are kept in order and all forwarded;
 * {@link #get} gives the first, as Go's {@code FormValue} does. berth also refuses {@code ;}
 * separators (Go rejects them since 1.17) and malformed percent escapes.
 */
public final class QueryParams {
  /** Keys the daemon reads as lists on every endpoint that takes them. */
  static final Set<String> LIST_KEYS = Set.of("changes", "names", "platforms", "type", "t");

  private static final QueryParams EMPTY = new QueryParams(Map.of(), Map.of());

  /** The first value of each key, in order. */
  private final Map<String, String> values;

  /** The further values of list keys. */
  private final Map<String, List<String>> more;

  private QueryParams(Map<String, String> values, Map<String, List<String>> more) {
    this.values = values;
    this.more = more;
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
    Map<String, List<String>> more = new LinkedHashMap<>();
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
      if (values.putIfAbsent(key, value) != null) {
        if (!LIST_KEYS.contains(key)) {
          throw RequestException.bad("query: parameter '" + key + "' given more than once");
        }
        more.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
      }
    }
    return new QueryParams(Collections.unmodifiableMap(values), freeze(more));
  }

  private static Map<String, List<String>> freeze(Map<String, List<String>> more) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    more.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Collections.unmodifiableMap(out);
  }

  /** Every value of {@code key} in order (one for keys that are not lists). */
  public List<String> getAll(String key) {
    String first = values.get(key);
    if (first == null) {
      return List.of();
    }
    List<String> all = new ArrayList<>();
    all.add(first);
    all.addAll(more.getOrDefault(key, List.of()));
    return List.copyOf(all);
  }

  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
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
    return !(s.isEmpty()
        || s.equals("0")
        || s.equals("no")
        || s.equals("false")
        || s.equals("none"));
  }

  public Map<String, String> asMap() {
    return values;
  }

  /** A copy with {@code key} set to {@code value} (its only value). */
  public QueryParams with(String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.put(key, value);
    Map<String, List<String>> rest = new LinkedHashMap<>(more);
    rest.remove(key);
    return new QueryParams(Collections.unmodifiableMap(copy), Collections.unmodifiableMap(rest));
  }

  /** A copy with {@code key} set to {@code list} (its values in order; none: without it). */
  public QueryParams withAll(String key, List<String> list) {
    if (list.isEmpty()) {
      return without(key);
    }
    QueryParams first = with(key, list.getFirst());
    if (list.size() == 1) {
      return first;
    }
    Map<String, List<String>> rest = new LinkedHashMap<>(first.more);
    rest.put(key, list.subList(1, list.size()));
    return new QueryParams(first.values, freeze(rest));
  }

  /** A copy without {@code key}. */
  public QueryParams without(String key) {
    if (!values.containsKey(key)) {
      return this;
    }
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.remove(key);
    Map<String, List<String>> rest = new LinkedHashMap<>(more);
    rest.remove(key);
    return new QueryParams(Collections.unmodifiableMap(copy), Collections.unmodifiableMap(rest));
  }

  /** Re-serialises the parameters; what berth forwards is this, never the client's raw query. */
  public String encode() {
    StringJoiner out = new StringJoiner("&");
    values.forEach(
        (k, v) -> {
          for (String each : getAll(k)) {
            out.add(
                URLEncoder.encode(k, StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(each, StandardCharsets.UTF_8));
          }
        });
    return out.toString();
  }

  @Override
  public String toString() {
    return encode();
  }
}
