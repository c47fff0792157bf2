package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditLog;
import dev.berth.audit.AuditResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AuditCommandTest {
  @TempDir
  Path dir;
  Path file;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  @BeforeEach
  void trail() throws Exception {
    file = dir.resolve("audit.jsonl");
    try (AuditLog log = AuditLog.open(file)) {
      log.append(event("a-1", "alice", "allow", "/containers/create")).get();
      log.append(new AuditResult("a-1", 201, "c0ffee", 12)).get();
      log.append(event("b-1", "bob", "deny", "/containers/create")).get();
    }
  }

  private static AuditEvent event(String id, String user, String decision, String path) {
    return new AuditEvent(id, decision, "container_create", decision.equals("deny") ? "no" : "",
        1001, user, 1001, 1, -1, "container_create", "POST", path, List.of(), "p");
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
    assertThat(out.toString()).contains("alice(1001) allow POST /containers/create")
        .contains("result of a-1: status 201, created c0ffee").doesNotContain("bob");
  }

  @Test
  void search_noMatch_exitsOne() {
    assertThat(run("audit", "search", "--decision", "error", file.toString())).isEqualTo(1);
  }

  @Test
  void tail_lastRecordAsJson() {
    assertThat(run("audit", "tail", "-n", "1", "--json", file.toString())).isZero();
    assertThat(out.toString()).startsWith("{\"seq\":3,").contains("\"user\":\"bob\"");
  }
}
