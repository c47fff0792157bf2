package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What a list answer ({@code GET /containers/json} and the like, a JSON array) becomes for the
 * caller, one element at a time: each element is kept (renamed) or dropped by {@code element}, and
 * at most {@code limit} kept elements are shown (0: all).
 *
 * <p>Design note. The rule is one function of one element so that the two ways of applying it agree
 * by construction: {@link #tree} on an array already parsed, and {@link
 * dev.berth.policy.docker.DockerJson#mapList}, which reads the daemon's array element by element
 * and writes each kept one as it goes, without building the whole answer as a tree. Elements after
 * the limit are still read (and checked) but not shown, as the tree form would have parsed them.
 * {@code reads} says which parts of an element the rule reads or changes: {@code mapList} builds
 * only those as nodes and copies the rest of a kept element token by token from the daemon's bytes
 * (the rule sees every key of the objects it reads, but not the values it does not name).
 *
 * @param element the caller's form of one element, or empty when the caller may not see it; it may
 *     change the element it is given, which is its own ({@link #tree} gives it copies, so the
 *     answer it maps stays as it was)
 * @param limit the most elements shown; 0 for no limit
 * @param reads the parts of an element {@code element} reads or changes ({@link Reads#ALL}: all)
 */
public record ListElements(Function<JsonNode, Optional<JsonNode>> element, int limit, Reads reads) {
  public ListElements {
    requireNonNull(element, "element");
    requireNonNull(reads, "reads");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative");
    }
  }

  /** A rule that may read every part of an element. */
  public ListElements(Function<JsonNode, Optional<JsonNode>> element, int limit) {
    this(element, limit, Reads.ALL);
  }

  /** The elements of {@code list} that are kept, in the caller's form, cut to the limit. */
  public ArrayNode tree(ArrayNode list) {
    ArrayNode out = list.arrayNode();
    for (JsonNode item : list) {
      if (limit > 0 && out.size() >= limit) {
        break;
      }
      element.apply(item.deepCopy()).ifPresent(out::add);
    }
    return out;
  }

  /**
   * The parts of a JSON value a rule reads or changes. {@link #ALL}: the whole value. With {@code
   * fields}: when the value is an object, the rule sees all of its keys (so {@code has} and the key
   * order are exact), reads the values of the fields named here as each one's {@code Reads} says,
   * and neither reads nor changes the values of the other fields (it may rename their keys, or
   * replace a value with its own); with {@code items}: when the value is an array, the rule reads
   * each item as {@code items} says. A value of another kind than the one named is read whole.
   *
   * @param fields the fields read of an object, or null
   * @param items how each item of an array is read, or null
   */
  public record Reads(@Nullable Map<String, Reads> fields, @Nullable Reads items) {
    /** The whole value. */
    public static final Reads ALL = new Reads(null, null);

    public Reads {
      fields = fields == null ? null : Map.copyOf(fields);
      if (fields != null && items != null) {
        throw new IllegalArgumentException("an object's fields or an array's items, not both");
      }
    }

    /** The keys of an object and the values of {@code fields}, read as each one says. */
    public static Reads keysAnd(Map<String, Reads> fields) {
      return new Reads(fields, null);
    }

    /** Each item of an array, read as {@code items} says. */
    public static Reads eachItem(Reads items) {
      return new Reads(null, items);
    }
  }
}
