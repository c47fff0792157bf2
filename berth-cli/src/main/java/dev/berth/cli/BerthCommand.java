package dev.berth.cli;

import static java.util.Objects.requireNonNull;

import dev.berth.cli.systemd.JournalLogging;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/** {@code berth}: the entry point. */
@Command(
    name = "berth",
    mixinStandardHelpOptions = true,
    version = "berth 0.1.0",
    description = {
      "Lets the non-root users of a shared host use Docker safely.",
      "",
      "berth listens on its own unix socket, learns from the kernel who is calling, and relays to",
      "the real Docker daemon only what its policy allows, after rewriting it so that containers",
      "run as the caller. Point the stock docker CLI at it:",
      "  export DOCKER_HOST=unix:///run/berth/docker.sock"
    },
    subcommands = {
      ServeCommand.class,
      PluginCommand.class,
      RunCommand.class,
      PolicyCommand.class,
      AuditCommand.class,
      MetricsCommand.class,
      PkiCommand.class,
      DoctorCommand.class,
      LoginCommand.class,
      CommandLine.HelpCommand.class
    })
public final class BerthCommand implements Runnable {
  private static final String NO_CLOSURES = "picocli.disable.closures";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    JournalLogging.select(); // before the first logger is made
    // picocli looks for Groovy's Closure class when it starts: a class nobody has, so the class
    // loader opens every jar of the class path for it (docs/benchmarks.md, session 6).
    if (System.getProperty(NO_CLOSURES) == null) {
      System.setProperty(NO_CLOSURES, "true");
    }
    boolean run = args.length > 0 && args[0].equals("run");
    System.exit((run ? runOnly() : commandLine()).execute(args));
  }

  static CommandLine commandLine() {
    return configure(new CommandLine(new BerthCommand()));
  }

  /**
   * {@code berth} with only its {@code run} subcommand: what a user types in front of every
   * container. picocli inspects every subcommand's class when it builds the full command line, and
   * some of them reach BouncyCastle, whose signed jars the JVM verifies (RSA, the algorithm
   * constraints) and cannot keep in a class-data cache: half of {@code berth run}'s start-up. No
   * annotation is read on this path: {@code run}'s model is built in code.
   */
  static CommandLine runOnly() {
    CommandLine root = new CommandLine(CommandLine.Model.CommandSpec.create().name("berth"));
    root.addSubcommand("run", RunCommand.commandLine());
    return configure(root);
  }

  private static CommandLine configure(CommandLine cl) {
    // berth run: berth's options first, then everything (docker run options, image, command)
    // goes to docker as it is.
    requireNonNull(cl.getSubcommands().get("run"))
        .setUnmatchedOptionsArePositionalParams(true)
        .setStopAtPositional(true);
    cl.setUsageHelpWidth(100);
    cl.setExecutionStrategy(BerthCommand::rejectUnmatchedThenRun);
    cl.setParameterExceptionHandler(BerthCommand::usageError);
    return cl;
  }

  /**
   * picocli lets a help option win over arguments it did not match ({@code berth login --help}
   * printed the top-level help and exited 0); an argument nobody asked for is an error even then.
   */
  private static int rejectUnmatchedThenRun(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (!p.unmatched().isEmpty()) {
        throw new UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
      }
    }
    return new CommandLine.RunLast().execute(parsed);
  }

  /** A usage error: what was wrong, what was probably meant, where the help is; status 2. */
  private static int usageError(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println("berth: " + e.getMessage());
    UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Run '" + cl.getCommandSpec().qualifiedName() + " --help' for usage.");
    err.flush();
    return 2;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
