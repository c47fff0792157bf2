package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The owner labels berth stamps on objects, and reading them back. */
class OwnerTest {

  @Test
  void labels_groupZeroAndNineDigitIds_readBackAsTheSameOwner() {
    Owner rootGroup = new Owner(1009, 0);
    assertThat(rootGroup.labels()).containsEntry(Owner.GID_LABEL, "0");
    assertThat(Owner.fromLabels(rootGroup.labels())).contains(rootGroup);
    Owner large = new Owner(123456789, 987654390);
    assertThat(Owner.fromLabels(large.labels())).contains(large);
    assertThat(new Owner(1001, -1).labels()).containsEntry(Owner.GID_LABEL, "");
  }

  @Test
  void fromLabels_notBerthsDecimalIds_noOwner() {
    for (String uid : new String[] {"", "1a", "-1", "+1", "\u0661\u0660\u0660\u0661", " 1001"}) {
      assertThat(Owner.fromLabels(Map.of(Owner.UID_LABEL, uid))).as(uid).isEmpty();
    }
    assertThat(Owner.fromLabels(Map.of(Owner.UID_LABEL, "1001", Owner.GID_LABEL, "x")))
        .contains(new Owner(1001, -1));
  }

  @Test
  void fromLabels_tenDigitDirectoryUid_isItsOwner() {
    // SSSD's default id range reaches 2,000,200,000: such a user must reach their own objects
    Owner directoryUser = new Owner(2_000_200_000, 2_000_200_000);
    assertThat(Owner.fromLabels(directoryUser.labels())).contains(directoryUser);
  }

  @Test
  void fromLabels_beyondAnIntOrElevenDigits_noOwner() {
    for (String uid : new String[] {"2147483648", "99999999999", "00000000001"}) {
      assertThat(Owner.fromLabels(Map.of(Owner.UID_LABEL, uid))).as(uid).isEmpty();
    }
    assertThat(Owner.fromLabels(Map.of(Owner.UID_LABEL, "2147483647")))
        .contains(new Owner(Integer.MAX_VALUE, -1));
  }
}
