package dev.berth.nss;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.UserDirectory.Account;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NssUserDirectoryTest {
  private final NssUserDirectory nss = new NssUserDirectory();

  @Test
  void byUid_root_resolvesNameHomeAndPrimaryGroup() throws Exception {
    Optional<Account> root = nss.byUid(0);
    assertThat(root).isPresent();
    assertThat(root.get().name()).isEqualTo("root");
    assertThat(root.get().home()).isEqualTo("/root");
    assertThat(root.get().groups()).startsWith(0);
  }

  @Test
  void byName_matchesByUid() throws Exception {
    Account byName = nss.byName("root").orElseThrow();
    assertThat(nss.byUid(byName.uid())).contains(byName);
  }

  @Test
  void byUid_unknownUid_isEmpty() throws Exception {
    assertThat(nss.byUid(1_999_999_999)).isEmpty();
  }

  @Test
  void groupId_rootAndUnknown() throws Exception {
    assertThat(nss.groupId("root")).contains(0);
    assertThat(nss.groupId("no-such-group-berth")).isEmpty();
  }

  @Test
  void groupName_rootAndUnknown() throws Exception {
    NssUserDirectory nss = new NssUserDirectory();
    assertThat(nss.groupName(0)).hasValue("root");
    assertThat(nss.groupName(1_999_999_999)).isEmpty();
  }

  @Test
  void byName_unknownName_isEmpty() throws Exception {
    assertThat(nss.byName("no-such-user-berth")).isEmpty();
  }
}
