package dev.berth.cli;

import dev.berth.audit.Anchor;
import dev.berth.audit.AuditEntry;
import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditFiles;
import dev.berth.audit.AuditResult;
import dev.berth.audit.AuditVerifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth audit}: read and check the audit trail. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Check and read the audit trail.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Tail.class, AuditCommand.Search.class})
final class AuditCommand {
  static final String DEFAULT_FILE = "/var/log/berth/audit.jsonl";

  /** {@code berth audit verify}. */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Check the hash chain of an audit trail: one file, several, or a directory.",
        "Rotated files are read in chain order, and a missing one shows as a gap. Files that "
            + "do not begin the trail are reported as continuing from the record before them.",
        "Exit status 0 when every record links to the one before (and every anchor given "
            + "matches); 1 naming the first record that was changed, inserted, deleted or "
            + "moved, or the anchor that shows a cut-off or rewritten tail. Prints the chain "
            + "head, to compare with an anchor kept elsewhere."
      })
  static final class Verify implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--anchors",
        paramLabel = "FILE|-",
        description = {
          "Check the trail against the anchor lines in FILE (- for standard "
              + "input), for example",
          "  journalctl -t berth-audit -o cat | berth audit verify --anchors - DIR",
          "  grep berth-audit /var/log/auth.log | berth audit verify --anchors - DIR",
          "Other lines are ignored."
        })
    String anchors;

    @CommandLine.Mixin TrailFiles trail;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      List<Anchor> given = List.of();
      if (anchors != null) {
        given = readAnchors(err);
        if (given == null) {
          err.flush();
          return 1;
        }
      }
      AuditVerifier.Result r = AuditVerifier.verify(trail.existing(), given);
      String label = label(r.files());
      if (r.chainOk()) {
        out.printf(
            "%s: ok, %d records, head %s (seq %d in %s)%n",
            label,
            r.records(),
            r.head(),
            r.headSeq(),
            r.headFile().isEmpty() ? "no file" : r.headFile());
        if (!r.fromGenesis()) {
          out.printf(
              "%s: continues from seq %d (hash %s), which is in an earlier file%n",
              label, r.firstSeq() - 1, r.start());
        }
      } else {
        AuditVerifier.Break b = r.broken().orElseThrow();
        err.printf(
            "%s:%d: %s (the %d records before it are intact; head %s)%n",
            b.file(), b.line(), b.problem(), r.records(), r.head());
      }
      if (anchors != null) {
        Map<AuditVerifier.AnchorStatus, Long> counts =
            r.anchors().stream()
                .collect(
                    Collectors.groupingBy(
                        AuditVerifier.AnchorCheck::status,
                        () -> new EnumMap<>(AuditVerifier.AnchorStatus.class),
                        Collectors.counting()));
        out.printf(
            "anchors: %d given: %s%n",
            r.anchors().size(),
            counts.entrySet().stream()
                .map(e -> e.getValue() + " " + label(e.getKey()))
                .collect(Collectors.joining(", ")));
        for (AuditVerifier.AnchorCheck c : r.anchors()) {
          if (c.status().failure()) {
            err.printf("%s: %s: %s%n", c.anchor().line(), label(c.status()), c.detail());
          }
        }
      }
      out.flush();
      err.flush();
      return r.ok() ? 0 : 1;
    }

    /** The anchors of the {@code --anchors} input, or null after reporting a bad input. */
    private @Nullable List<Anchor> readAnchors(PrintWriter err) throws IOException {
      String name = anchors.equals("-") ? "standard input" : anchors;
      List<String> lines;
      if (anchors.equals("-")) {
        lines =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                .lines()
                .toList();
      } else {
        lines = Files.readAllLines(Path.of(anchors), StandardCharsets.UTF_8);
      }
      List<Anchor> found = new ArrayList<>();
      boolean bad = false;
      for (int i = 0; i < lines.size(); i++) {
        var anchor = Anchor.parse(lines.get(i));
        if (anchor.isPresent()) {
          found.add(anchor.get());
        } else if (Anchor.isAnchorLike(lines.get(i))) {
          err.printf("%s:%d: not a valid anchor: %s%n", name, i + 1, lines.get(i));
          bad = true;
        }
      }
      if (found.isEmpty() && !bad) {
        err.printf("%s: no anchor lines (anchor seq=... hash=... file=... time=...)%n", name);
        bad = true;
      }
      return bad ? null : found;
    }

    private static String label(AuditVerifier.AnchorStatus status) {
      return switch (status) {
        case MATCHES -> "match";
        case BEFORE_START -> "before the files given";
        case CUT_OFF -> "cut off";
        case REWRITTEN -> "rewritten";
        case UNCHECKED -> "unchecked (after the break)";
      };
    }

    private static String label(List<Path> files) {
      if (files.size() == 1) {
        return files.getFirst().toString();
      }
      return files.size()
          + " files in chain order ("
          + files.getFirst()
          + " ... "
          + files.getLast().getFileName()
          + ")";
    }
  }

  /** {@code berth audit tail}. */
  @Command(
      name = "tail",
      mixinStandardHelpOptions = true,
      description = "Print the last records of an audit file as readable lines (or JSON).")
  static final class Tail implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-n", "--lines"},
        defaultValue = "20",
        description = "How many records.")
    int lines;

    @Option(names = "--json", description = "Print the records as stored.")
    boolean json;

    @CommandLine.Mixin TrailFiles trail;

    @Override
    public Integer call() throws Exception {
      List<String> all = trail.lines();
      PrintWriter out = spec.commandLine().getOut();
      for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
        print(out, line, json);
      }
      out.flush();
      return 0;
    }
  }

  /** The audit files every subcommand takes. */
  static final class TrailFiles {
    @Parameters(
        paramLabel = "FILE",
        arity = "0..*",
        defaultValue = DEFAULT_FILE,
        description = {
          "Audit files, or directories of them, read in chain order (default: "
              + "${DEFAULT-VALUE}). For the whole trail give its directory, or the active file "
              + "and its rotated files: /var/log/berth/audit*.jsonl."
        })
    List<Path> files;

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    /** The files and directories given; a usage error (exit 2) names one that does not exist. */
    List<Path> existing() {
      for (Path f : files) {
        if (!Files.exists(f)) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), f + ": no such file or directory");
        }
      }
      return files;
    }

    /** Every record of the files, in chain order. */
    List<String> lines() throws IOException {
      List<String> all = new ArrayList<>();
      for (Path f : AuditFiles.inChainOrder(existing())) {
        all.addAll(AuditFiles.records(f));
      }
      return all;
    }
  }

  /** Prints one record as stored ({@code json}) or as a readable line. */
  static void print(PrintWriter out, String line, boolean json) throws IOException {
    if (json) {
      out.println(line);
      return;
    }
    print(out, AuditEntry.parse(line));
  }

  private static void print(PrintWriter out, AuditEntry entry) {
    switch (entry.record()) {
      case AuditResult r ->
          out.printf(
              "%s #%d   result of %s: status %d%s in %d ms%n",
              entry.time(),
              entry.seq(),
              r.decisionId(),
              r.status(),
              r.objectId().isEmpty() ? "" : ", created " + r.objectId(),
              r.millis());
      case AuditEvent e ->
          out.printf(
              "%s #%d %s %s(%d)%s %s %s %s %s%s%n",
              entry.time(),
              entry.seq(),
              e.decisionId(),
              e.user(),
              e.uid(),
              e.loginUid() >= 0 ? " via login uid " + e.loginUid() : "",
              e.decision(),
              e.method(),
              e.path(),
              e.rule(),
              e.reason().isEmpty() ? "" : ": " + e.reason());
    }
  }

  /** {@code berth audit search}. */
  @Command(
      name = "search",
      mixinStandardHelpOptions = true,
      description = {
        "Print the records that match every filter given.",
        "A result record matches when the decision it belongs to matches."
      })
  static final class Search implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--user", description = "User name or uid.")
    String user;

    @Option(names = "--action", description = "Action, e.g. container_create.")
    String action;

    @Option(names = "--decision", description = "allow, deny or error.")
    String decision;

    @Option(names = "--object", description = "Text in the path or the created object's id.")
    String object;

    @Option(names = "--since", description = "ISO-8601 time, e.g. 2026-11-24T08:00:00Z.")
    Instant since;

    @Option(names = "--until", description = "ISO-8601 time.")
    Instant until;

    @Option(names = "--json", description = "Print the records as stored.")
    boolean json;

    @CommandLine.Mixin TrailFiles trail;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      Set<String> matched = new HashSet<>();
      int count = 0;
      for (String line : trail.lines()) {
        AuditEntry entry = AuditEntry.parse(line);
        boolean hit =
            switch (entry.record()) {
              case AuditResult r ->
                  matched.contains(r.decisionId())
                      || (object != null
                          && user == null
                          && action == null
                          && decision == null
                          && r.objectId().contains(object)
                          && inTime(entry));
              case AuditEvent e -> {
                boolean match =
                    (user == null
                            || user.equals(e.user())
                            || user.equals(Integer.toString(e.uid())))
                        && (action == null || action.equals(e.action()))
                        && (decision == null || decision.equals(e.decision()))
                        && (object == null || e.path().contains(object))
                        && inTime(entry);
                if (match) {
                  matched.add(e.decisionId());
                }
                yield match;
              }
            };
        if (hit) {
          if (json) {
            out.println(line);
          } else {
            print(out, entry);
          }
          count++;
        }
      }
      out.flush();
      return count > 0 ? 0 : 1;
    }

    private boolean inTime(AuditEntry entry) {
      Instant t = entry.instant();
      return (since == null || !t.isBefore(since)) && (until == null || t.isBefore(until));
    }
  }
}
