package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.Optional;
import java.util.function.Function;

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
 *
 * @param element the caller's form of one element, or empty when the caller may not see it; it may
 *     change the element it is given, which is its own ({@link #tree} gives it copies, so the
 *     answer it maps stays as it was)
 * @param limit the most elements shown; 0 for no limit
 */
public record ListElements(Function<JsonNode, Optional<JsonNode>> element, int limit) {
  public ListElements {
    requireNonNull(element, "element");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative");
    }
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
}
