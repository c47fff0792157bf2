package dev.berth.policy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * Query parameters parsed the way dockerd reads them, with every ambiguity refused.
 *
 * <p>dockerd uses Go's {@code url.ParseQuery} and {@code FormValue}, which takes the first of
 * repeated keys; a proxy that took the last one would judge a different value than the daemon
 * uses. No Docker endpoint needs a repeated key, so berth refuses repeats outright, as well as
 * {@code ;} separators (Go rejects them since 1.17) and malformed percent escapes.
 */
public final class QueryParams {
  private static final QueryParams EMPTY = new QueryParams(Map.of());

  private final Map<String, String> values;

  private QueryParams(Map<String, String> values) {
    this.values = values;
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
        throw RequestException.bad("query: parameter '" + key + "' given more than once");
      }
    }
    return new QueryParams(Collections.unmodifiableMap(values));
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
    return new QueryParams(Collections.unmodifiableMap(copy));
  }

  /** A copy without {@code key}. */
  public QueryParams without(String key) {
    if (!values.containsKey(key)) {
      return this;
    }
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.remove(key);
    return new QueryParams(Collections.unmodifiableMap(copy));
  }

  /** Re-serialises the parameters; what berth forwards is this, never the client's raw query. */
  public String encode() {
    StringJoiner out = new StringJoiner("&");
    values.forEach((k, v) -> out.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return out.toString();
  }

  @Override
  public String toString() {
    return encode();
  }
}
