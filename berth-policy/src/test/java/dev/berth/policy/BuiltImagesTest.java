package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ENGINE;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 13 for builds: tags in the builder's namespace. */
class BuiltImagesTest {
  private static final String ALICE_PYTHON = "berth.invalid/u1001/docker.io/library/python:3.12";

  private static Grant grant(Principal who) {
    return ENGINE.policy().grantOf(who).orElseThrow();
  }

  @Test
  void daemonTags_inTheBuildersNamespace_adminsAsGiven() {
    assertThat(BuiltImages.daemonTags(List.of("python:3.12"), ALICE, grant(ALICE)))
        .containsExactly(ALICE_PYTHON);
    assertThat(BuiltImages.daemonTags(List.of("python:3.12"), ROOT, grant(ROOT)))
        .containsExactly("python:3.12");
    assertThatThrownBy(
            () -> BuiltImages.daemonTags(List.of("berth.invalid/u1002/x"), ALICE, grant(ALICE)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
