package dev.berth.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  @TempDir Path dir;

  static AuditEvent event(String user, String path) {
    return new AuditEvent(
        "d-1",
        "deny",
        "container_create",
        "berth: no\n{\"forged\":1}",
        1001,
        user,
        1001,
        42,
        1000,
        "container_create",
        "POST",
        path,
        List.of("User set to 1001:1001"),
        "abc");
  }

  private Path write(int n) throws Exception {
    Path f = dir.resolve("audit.jsonl");
    try (AuditLog log = AuditLog.open(f)) {
      List<CompletableFuture<Long>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(log.append(event("alice", "/containers/" + i)));
      }
      for (int i = 0; i < n; i++) {
        assertThat(all.get(i).get()).isEqualTo(i + 1L);
      }
    }
    return f;
  }

  private static List<String> lines(Path f) throws Exception {
    return new ArrayList<>(AuditFiles.records(f));
  }

  private static void rewrite(Path f, List<String> lines) throws Exception {
    Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  @Test
  void append_recordsAreDurableChainedAndVerify() throws Exception {
    Path f = write(50);
    assertThat(lines(f)).hasSize(50);
    AuditVerifier.Result r = AuditVerifier.verify(f);
    assertThat(r.ok()).isTrue();
    assertThat(r.records()).isEqualTo(50);
    assertThat(lines(f).get(0))
        .contains("\"prev\":\"" + AuditChain.GENESIS + "\"")
        .contains("\"loginUid\":1000");
  }

  @Test
  void append_newlinesInValues_cannotForgeALine() throws Exception {
    Path f = write(3);
    assertThat(lines(f)).hasSize(3).allSatisfy(l -> assertThat(l).startsWith("{\"seq\":"));
  }

  @Test
  void append_result_chainedWithDecisions() throws Exception {
    Path f = dir.resolve("audit.jsonl");
    try (AuditLog log = AuditLog.open(f)) {
      log.append(event("alice", "/containers/create")).get();
      assertThat(log.appendLazily(new AuditResult("d-1", 201, "c0ffee", 12)).get()).isEqualTo(2L);
    }
    assertThat(lines(f).get(1))
        .contains(
            "\"result\":\"d-1\"", "\"status\":201", "\"objectId\":\"c0ffee\"", "\"millis\":12");
    assertThat(AuditVerifier.verify(f).ok()).isTrue();
  }

  @Test
  void appendLazily_awaitedRecordQueuedAfterIt_endsTheLingerAtOnce() throws Exception {
    Path f = dir.resolve("audit.jsonl");
    AuditLog.Options hour = AuditLog.Options.defaults().withLinger(Duration.ofHours(1));
    try (AuditLog log = AuditLog.open(f, hour)) {
      CompletableFuture<Long> read = log.appendLazily(event("alice", "/containers/json"));
      CompletableFuture<Long> create = log.append(event("alice", "/containers/create"));
      assertThat(create.get(30, TimeUnit.SECONDS)).isEqualTo(2L);
      assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(1L);
    }
    assertThat(lines(f)).hasSize(2);
  }

  @Test
  void appendLazily_nothingAwaited_writtenAfterTheLinger() throws Exception {
    Path f = dir.resolve("audit.jsonl");
    AuditLog.Options brief = AuditLog.Options.defaults().withLinger(Duration.ofMillis(5));
    try (AuditLog log = AuditLog.open(f, brief)) {
      CompletableFuture<Long> read = log.appendLazily(event("alice", "/containers/json"));
      assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(1L);
      assertThat(lines(f)).hasSize(1);
    }
  }

  @Test
  void appendLazily_lingeringAtClose_written() throws Exception {
    Path f = dir.resolve("audit.jsonl");
    AuditLog.Options hour = AuditLog.Options.defaults().withLinger(Duration.ofHours(1));
    CompletableFuture<Long> read;
    try (AuditLog log = AuditLog.open(f, hour)) {
      read = log.appendLazily(event("alice", "/containers/json"));
    }
    assertThat(read).isCompletedWithValue(1L);
    assertThat(AuditVerifier.verify(f).records()).isEqualTo(1);
  }

  @Test
  void open_existingFile_continuesTheChain() throws Exception {
    Path f = write(3);
    try (AuditLog log = AuditLog.open(f)) {
      assertThat(log.append(event("bob", "/x")).get()).isEqualTo(4L);
    }
    assertThat(AuditVerifier.verify(f).ok()).isTrue();
  }

  @Test
  void verify_modifiedRecord_namesTheRecordAfterIt() throws Exception {
    Path f = write(5);
    List<String> l = lines(f);
    l.set(2, l.get(2).replace("alice", "mallory"));
    rewrite(f, l);
    AuditVerifier.Result r = AuditVerifier.verify(f);
    assertThat(r.badLine()).isEqualTo(4);
    assertThat(r.problem()).contains("prev does not match");
  }

  @Test
  void verify_deletedRecord_detected() throws Exception {
    Path f = write(5);
    List<String> l = lines(f);
    l.remove(1);
    rewrite(f, l);
    AuditVerifier.Result r = AuditVerifier.verify(f);
    assertThat(r.badLine()).isEqualTo(2);
    assertThat(r.problem()).contains("sequence 3 where 2");
  }

  @Test
  void verify_insertedRecord_detected() throws Exception {
    Path f = write(5);
    List<String> l = lines(f);
    l.add(2, l.get(1));
    rewrite(f, l);
    assertThat(AuditVerifier.verify(f).badLine()).isEqualTo(3);
  }

  @Test
  void verify_reorderedRecords_detected() throws Exception {
    Path f = write(5);
    List<String> l = lines(f);
    String a = l.get(1);
    l.set(1, l.get(2));
    l.set(2, a);
    rewrite(f, l);
    assertThat(AuditVerifier.verify(f).badLine()).isEqualTo(2);
  }

  @Test
  void verify_garbageLine_detected() throws Exception {
    Path f = write(2);
    Files.writeString(f, "not json\n", StandardOpenOption.APPEND);
    AuditVerifier.Result r = AuditVerifier.verify(f);
    assertThat(r.badLine()).isEqualTo(3);
    assertThat(r.head()).isEqualTo(AuditChain.hash(lines(f).get(1)));
  }

  @Test
  void open_partialLastLine_refused() throws Exception {
    Path f = write(2);
    Files.writeString(f, "{\"seq\":3", StandardOpenOption.APPEND);
    assertThatThrownBy(() -> AuditLog.open(f)).hasMessageContaining("partial line");
  }
}
