package dev.berth.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonSocketCheckTest {
  @TempDir Path dir;

  private Path socket(String mode, int gid) throws Exception {
    Path s = Files.createFile(dir.resolve("docker.sock"));
    Files.setPosixFilePermissions(s, PosixFilePermissions.fromString(mode));
    Files.setAttribute(s, "unix:gid", gid);
    return s;
  }

  @Test
  void check_groupWithMembers_fails() throws Exception {
    Finding f = DaemonSocketCheck.check(socket("rw-rw----", 4242), gid -> List.of("carol"));
    assertThat(f.severity()).isEqualTo(Finding.Severity.FAIL);
    assertThat(f.detail()).contains("carol").contains("bypass berth");
  }

  @Test
  void check_groupWithoutMembers_ok() throws Exception {
    Finding f = DaemonSocketCheck.check(socket("rw-rw----", 4242), gid -> List.of());
    assertThat(f.severity()).isEqualTo(Finding.Severity.OK);
  }

  @Test
  void check_worldAccessible_fails() throws Exception {
    Finding f = DaemonSocketCheck.check(socket("rw-rw-rw-", 0), gid -> List.of());
    assertThat(f.severity()).isEqualTo(Finding.Severity.FAIL);
    assertThat(f.detail()).contains("every user");
  }

  @Test
  void check_ownedByAUser_fails() throws Exception {
    Path s = socket("rw-------", 0);
    Files.setAttribute(s, "unix:uid", 4242);
    assertThat(DaemonSocketCheck.check(s, gid -> List.of()).severity())
        .isEqualTo(Finding.Severity.FAIL);
  }

  @Test
  void check_rootOnly_ok() throws Exception {
    assertThat(DaemonSocketCheck.check(socket("rw-------", 0), gid -> List.of("carol")).severity())
        .isEqualTo(Finding.Severity.OK);
  }

  @Test
  void check_symbolicLink_fails() throws Exception {
    Path target = socket("rw-------", 0);
    Path link = Files.createSymbolicLink(dir.resolve("link.sock"), target);
    assertThat(DaemonSocketCheck.check(link, gid -> List.of()).severity())
        .isEqualTo(Finding.Severity.FAIL);
  }

  @Test
  void check_missing_fails() throws Exception {
    assertThat(DaemonSocketCheck.check(dir.resolve("none.sock"), gid -> List.of()).severity())
        .isEqualTo(Finding.Severity.FAIL);
  }
}
