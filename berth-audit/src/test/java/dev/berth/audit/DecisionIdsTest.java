package dev.berth.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DecisionIdsTest {
  @Test
  void next_manyIds_allDistinctWithOneProcessPrefix() {
    Set<String> ids = new HashSet<>();
    Set<String> prefixes = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = DecisionIds.next();
      ids.add(id);
      prefixes.add(id.substring(0, id.indexOf('-')));
    }
    assertThat(ids).hasSize(10_000);
    assertThat(prefixes).singleElement().asString().hasSize(12);
  }
}
