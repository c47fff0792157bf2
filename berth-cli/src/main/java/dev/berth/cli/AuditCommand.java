package dev.berth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.berth.audit.AuditVerifier;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth audit}: read and check the audit trail. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "Check and read the audit trail.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Tail.class,
        AuditCommand.Search.class})
final class AuditCommand {
  static final String DEFAULT_FILE = "/var/log/berth/audit.jsonl";
  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
      JsonMapper.builder().build();

  /** {@code berth audit verify}. */
  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Check the hash chain of an audit file.",
          "Exit status 0 when every record links to the one before; 1 naming the first record "
              + "that was changed, inserted, deleted or moved. Prints the chain head, to compare "
              + "with an anchor kept elsewhere (a deleted tail leaves a valid, shorter chain)."})
  static final class Verify implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    AuditFile trail;

    @Override
    public Integer call() throws Exception {
      AuditVerifier.Result r = AuditVerifier.verify(trail.file);
      PrintWriter out = spec.commandLine().getOut();
      if (r.ok()) {
        out.printf("%s: ok, %d records, head %s%n", trail.file, r.records(), r.head());
        out.flush();
        return 0;
      }
      PrintWriter err = spec.commandLine().getErr();
      err.printf("%s:%d: %s (the %d records before it are intact; head %s)%n", trail.file, r.badLine(),
          r.problem(), r.records(), r.head());
      err.flush();
      return 1;
    }
  }

  /** {@code berth audit tail}. */
  @Command(name = "tail", mixinStandardHelpOptions = true,
      description = "Print the last records of an audit file as readable lines (or JSON).")
  static final class Tail implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-n", "--lines"}, defaultValue = "20", description = "How many records.")
    int lines;

    @Option(names = "--json", description = "Print the records as stored.")
    boolean json;

    @CommandLine.Mixin
    AuditFile trail;

    @Override
    public Integer call() throws Exception {
      List<String> all = Files.readAllLines(trail.file, StandardCharsets.UTF_8);
      PrintWriter out = spec.commandLine().getOut();
      for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
        print(out, line, json);
      }
      out.flush();
      return 0;
    }
  }

  /** The audit file argument every subcommand takes. */
  static final class AuditFile {
    @Parameters(paramLabel = "FILE", arity = "0..1", defaultValue = DEFAULT_FILE,
        description = "The audit file (default: ${DEFAULT-VALUE}).")
    Path file;
  }

  /** Prints one record as stored ({@code json}) or as a readable line. */
  static void print(PrintWriter out, String line, boolean json) throws java.io.IOException {
    if (json) {
      out.println(line);
      return;
    }
    JsonNode n = MAPPER.readTree(line);
    if (n.has("result")) {
      out.printf("%s #%d   result of %s: status %d%s in %d ms%n", n.path("time").asText(),
          n.path("seq").asLong(), n.path("result").asText(), n.path("status").asInt(),
          n.has("objectId") ? ", created " + n.path("objectId").asText() : "",
          n.path("millis").asLong());
      return;
    }
    JsonNode p = n.path("principal");
    out.printf("%s #%d %s %s(%d)%s %s %s %s %s%s%n", n.path("time").asText(),
        n.path("seq").asLong(), n.path("decisionId").asText(), p.path("user").asText(),
        p.path("uid").asInt(),
        p.has("loginUid") ? " via login uid " + p.path("loginUid").asInt() : "",
        n.path("decision").asText(), n.path("method").asText(), n.path("path").asText(),
        n.path("rule").asText(),
        n.has("reason") ? ": " + n.path("reason").asText() : "");
  }

  /** {@code berth audit search}. */
  @Command(name = "search", mixinStandardHelpOptions = true,
      description = {"Print the records that match every filter given.",
          "A result record matches when the decision it belongs to matches."})
  static final class Search implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--user", description = "User name or uid.")
    String user;

    @Option(names = "--action", description = "Action, e.g. container_create.")
    String action;

    @Option(names = "--decision", description = "allow, deny or error.")
    String decision;

    @Option(names = "--object", description = "Text in the path or the created object's id.")
    String object;

    @Option(names = "--since", description = "ISO-8601 time, e.g. 2026-11-24T08:00:00Z.")
    java.time.Instant since;

    @Option(names = "--until", description = "ISO-8601 time.")
    java.time.Instant until;

    @Option(names = "--json", description = "Print the records as stored.")
    boolean json;

    @CommandLine.Mixin
    AuditFile trail;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      java.util.Set<String> matched = new java.util.HashSet<>();
      int count = 0;
      for (String line : Files.readAllLines(trail.file, StandardCharsets.UTF_8)) {
        JsonNode n = MAPPER.readTree(line);
        boolean hit;
        if (n.has("result")) {
          hit = matched.contains(n.path("result").asText())
              || (object != null && user == null && action == null && decision == null
                  && n.path("objectId").asText().contains(object) && inTime(n));
        } else {
          JsonNode p = n.path("principal");
          hit = (user == null || user.equals(p.path("user").asText())
                  || user.equals(p.path("uid").asText()))
              && (action == null || action.equals(n.path("action").asText()))
              && (decision == null || decision.equals(n.path("decision").asText()))
              && (object == null || n.path("path").asText().contains(object))
              && inTime(n);
          if (hit) {
            matched.add(n.path("decisionId").asText());
          }
        }
        if (hit) {
          print(out, line, json);
          count++;
        }
      }
      out.flush();
      return count > 0 ? 0 : 1;
    }

    private boolean inTime(JsonNode n) {
      java.time.Instant t = java.time.Instant.parse(n.path("time").asText());
      return (since == null || !t.isBefore(since)) && (until == null || t.isBefore(until));
    }
  }
}
