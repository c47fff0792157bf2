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
    subcommands = {AuditCommand.Verify.class, AuditCommand.Tail.class})
final class AuditCommand {
  static final String DEFAULT_FILE = "/var/log/berth/audit.jsonl";

  /** {@code berth audit verify}. */
  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Check the hash chain of an audit file.",
          "Exit status 0 when every record links to the one before; 1 naming the first record "
              + "that was changed, inserted, deleted or moved. Prints the chain head, to compare "
              + "with an anchor kept elsewhere (a deleted tail leaves a valid, shorter chain)."})
  static final class Verify implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE", arity = "0..1", defaultValue = DEFAULT_FILE,
        description = "The audit file (default: ${DEFAULT-VALUE}).")
    Path file;

    @Override
    public Integer call() throws Exception {
      AuditVerifier.Result r = AuditVerifier.verify(file);
      PrintWriter out = spec.commandLine().getOut();
      if (r.ok()) {
        out.printf("%s: ok, %d records, head %s%n", file, r.records(), r.head());
        out.flush();
        return 0;
      }
      PrintWriter err = spec.commandLine().getErr();
      err.printf("%s:%d: %s (the %d records before it are intact; head %s)%n", file, r.badLine(),
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

    @Parameters(paramLabel = "FILE", arity = "0..1", defaultValue = DEFAULT_FILE,
        description = "The audit file (default: ${DEFAULT-VALUE}).")
    Path file;

    @Override
    public Integer call() throws Exception {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      PrintWriter out = spec.commandLine().getOut();
      var mapper = JsonMapper.builder().build();
      for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
        if (json) {
          out.println(line);
          continue;
        }
        JsonNode n = mapper.readTree(line);
        if (n.has("result")) {
          out.printf("%s #%d   result of %s: status %d%s in %d ms%n", n.path("time").asText(),
              n.path("seq").asLong(), n.path("result").asText(), n.path("status").asInt(),
              n.has("objectId") ? ", created " + n.path("objectId").asText() : "",
              n.path("millis").asLong());
          continue;
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
      out.flush();
      return 0;
    }
  }
}
