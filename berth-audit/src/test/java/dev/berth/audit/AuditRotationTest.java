package dev.berth.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotation by size and age, the chain across files, and reopening after a cut-short rotation. */
class AuditRotationTest {
  private static final Instant T0 = Instant.parse("2026-11-24T22:44:45.123Z");

  @TempDir Path dir;
  final TestClock clock = new TestClock(T0);

  private Path active() {
    return dir.resolve("audit.jsonl");
  }

  private AuditLog open(long maxBytes, Duration maxAge) throws Exception {
    return AuditLog.open(
        active(), AuditLog.Options.defaults().withClock(clock).withRotation(maxBytes, maxAge));
  }

  /** Appends records one by one (one batch each), checking their seqs. */
  private static void appendEach(AuditLog log, long fromSeq, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      assertThat(log.append(AuditLogTest.event("alice", "/c/" + (fromSeq + i))).get())
          .isEqualTo(fromSeq + i);
    }
  }

  private List<Path> files() throws Exception {
    return AuditFiles.inChainOrder(List.of(dir));
  }

  private static List<String> lines(Path f) throws Exception {
    return AuditFiles.records(f);
  }

  @Test
  void rotate_bySize_newFilesContinueTheChain() throws Exception {
    int recordBytes;
    try (AuditLog log = open(3000, Duration.ofDays(1))) {
      appendEach(log, 1, 1);
      recordBytes = lines(active()).getFirst().length() + 1;
      appendEach(log, 2, 19);
    }
    List<Path> files = files();
    assertThat(files).hasSizeGreaterThanOrEqualTo(3).last().isEqualTo(active());
    for (Path f : files) {
      assertThat(Files.size(f))
          .as(f.toString())
          .isLessThanOrEqualTo(3000)
          .isGreaterThanOrEqualTo(recordBytes - 100);
    }
    // each file's first record links to the last record of the file before
    for (int i = 1; i < files.size(); i++) {
      List<String> before = lines(files.get(i - 1));
      assertThat(lines(files.get(i)).getFirst())
          .contains("\"prev\":\"" + AuditChain.hash(before.getLast()) + "\"");
    }
    AuditVerifier.Result r = AuditVerifier.verify(List.of(dir), List.of());
    assertThat(r.ok()).as(r.problem()).isTrue();
    assertThat(r.records()).isEqualTo(20);
    assertThat(r.fromGenesis()).isTrue();
    assertThat(r.headSeq()).isEqualTo(20);
  }

  @Test
  void rotate_bySize_rotatedNameSaysWhereTheFileBegins() throws Exception {
    try (AuditLog log = open(1, Duration.ofDays(1))) {
      appendEach(log, 1, 3);
    }
    assertThat(files())
        .extracting(p -> p.getFileName().toString())
        .containsExactly(
            "audit-20261124T224445Z-1.jsonl", "audit-20261124T224445Z-2.jsonl", "audit.jsonl");
    assertThat(lines(active())).hasSize(1).first().asString().startsWith("{\"seq\":3,");
  }

  @Test
  void rotate_batchLargerThanMaxSize_writtenWholeIntoOneFile() throws Exception {
    try (AuditLog log = open(1, Duration.ofDays(1))) {
      // queued together, so the writer takes them as one batch (or a few): none is split
      var all =
          Stream.iterate(0, i -> i + 1)
              .limit(200)
              .map(i -> log.append(AuditLogTest.event("alice", "/b/" + i)))
              .toList();
      for (var f : all) {
        f.get();
      }
    }
    List<Path> files = files();
    assertThat(files.size()).isLessThan(200); // batches, not records, went to files
    for (Path f : files) {
      assertThat(Files.readString(f)).endsWith("}\n");
    }
    assertThat(AuditVerifier.verify(List.of(dir), List.of()).records()).isEqualTo(200);
  }

  @Test
  void rotate_byAge_whenTheFirstRecordIsOldEnough() throws Exception {
    try (AuditLog log = open(1L << 30, Duration.ofHours(1))) {
      appendEach(log, 1, 2);
      clock.advance(Duration.ofMinutes(59));
      appendEach(log, 3, 1);
      assertThat(files()).containsExactly(active());
      clock.advance(Duration.ofMinutes(1));
      appendEach(log, 4, 1);
    }
    assertThat(files())
        .extracting(p -> p.getFileName().toString())
        .containsExactly("audit-20261124T224445Z-1.jsonl", "audit.jsonl");
    assertThat(lines(dir.resolve("audit-20261124T224445Z-1.jsonl"))).hasSize(3);
    assertThat(lines(active())).hasSize(1);
    assertThat(AuditVerifier.verify(List.of(dir), List.of()).ok()).isTrue();
  }

  @Test
  void rotate_byAge_ageCountsFromTheFirstRecordOfAReopenedFile() throws Exception {
    try (AuditLog log = open(1L << 30, Duration.ofHours(1))) {
      appendEach(log, 1, 1);
    }
    clock.advance(Duration.ofHours(2));
    try (AuditLog log = open(1L << 30, Duration.ofHours(1))) {
      appendEach(log, 2, 1);
    }
    assertThat(files()).hasSize(2);
  }

  @Test
  void open_crashBetweenRenameAndNewFile_resumesTheChain() throws Exception {
    try (AuditLog log = open(1L << 30, Duration.ofDays(1))) {
      appendEach(log, 1, 5);
    }
    // the state a crash right after rotation's rename leaves: no active file
    Files.move(active(), AuditFiles.rotatedName(active(), T0, 1));
    try (AuditLog log = open(1L << 30, Duration.ofDays(1))) {
      assertThat(log.head().seq()).isEqualTo(5);
      assertThat(log.head().file()).isEqualTo("audit-20261124T224445Z-1.jsonl");
      appendEach(log, 6, 2);
    }
    AuditVerifier.Result r = AuditVerifier.verify(List.of(dir), List.of());
    assertThat(r.ok()).as(r.problem()).isTrue();
    assertThat(r.fromGenesis()).isTrue();
    assertThat(r.records()).isEqualTo(7);
  }

  @Test
  void open_crashAfterNewEmptyFile_resumesTheChain() throws Exception {
    try (AuditLog log = open(1L << 30, Duration.ofDays(1))) {
      appendEach(log, 1, 3);
    }
    Files.move(active(), AuditFiles.rotatedName(active(), T0, 1));
    Files.createFile(active());
    try (AuditLog log = open(1L << 30, Duration.ofDays(1))) {
      appendEach(log, 4, 1);
    }
    assertThat(AuditVerifier.verify(List.of(dir), List.of()).ok()).isTrue();
  }

  @Test
  void open_afterRotationWithoutNewRecords_continuesFromTheNewestRotatedFile() throws Exception {
    try (AuditLog log = open(1, Duration.ofDays(1))) {
      appendEach(log, 1, 3); // three files: -1, -2 and the active file with seq 3
    }
    Files.move(active(), AuditFiles.rotatedName(active(), T0, 3));
    try (AuditLog log = open(1, Duration.ofDays(1))) {
      assertThat(log.head().seq()).isEqualTo(3); // not 2, not a new chain
      appendEach(log, 4, 1);
    }
    assertThat(AuditVerifier.verify(List.of(dir), List.of()).ok()).isTrue();
  }

  @Test
  void rotate_rotatedNameTaken_failsClosedKeepsTheOtherFileAndRecovers() throws Exception {
    Path obstacle = dir.resolve("audit-20261124T224445Z-1.jsonl");
    try (AuditLog log = open(1, Duration.ofDays(1))) {
      appendEach(log, 1, 1);
      Files.writeString(obstacle, "someone else's file\n");
      assertThatThrownBy(() -> log.append(AuditLogTest.event("alice", "/x")).get())
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("cannot rotate the audit trail")
          .hasMessageContaining("exists already");
      assertThat(Files.readString(obstacle)).isEqualTo("someone else's file\n");
      assertThat(lines(active())).hasSize(1); // nothing was written unrotated either

      Files.delete(obstacle);
      appendEach(log, 2, 1);
    }
    AuditVerifier.Result r = AuditVerifier.verify(List.of(dir), List.of());
    assertThat(r.ok()).as(r.problem()).isTrue();
    assertThat(r.records()).isEqualTo(2);
  }

  @Test
  void verify_missingMiddleFile_detected() throws Exception {
    try (AuditLog log = open(1, Duration.ofDays(1))) {
      appendEach(log, 1, 4);
    }
    Files.delete(dir.resolve("audit-20261124T224445Z-2.jsonl"));
    AuditVerifier.Result r = AuditVerifier.verify(List.of(dir), List.of());
    assertThat(r.chainOk()).isFalse();
    assertThat(r.broken().orElseThrow().file().getFileName())
        .hasToString("audit-20261124T224445Z-3.jsonl");
    assertThat(r.problem())
        .contains("records 2 to 2 are missing")
        .contains("between audit-20261124T224445Z-1.jsonl and this one");
    assertThat(r.records()).isEqualTo(1);
  }

  @Test
  void verify_rotatedFileAlone_continuesFromTheRecordBeforeIt() throws Exception {
    try (AuditLog log = open(1, Duration.ofDays(1))) {
      appendEach(log, 1, 3);
    }
    Path middle = dir.resolve("audit-20261124T224445Z-2.jsonl");
    AuditVerifier.Result r = AuditVerifier.verify(middle);
    assertThat(r.ok()).isTrue();
    assertThat(r.fromGenesis()).isFalse();
    assertThat(r.firstSeq()).isEqualTo(2);
    assertThat(r.start())
        .isEqualTo(
            AuditChain.hash(lines(dir.resolve("audit-20261124T224445Z-1.jsonl")).getFirst()));
  }

  @Test
  void verify_filesGivenInAnyOrder_checkedInChainOrder() throws Exception {
    try (AuditLog log = open(1, Duration.ofDays(1))) {
      appendEach(log, 1, 3);
    }
    List<Path> reversed = files().reversed();
    AuditVerifier.Result r = AuditVerifier.verify(reversed, List.of());
    assertThat(r.ok()).isTrue();
    assertThat(r.files()).isEqualTo(files());
  }

  @Test
  void verify_changedLastRecordOfARotatedFile_detectedInTheNextFile() throws Exception {
    try (AuditLog log = open(1, Duration.ofDays(1))) {
      appendEach(log, 1, 3);
    }
    Path first = dir.resolve("audit-20261124T224445Z-1.jsonl");
    Files.writeString(first, Files.readString(first).replace("alice", "mallory"));
    AuditVerifier.Result r = AuditVerifier.verify(List.of(dir), List.of());
    assertThat(r.badLine()).isEqualTo(1);
    assertThat(r.broken().orElseThrow().file().getFileName())
        .hasToString("audit-20261124T224445Z-2.jsonl");
    assertThat(r.problem())
        .contains("does not match the last record of " + "audit-20261124T224445Z-1.jsonl");
  }
}
