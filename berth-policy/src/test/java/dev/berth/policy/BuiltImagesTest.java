package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.BOB;
import static dev.berth.policy.Fixtures.ENGINE;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Issue 13 for builds: tags in the builder's namespace, FROM only what the builder sees. */
class BuiltImagesTest {
  private static final String ALICE_MADE = "sha256:" + "a".repeat(64);
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

  @Test
  void fromAnotherUsersImage_notSeen_ownAndSharedResolved() throws Exception {
    FakeObjects objects =
        Fixtures.objects()
            .image(ALICE_MADE, FakeObjects.owner(1001), Map.of(ALICE_PYTHON, Optional.empty()));
    assertThat(BuiltImages.base("python:3.12", ALICE, grant(ALICE), objects))
        .hasValue(ALICE_PYTHON);
    assertThat(BuiltImages.base(ALICE_MADE, BOB, grant(BOB), objects)).isEmpty();
    assertThat(BuiltImages.base("python:3.12", BOB, grant(BOB), objects)).isEmpty();
    assertThat(BuiltImages.base("busybox", BOB, grant(BOB), objects)).hasValue("busybox");
  }

  @Test
  void claimBuilt_claimsTheAnswersImageForTheBuilder() {
    assertThat(BuiltImages.claimBuilt(ALICE, grant(ALICE)))
        .isEqualTo(new Decision.FollowUp.ClaimImage("", new Owner(1001, -1)));
  }
}
