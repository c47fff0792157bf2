package dev.berth.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The sessions of refused builds (the 20.10 CLI waits for its session to end). */
class BuildMediatorTest {
  private static final int ALICE = 1001;
  private static final int BOB = 1002;

  @Test
  void endedSessions_markedForItsCaller_takenOnce() {
    EndedSessions ended = new EndedSessions();
    ended.mark("s1", ALICE);
    assertThat(ended.take("s1", BOB)).as("bob's session of the same id").isFalse();
    assertThat(ended.take("s1", ALICE)).isTrue();
    assertThat(ended.take("s1", ALICE)).as("taken once").isFalse();
  }

  @Test
  void endedSessions_manyNeverCome_onlyTheNewestKept() {
    EndedSessions ended = new EndedSessions();
    for (int i = 0; i <= EndedSessions.KEPT; i++) {
      ended.mark("old-" + i, ALICE);
    }
    assertThat(ended.take("old-0", ALICE)).as("the oldest forgotten").isFalse();
    assertThat(ended.take("old-1", ALICE)).isTrue();
    assertThat(ended.take("old-" + EndedSessions.KEPT, ALICE)).isTrue();
  }

  /** The session still comes (refusing it, the CLI would show that instead of the build's). */
  @Test
  void endSession_beforeTheSessionComes_itsUpgradeStillClaimed() {
    BuildMediator m = new BuildMediator();
    m.endSession("s2", ALICE);
    assertThat(m.openSession("s2", ALICE)).isEmpty();
  }

  @Test
  void endSession_ofAnotherCallersLiveId_leavesTheirSession() {
    BuildMediator m = new BuildMediator();
    assertThat(m.openSession("s3", BOB)).isEmpty();
    m.endSession("s3", ALICE);
    assertThat(m.openSession("s3", ALICE)).get().asString().contains("is in use");
  }

  @Test
  void endSession_blankId_nothingRemembered() {
    BuildMediator m = new BuildMediator();
    m.endSession("", ALICE);
    assertThat(m.openSession("", ALICE)).get().asString().contains("needs an id");
  }
}
