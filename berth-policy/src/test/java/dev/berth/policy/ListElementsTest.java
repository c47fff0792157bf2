package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A list answer mapped one element at a time, cut to the caller's limit. */
class ListElementsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Keeps the elements whose {@code Keep} is true, marking each kept one as shown. */
  private static Optional<JsonNode> shownIfKept(JsonNode e) {
    if (!e.path("Keep").asBoolean()) {
      return Optional.empty();
    }
    ((ObjectNode) e).put("Shown", true);
    return Optional.of(e);
  }

  private static ArrayNode list() throws Exception {
    return (ArrayNode)
        JSON.readTree(
            "[{\"N\":1,\"Keep\":false},{\"N\":2,\"Keep\":true},{\"N\":3,\"Keep\":false},"
                + "{\"N\":4,\"Keep\":true},{\"N\":5,\"Keep\":true}]");
  }

  @Test
  void tree_limit_countsKeptElementsNotReadOnes() throws Exception {
    ArrayNode out = new ListElements(ListElementsTest::shownIfKept, 2).tree(list());
    assertThat(out.findValuesAsText("N")).containsExactly("2", "4");
  }

  @Test
  void tree_noLimit_everyKeptElement() throws Exception {
    ArrayNode out = new ListElements(ListElementsTest::shownIfKept, 0).tree(list());
    assertThat(out.findValuesAsText("N")).containsExactly("2", "4", "5");
    assertThat(new ListElements(ListElementsTest::shownIfKept, 3).tree(list()).size()).isEqualTo(3);
  }

  @Test
  void tree_elementChangesItsCopy_answerStaysAsItWas() throws Exception {
    ArrayNode answer = list();
    ArrayNode out = new ListElements(ListElementsTest::shownIfKept, 0).tree(answer);
    assertThat(out.get(0).path("Shown").asBoolean()).isTrue();
    assertThat(answer).isEqualTo(list());
  }

  @Test
  void negativeLimit_refused() {
    assertThatThrownBy(() -> new ListElements(Optional::of, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limit must not be negative");
    assertThat(new ListElements(Optional::of, 0).limit()).isZero();
  }

  @Test
  void reads_defaultIsTheWholeElement_fieldsAndItemsNotBoth() {
    assertThat(new ListElements(Optional::of, 0).reads()).isEqualTo(ListElements.Reads.ALL);
    ListElements.Reads names = ListElements.Reads.eachItem(ListElements.Reads.ALL);
    assertThat(ListElements.Reads.keysAnd(Map.of("Names", names)).fields())
        .containsEntry("Names", names);
    assertThatThrownBy(() -> new ListElements.Reads(Map.of(), ListElements.Reads.ALL))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
