package dev.berth.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit trail on a real, tiny tmpfs: when the disk is full the record fails (so the proxy
 * refuses the request), the file keeps no half record, and writing works again once space returns.
 * Needs root to mount; CI runs as root and fails rather than skips there.
 */
class AuditLogFullDiskTest {
  @TempDir Path dir;
  private Path mount;

  @BeforeEach
  void mountTinyTmpfs() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(root, "mounting a tmpfs needs root");
    }
    mount = Files.createDirectory(dir.resolve("small"));
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString())
            .inheritIO()
            .start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0)
        .as("mount a 64 KiB tmpfs")
        .isTrue();
  }

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      new ProcessBuilder("umount", mount.toString())
          .inheritIO()
          .start()
          .waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void append_diskFull_failsClosedAndRecovers() throws Exception {
    Path file = mount.resolve("audit.jsonl");
    Path filler = mount.resolve("filler");
    try (AuditLog log = AuditLog.open(file)) {
      assertThat(log.append(AuditLogTest.event("alice", "/a")).get()).isEqualTo(1L);
      // fill the file system to the last byte
      byte[] block = new byte[4096];
      try (var out = Files.newOutputStream(filler)) {
        while (true) {
          out.write(block);
          out.flush();
        }
      } catch (IOException full) {
        // no space left
      }
      // the records still fit in the file's last allocated page; the first one that needs a new
      // page must fail, and must be reported as failed
      long written = 1;
      Throwable failure = null;
      for (int i = 0; i < 100 && failure == null; i++) {
        try {
          written = log.append(AuditLogTest.event("alice", "/b" + i)).get();
        } catch (ExecutionException e) {
          failure = e.getCause();
        }
      }
      assertThat(failure).as("an append on a full disk fails").isInstanceOf(IOException.class);
      AuditVerifier.Result partial = AuditVerifier.verify(file);
      assertThat(partial.ok()).as("no half record left behind").isTrue();
      assertThat(partial.records()).isEqualTo(written);

      Files.delete(filler); // space returns
      assertThat(log.append(AuditLogTest.event("alice", "/c")).get()).isEqualTo(written + 1);
    }
    AuditVerifier.Result r = AuditVerifier.verify(file);
    assertThat(r.ok()).isTrue();
  }

  @Test
  void forwarder_diskFull_getsOnlyTheRecordsThatAreOnDisk() throws Exception {
    Path file = mount.resolve("audit.jsonl");
    Path filler = mount.resolve("filler");
    List<String> forwarded = new CopyOnWriteArrayList<>();
    TrailForwarder recording =
        new TrailForwarder() {
          @Override
          public void records(List<String> lines) {
            forwarded.addAll(lines);
          }

          @Override
          public void anchor(Anchor anchor) {}

          @Override
          public Counters counters() {
            return new Counters(true, true, 0, forwarded.size(), 0, 0);
          }
        };
    try (AuditLog log = AuditLog.open(file, AuditLog.Options.defaults().withForwarder(recording))) {
      log.append(AuditLogTest.event("alice", "/a")).get();
      try (var out = Files.newOutputStream(filler)) {
        while (true) {
          out.write(new byte[4096]);
          out.flush();
        }
      } catch (IOException full) {
        // no space left
      }
      boolean failed = false;
      for (int i = 0; i < 100 && !failed; i++) {
        try {
          log.append(AuditLogTest.event("alice", "/b" + i)).get();
        } catch (ExecutionException e) {
          failed = true;
        }
      }
      assertThat(failed).as("an append on a full disk fails").isTrue();
      assertThat(forwarded).as("what the collector gets").isEqualTo(AuditFiles.records(file));
      Files.delete(filler);
      log.append(AuditLogTest.event("alice", "/c")).get();
    }
    assertThat(forwarded).isEqualTo(AuditFiles.records(file));
  }
}
