package dev.berth.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The preallocated zero tail of the active file: written with the batches, cut off on rotation and
 * close, found again after a crash, and never mistaken for records by readers and the verifier.
 */
class AuditPreallocationTest {
  @TempDir Path dir;

  private Path active() {
    return dir.resolve("audit.jsonl");
  }

  private static void append(AuditLog log, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      log.append(AuditLogTest.event("alice", "/c/" + i)).get();
    }
  }

  /** What a crash leaves: the records, then the zero tail the writer had preallocated. */
  private void crashTail() throws Exception {
    Files.write(active(), new byte[ActiveFile.PREALLOCATE], StandardOpenOption.APPEND);
  }

  @Test
  void append_openTrail_recordsEndBeforeTheZeroTail() throws Exception {
    try (AuditLog log = AuditLog.open(active())) {
      append(log, 3);
      assertThat(Files.size(active())).isGreaterThan(ActiveFile.PREALLOCATE);
      assertThat(AuditFiles.records(active()))
          .hasSize(3)
          .allSatisfy(l -> assertThat(l).startsWith("{\"seq\":"));
      AuditVerifier.Result r = AuditVerifier.verify(active());
      assertThat(r.ok()).as(r.problem()).isTrue();
      assertThat(r.records()).isEqualTo(3);
      assertThat(AuditFiles.dataEnd(active())).isEqualTo(Files.readString(active()).indexOf('\0'));
    }
  }

  @Test
  void close_cutsTheZeroTail_fileEndsWithItsLastRecord() throws Exception {
    try (AuditLog log = AuditLog.open(active())) {
      append(log, 3);
    }
    String text = Files.readString(active(), StandardCharsets.UTF_8);
    assertThat(text).endsWith("}\n").doesNotContain("\0");
    assertThat(text.lines()).hasSize(3);
  }

  @Test
  void rotate_openTrail_rotatedFilesHaveNoZeroTail() throws Exception {
    try (AuditLog log =
        AuditLog.open(active(), AuditLog.Options.defaults().withRotation(1, Duration.ofDays(1)))) {
      append(log, 3);
      List<Path> files = AuditFiles.inChainOrder(List.of(dir));
      assertThat(files).hasSize(3).last().isEqualTo(active());
      for (Path rotated : files.subList(0, 2)) {
        assertThat(Files.readString(rotated)).endsWith("}\n").doesNotContain("\0");
      }
      AuditVerifier.Result r = AuditVerifier.verify(List.of(dir), List.of());
      assertThat(r.ok()).as(r.problem()).isTrue();
      assertThat(r.records()).isEqualTo(3);
    }
  }

  @Test
  void open_afterCrashWithZeroTail_chainContinuesAfterTheLastRecord() throws Exception {
    try (AuditLog log = AuditLog.open(active())) {
      append(log, 2);
    }
    crashTail();
    try (AuditLog log = AuditLog.open(active())) {
      assertThat(log.head().seq()).isEqualTo(2);
      append(log, 2);
    }
    assertThat(Files.readString(active())).doesNotContain("\0");
    AuditVerifier.Result r = AuditVerifier.verify(active());
    assertThat(r.ok()).as(r.problem()).isTrue();
    assertThat(r.records()).isEqualTo(4);
  }

  @Test
  void open_afterCrashBeforeTheFirstRecord_onlyZeros_continuesFromTheRotatedFile()
      throws Exception {
    try (AuditLog log =
        AuditLog.open(active(), AuditLog.Options.defaults().withRotation(1, Duration.ofDays(1)))) {
      append(log, 2);
    }
    // a rotation whose new file's first batch never landed: only its zero tail did
    Files.move(active(), dir.resolve("audit-20261207T000000Z-2.jsonl"));
    Files.write(active(), new byte[ActiveFile.PREALLOCATE]);
    assertThat(AuditVerifier.verify(List.of(dir), List.of()).ok()).isTrue();
    try (AuditLog log = AuditLog.open(active())) {
      assertThat(log.head().seq()).isEqualTo(2);
      append(log, 1);
    }
    AuditVerifier.Result r = AuditVerifier.verify(List.of(dir), List.of());
    assertThat(r.ok()).as(r.problem()).isTrue();
    assertThat(r.records()).isEqualTo(3);
  }

  @Test
  void verify_recordHiddenAfterZeros_detected() throws Exception {
    try (AuditLog log = AuditLog.open(active())) {
      append(log, 3);
    }
    List<String> lines = AuditFiles.records(active());
    // record 2 overwritten with zeros of its length: the chain before it is intact, the rest hidden
    String zeros = "\0".repeat(lines.get(1).length());
    Files.writeString(active(), lines.get(0) + "\n" + zeros + "\n" + lines.get(2) + "\n");
    assertThat(AuditFiles.records(active())).hasSize(1);
    AuditVerifier.Result r = AuditVerifier.verify(active());
    assertThat(r.chainOk()).isFalse();
    assertThat(r.badLine()).isEqualTo(3);
    assertThat(r.problem()).contains("after zero bytes");
  }
}
