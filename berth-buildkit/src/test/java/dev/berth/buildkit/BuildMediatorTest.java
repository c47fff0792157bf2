package dev.berth.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The sessions of refused builds (the 20.10 CLI waits for its session to end). */
class BuildMediatorTest {
  private static final int ALICE = 1001;
  private static final int BOB = 1002;

  @Test
  void endSession_beforeTheSessionComes_itsOwnerIsRefusedIt() {
    BuildMediator m = new BuildMediator();
    m.endSession("s1", ALICE);
    assertThat(m.openSession("s1", ALICE)).get().asString().contains("s1", "was refused");
    assertThat(m.openSession("s1", ALICE)).as("refused once, then forgotten").isEmpty();
  }

  @Test
  void endSession_ofAnotherCallersId_leavesTheirSession() {
    BuildMediator m = new BuildMediator();
    m.endSession("s2", ALICE);
    assertThat(m.openSession("s2", BOB)).isEmpty();
    assertThat(m.openSession("s3", BOB)).isEmpty();
    m.endSession("s3", ALICE);
    m.closeSession("s3", BOB);
    assertThat(m.openSession("s3", ALICE))
        .as("alice's refused build named bob's live id")
        .isEmpty();
  }

  @Test
  void endSession_claimedNotYetHandedOff_markedForTheHandOff() {
    BuildMediator m = new BuildMediator();
    assertThat(m.openSession("s4", ALICE)).isEmpty();
    m.endSession("s4", ALICE);
    m.closeSession("s4", ALICE);
    assertThat(m.openSession("s4", ALICE)).isPresent();
  }

  @Test
  void endSession_blankId_nothingRemembered() {
    BuildMediator m = new BuildMediator();
    m.endSession("", ALICE);
    assertThat(m.openSession("", ALICE)).get().asString().contains("needs an id");
  }

  @Test
  void endSession_manyNeverCome_onlyTheNewestKept() {
    BuildMediator m = new BuildMediator();
    for (int i = 0; i <= BuildMediator.ENDED_KEPT; i++) {
      m.endSession("old-" + i, ALICE);
    }
    assertThat(m.openSession("old-0", ALICE)).as("the oldest forgotten").isEmpty();
    assertThat(m.openSession("old-1", ALICE)).isPresent();
  }
}
