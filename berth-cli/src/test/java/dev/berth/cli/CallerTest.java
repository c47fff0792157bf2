package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallerTest {
  /** The shape of a real /proc/self/status (Linux 6.x), trimmed; Tgid and the Groups' tab kept. */
  private static String status(String uid, String gid, String groups) {
    return "Name:\tjava\nUmask:\t0022\nState:\tR (running)\nTgid:\t4242\nNgid:\t0\nPid:\t4242\n"
        + "PPid:\t1\nTracerPid:\t0\nUid:\t"
        + uid
        + "\nGid:\t"
        + gid
        + "\nFDSize:\t64\nGroups:\t"
        + groups
        + "\nNStgid:\t4242\nVmPeak:\t  100 kB\n";
  }

  @Test
  void of_loggedInUser_effectiveIdsPrimaryFirstThenGroupsOnce() throws IOException {
    Caller c =
        Caller.of(
            status("1001\t1001\t1001\t1001", "1002\t1002\t1002\t1002", "1001 1002 "),
            "alice",
            "/home/alice");
    assertThat(c).isEqualTo(new Caller("alice", 1001, 1002, "/home/alice", List.of(1002, 1001)));
  }

  @Test
  void of_afterNewgrp_effectiveGidIsThePrimary() throws IOException {
    Caller c =
        Caller.of(
            status("1001\t1001\t1001\t1001", "1002\t1003\t1003\t1003", "1001 1002 1003 "),
            "alice",
            "/home/alice");
    assertThat(c.gid()).isEqualTo(1003);
    assertThat(c.groups()).containsExactly(1003, 1001, 1002);
  }

  @Test
  void of_noSupplementaryGroups_onlyThePrimary() throws IOException {
    Caller c = Caller.of(status("0\t0\t0\t0", "0\t0\t0\t0", ""), "root", "/root");
    assertThat(c.groups()).containsExactly(0);
  }

  @Test
  void of_realAndEffectiveUidDiffer_refused() {
    assertThatThrownBy(
            () ->
                Caller.of(
                    status("1001\t0\t0\t0", "1002\t1002\t1002\t1002", ""), "alice", "/home/alice"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("real uid 1001 is not the effective uid 0");
  }

  @Test
  void of_noPasswdEntry_refusedNamingTheUid() {
    // the JVM's user.name and user.home when getpwuid found nothing (and HOME was unset)
    assertThatThrownBy(
            () -> Caller.of(status("4242\t4242\t4242\t4242", "42\t42\t42\t42", ""), "?", "?"))
        .isInstanceOf(IOException.class)
        .hasMessage("uid 4242 has no user entry");
  }

  @Test
  void of_oddInputs_refusedNotGuessed() {
    String good = "1001\t1001\t1001\t1001";
    for (String bad :
        new String[] {
          "Name:\tjava\nGid:\t1\t1\t1\t1\nGroups:\t\n", // no Uid line
          status("1001\t1001\t1001", "1\t1\t1\t1", ""), // three fields
          status("1001\t1001\t1001\t1001\t7", "1\t1\t1\t1", ""), // five fields
          status("1001\tx\t1001\t1001", "1\t1\t1\t1", ""), // not a number
          status(good, "1\t1\t1\t1", "1 -5 "), // negative
          status("4294967294\t4294967294\t4294967294\t4294967294", "1\t1\t1\t1", ""), // above int
          status(good, "1\t1\t1\t1", "99999999999999999999"), // above long
          "",
        }) {
      assertThatThrownBy(() -> Caller.of(bad, "alice", "/home/alice"))
          .as(bad)
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void of_spacesInsteadOfTabsAndNoTrailingNewline_read() throws IOException {
    Caller c = Caller.of("Uid:  7 7 7 7\nGid: 8 8 8 8\nGroups: 9   10", "bob", "/home/bob");
    assertThat(c).isEqualTo(new Caller("bob", 7, 8, "/home/bob", List.of(8, 9, 10)));
  }

  @Test
  void current_thisProcess_isWhatTheKernelSays() throws IOException {
    Caller c = Caller.current();
    assertThat(c.name()).isEqualTo(System.getProperty("user.name"));
    assertThat(c.groups()).first().isEqualTo(c.gid());
  }
}
