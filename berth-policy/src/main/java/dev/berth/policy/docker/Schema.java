package dev.berth.policy.docker;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a JSON value berth accepts, named after the Go types dockerd decodes into. Only
 * fields listed here survive canonicalisation; everything else is dropped, so the daemon never
 * receives a field berth did not judge.
 */
public sealed interface Schema {

  /** A Go string. */
  record Str() implements Schema {}

  /** A Go bool. */
  record Bool() implements Schema {}

  /** A Go integer (int, int64, uint16, …): a JSON number without fraction or exponent. */
  record Int() implements Schema {}

  /** Docker's {@code StrSlice}: a JSON array of strings, or a single string (made an array). */
  record StrSlice() implements Schema {}

  /** A Go slice: a JSON array whose items follow {@code item}. */
  record ListOf(Schema item) implements Schema {
    public ListOf {
      requireNonNull(item, "item");
    }
  }

  /**
   * A Go map with string keys: keys are data (labels, ports), matched exactly as Go does for maps,
   * and each value follows {@code value}.
   */
  record MapOf(Schema value) implements Schema {
    public MapOf {
      requireNonNull(value, "value");
    }
  }

  /**
   * A Go struct: keys are field names, matched case-insensitively as Go does for structs.
   *
   * @param name the Go type, used in messages
   * @param fields canonical field name to schema, in Docker's order
   * @param refused names that are not fields but are refused rather than dropped (matched as fields
   *     are), each with the reason: fields a client may have meant elsewhere, which the daemon
   *     would silently ignore
   */
  record Struct(String name, Map<String, Schema> fields, Map<String, String> refused)
      implements Schema {
    public Struct {
      requireNonNull(name, "name");
      fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
      refused = Map.copyOf(refused);
    }

    public Struct(String name, Map<String, Schema> fields) {
      this(name, fields, Map.of());
    }

    /** This struct, refusing every one of {@code names} that is not its own field. */
    public Struct refusing(Iterable<String> names, String reason) {
      Map<String, String> out = new LinkedHashMap<>(refused);
      for (String n : names) {
        if (!fields.containsKey(n)) {
          out.put(n, reason);
        }
      }
      return new Struct(name, fields, out);
    }
  }

  /** Any JSON, kept as parsed (only for values berth never inspects, such as a Healthcheck). */
  record Any() implements Schema {}

  Schema STR = new Str();
  Schema BOOL = new Bool();
  Schema INT = new Int();
  Schema STR_SLICE = new StrSlice();
  Schema STR_LIST = new ListOf(STR);
  Schema STR_MAP = new MapOf(STR);
  Schema ANY = new Any();

  /** {@code map[string]struct{}} as used for ExposedPorts and Volumes. */
  Schema EMPTY_STRUCT_MAP = new MapOf(new Struct("struct{}", Map.of()));

  /** Builds a {@link Struct} from alternating names and schemas. */
  static Struct struct(String name, Object... nameSchemaPairs) {
    if (nameSchemaPairs.length % 2 != 0) {
      throw new IllegalArgumentException("fields come in name, schema pairs");
    }
    Map<String, Schema> fields = new LinkedHashMap<>();
    for (int i = 0; i < nameSchemaPairs.length; i += 2) {
      String field = (String) nameSchemaPairs[i];
      if (fields.put(field, (Schema) nameSchemaPairs[i + 1]) != null) {
        throw new IllegalArgumentException(name + "." + field + " listed twice");
      }
    }
    return new Struct(name, fields);
  }
}
