package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupNamesTest {
  @Test
  void parse_getentLines_namesOfTheAskedGids() {
    assertThat(
            GroupNames.parse(
                "alice:x:1002:\nberthlab:x:1001:alice,bob\nother:x:7:\n", List.of(1001, 1002)))
        .isEqualTo(Map.of(1001, "berthlab", 1002, "alice"));
  }

  @Test
  void parse_oddLines_ignored() {
    assertThat(
            GroupNames.parse(
                "\n:x:1001:\nshort:x:1001\nnum:x:one:\nneg:x:-1:\nok:x:1001:a\nlater:x:1001:\n",
                List.of(1001, -1)))
        .as("empty name, three fields, no number; the first line for a gid wins")
        .isEqualTo(Map.of(1001, "ok", -1, "neg"));
  }

  @Test
  void of_noGids_startsNothing() throws InterruptedException {
    assertThat(GroupNames.of(List.of())).isEmpty();
  }

  @Test
  void of_root_namedByTheGroupDatabase() throws InterruptedException {
    assertThat(GroupNames.of(List.of(0))).containsEntry(0, "root");
  }
}
