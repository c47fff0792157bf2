package dev.berth.cli.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesChecksTest {
  @TempDir Path dir;

  @Test
  void pluginDirectory_entryOwnedByAUser_fails() throws Exception {
    Path plugins = Files.createDirectory(dir.resolve("plugins"));
    Path sock = Files.createFile(plugins.resolve("berth.sock"));
    assertThat(PluginDirectoryCheck.check(plugins).severity()).isEqualTo(Finding.Severity.OK);
    Files.setAttribute(sock, "unix:uid", 4242);
    Finding f = PluginDirectoryCheck.check(plugins);
    assertThat(f.severity()).isEqualTo(Finding.Severity.FAIL);
    assertThat(f.detail()).contains("berth.sock");
  }

  @Test
  void pluginDirectory_worldWritable_fails() throws Exception {
    Path plugins = Files.createDirectory(dir.resolve("plugins"));
    Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThat(PluginDirectoryCheck.check(plugins).severity()).isEqualTo(Finding.Severity.FAIL);
  }

  @Test
  void policy_groupWritable_fails() throws Exception {
    Path policy = Files.writeString(dir.resolve("policy.yaml"), "roles: {}\n");
    assertThat(BerthFilesCheck.policy(policy).severity()).isEqualTo(Finding.Severity.OK);
    Files.setAttribute(policy, "unix:gid", 4242);
    Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rw-rw-r--"));
    assertThat(BerthFilesCheck.policy(policy).severity()).isEqualTo(Finding.Severity.FAIL);
  }

  @Test
  void policy_inAWorldWritableDirectory_fails() throws Exception {
    Path etc = Files.createDirectory(dir.resolve("etc"));
    Path policy = Files.writeString(etc.resolve("policy.yaml"), "roles: {}\n");
    Files.setPosixFilePermissions(etc, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThat(BerthFilesCheck.policy(policy).severity()).isEqualTo(Finding.Severity.FAIL);
  }

  @Test
  void privateDirectory_readableByOthers_warns() throws Exception {
    Path audit = Files.createDirectory(dir.resolve("audit"));
    Files.setPosixFilePermissions(audit, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(BerthFilesCheck.privateDirectory("audit trail", audit).severity())
        .isEqualTo(Finding.Severity.WARN);
    Files.setPosixFilePermissions(audit, PosixFilePermissions.fromString("rwx------"));
    assertThat(BerthFilesCheck.privateDirectory("audit trail", audit).severity())
        .isEqualTo(Finding.Severity.OK);
  }
}
