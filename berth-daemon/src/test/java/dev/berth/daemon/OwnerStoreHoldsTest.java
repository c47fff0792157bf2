package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.Owner;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A push's hold on a shared tag in the owner store (issue 13: docker push of a user's image). */
class OwnerStoreHoldsTest {
  private static final String TAG = "127.0.0.1:5000/alice/app:1";
  private static final String ALICE_APP = "sha256:" + "a".repeat(64);
  private static final String PULLED = "sha256:" + "b".repeat(64);
  private static final Owner ALICE = new Owner(1001, -1);

  @TempDir Path dir;

  @Test
  void hold_hidesTheTagOnThePushedImageOnly_oneHoldPerTag() throws Exception {
    try (OwnerStore store = OwnerStore.open(dir)) {
      assertThat(store.holdForPush(TAG, ALICE_APP, ALICE, Optional.of(PULLED))).isTrue();
      assertThat(store.pushHold(TAG).orElseThrow().recovered()).isFalse();
      assertThat(store.heldTag(TAG, ALICE_APP)).contains(ALICE);
      assertThat(store.tagOwner(TAG, ALICE_APP)).contains(ALICE);
      assertThat(store.heldTag(TAG, PULLED)).isEmpty();
      assertThat(store.holdForPush(TAG, PULLED, new Owner(1002, -1), Optional.empty())).isFalse();
      assertThat(store.heldTag(TAG, ALICE_APP)).contains(ALICE);
    }
  }

  @Test
  void release_dropsTheHold_butNotAnotherPushsHold() throws Exception {
    try (OwnerStore store = OwnerStore.open(dir)) {
      store.holdForPush(TAG, ALICE_APP, ALICE, Optional.empty());
      store.release(TAG, PULLED);
      assertThat(store.pushHold(TAG)).isPresent();
      store.release(TAG, ALICE_APP);
      assertThat(store.pushHold(TAG)).isEmpty();
      assertThat(store.heldTag(TAG, ALICE_APP)).isEmpty();
    }
    try (OwnerStore reopened = OwnerStore.open(dir)) {
      assertThat(reopened.pushHold(TAG)).isEmpty();
    }
  }

  @Test
  void hold_notReleasedBeforeBerthStopped_stillHoldsAfterARestart() throws Exception {
    try (OwnerStore store = OwnerStore.open(dir)) {
      store.holdForPush(TAG, ALICE_APP, ALICE, Optional.of(PULLED));
    }
    try (OwnerStore reopened = OwnerStore.open(dir)) {
      assertThat(reopened.heldTag(TAG, ALICE_APP)).contains(ALICE);
      assertThat(reopened.pushHold(TAG))
          .contains(new OwnerStore.PushHold(ALICE_APP, ALICE, Optional.of(PULLED), true));
    }
  }
}
