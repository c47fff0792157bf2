package dev.berth.cli;

import static java.util.Objects.requireNonNull;

import dev.berth.cli.systemd.JournalLogging;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code berth}: the entry point. */
@Command(name = "berth", mixinStandardHelpOptions = true, version = "berth 0.1.0",
    description = {
        "Lets the non-root users of a shared host use Docker safely.",
        "",
        "berth listens on its own unix socket, learns from the kernel who is calling, and relays to",
        "the real Docker daemon only what its policy allows, after rewriting it so that containers",
        "run as the caller. Point the stock docker CLI at it:",
        "  export DOCKER_HOST=unix:///run/berth/docker.sock"},
    subcommands = {ServeCommand.class, PluginCommand.class, RunCommand.class, PolicyCommand.class,
        AuditCommand.class, MetricsCommand.class, PkiCommand.class,
        CommandLine.HelpCommand.class})
public final class BerthCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    JournalLogging.select(); // before the first logger is made
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new BerthCommand());
    // berth run: berth's options first, then everything (docker run options, image, command)
    // goes to docker as it is.
    requireNonNull(cl.getSubcommands().get("run")).setUnmatchedOptionsArePositionalParams(true)
        .setStopAtPositional(true);
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
