package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditLog;
import dev.berth.audit.AuditResult;
import dev.berth.audit.FileAnchorSink;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AuditCommandTest {
  @TempDir Path dir;
  Path file;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  @BeforeEach
  void trail() throws Exception {
    file = dir.resolve("audit.jsonl");
    try (AuditLog log = AuditLog.open(file)) {
      log.append(event("a-1", "alice", "allow", "/containers/create")).get();
      log.appendLazily(new AuditResult("a-1", 201, "c0ffee", 12)).get();
      log.append(event("b-1", "bob", "deny", "/containers/create")).get();
    }
  }

  private static AuditEvent event(String id, String user, String decision, String path) {
    return new AuditEvent(
        id,
        decision,
        "container_create",
        decision.equals("deny") ? "no" : "",
        1001,
        user,
        1001,
        1,
        -1,
        "container_create",
        "POST",
        path,
        List.of(),
        "p");
  }

  private int run(String... args) {
    CommandLine cli = BerthCommand.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test
  void verify_intactTrail_ok() {
    assertThat(run("audit", "verify", file.toString())).isZero();
    assertThat(out.toString()).contains("ok, 3 records, head ");
  }

  @Test
  void verify_tamperedTrail_namesTheLine() throws Exception {
    Files.writeString(file, Files.readString(file).replace("\"bob\"", "\"eve\""));
    Files.writeString(file, Files.readString(file).replace("c0ffee", "dead00"));
    assertThat(run("audit", "verify", file.toString())).isEqualTo(1);
    assertThat(err.toString()).contains(file + ":3:");
  }

  @Test
  void search_byUser_includesTheResultOfItsDecisions() {
    assertThat(run("audit", "search", "--user", "alice", file.toString())).isZero();
    assertThat(out.toString())
        .contains("alice(1001) allow POST /containers/create")
        .contains("result of a-1: status 201, created c0ffee")
        .doesNotContain("bob");
  }

  @Test
  void search_noMatch_exitsOne() {
    assertThat(run("audit", "search", "--decision", "error", file.toString())).isEqualTo(1);
  }

  /** A trail of three files (one record each), anchored in {@code anchors.log}; returns its dir. */
  private Path rotatedTrail() throws Exception {
    Path trail = Files.createDirectory(dir.resolve("trail"));
    AuditLog.Options options =
        AuditLog.Options.defaults()
            .withRotation(1, Duration.ofDays(1))
            .withAnchors(
                new FileAnchorSink(dir.resolve("anchors.log")), Duration.ofHours(1), problem -> {});
    try (AuditLog log = AuditLog.open(trail.resolve("audit.jsonl"), options)) {
      for (String user : List.of("alice", "bob", "carol")) {
        log.append(event(user + "-1", user, "allow", "/containers/create")).get();
      }
    }
    return trail;
  }

  private Path rotated(Path trail, long firstSeq) throws Exception {
    try (var files = Files.list(trail)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-" + firstSeq + ".jsonl"))
          .findFirst()
          .orElseThrow();
    }
  }

  @Test
  void verify_directoryOfRotatedFiles_ok() throws Exception {
    Path trail = rotatedTrail();
    assertThat(run("audit", "verify", trail.toString())).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("3 files in chain order", "ok, 3 records, head ", "(seq 3 in audit.jsonl)")
        .doesNotContain("continues from");
  }

  @Test
  void verify_missingMiddleFile_namesTheGap() throws Exception {
    Path trail = rotatedTrail();
    Files.delete(rotated(trail, 2));
    assertThat(run("audit", "verify", trail.toString())).isEqualTo(1);
    assertThat(err.toString())
        .contains("audit.jsonl:1: sequence 3 where 2 was expected", "records 2 to 2 are missing");
  }

  @Test
  void verify_oneRotatedFile_continuesFrom() throws Exception {
    Path trail = rotatedTrail();
    assertThat(run("audit", "verify", rotated(trail, 2).toString())).isZero();
    assertThat(out.toString()).contains("ok, 1 records").contains("continues from seq 1 (hash ");
  }

  @Test
  void verify_anchorsFromStandardInput_cutOffTailReported() throws Exception {
    Path trail = rotatedTrail();
    Path active = trail.resolve("audit.jsonl");
    Files.writeString(active, "");
    String journal =
        "-- Journal begins --\n"
            + Files.readString(dir.resolve("anchors.log")).replace("berth-audit anchor", "anchor");
    var stdin = System.in;
    try {
      System.setIn(new ByteArrayInputStream(journal.getBytes()));
      assertThat(run("audit", "verify", "--anchors", "-", trail.toString())).isEqualTo(1);
    } finally {
      System.setIn(stdin);
    }
    assertThat(out.toString()).contains("ok, 2 records").contains("1 cut off");
    assertThat(err.toString())
        .contains("anchor seq=3 hash=")
        .contains("file=audit.jsonl")
        .contains(": cut off: the trail ends at seq 2: records 3 to 3 were cut off");
  }

  @Test
  void verify_anchorsFile_allMatch() throws Exception {
    Path trail = rotatedTrail();
    assertThat(
            run(
                "audit",
                "verify",
                "--anchors",
                dir.resolve("anchors.log").toString(),
                trail.resolve("audit.jsonl").toString(),
                rotated(trail, 1).toString(),
                rotated(trail, 2).toString()))
        .as(err.toString())
        .isZero();
    assertThat(out.toString()).containsPattern("anchors: \\d+ given: \\d+ match\n");
  }

  @Test
  void verify_anchorsFileWithoutAnchors_exitsOne() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.log"), "nothing here\n");
    assertThat(run("audit", "verify", "--anchors", empty.toString(), file.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("no anchor lines");
  }

  @Test
  void verify_missingFile_usageError() {
    assertThat(run("audit", "verify", dir.resolve("nope.jsonl").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("nope.jsonl: no such file or directory");
  }

  @Test
  void search_acrossRotatedFiles() throws Exception {
    Path trail = rotatedTrail();
    assertThat(run("audit", "search", "--user", "bob", trail.toString())).isZero();
    assertThat(out.toString()).contains("bob(1001) allow").doesNotContain("alice");
  }

  @Test
  void tail_lastRecordAsJson() {
    assertThat(run("audit", "tail", "-n", "1", "--json", file.toString())).isZero();
    assertThat(out.toString()).startsWith("{\"seq\":3,").contains("\"user\":\"bob\"");
  }
}
