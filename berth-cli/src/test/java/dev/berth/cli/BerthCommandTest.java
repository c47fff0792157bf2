package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BerthCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int execute(String... args) {
    CommandLine cl = BerthCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test
  void execute_unknownCommandWithHelp_isAUsageErrorNotTheTopLevelHelp() {
    assertThat(execute("sing", "--help")).isEqualTo(2);
    assertThat(err.toString())
        .contains("berth: Unmatched argument")
        .contains("'sing'")
        .contains("Run 'berth --help' for usage.");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void execute_misspelledCommand_suggestsTheRightOne() {
    assertThat(execute("doctr")).isEqualTo(2);
    assertThat(err.toString()).contains("Did you mean").contains("doctor");
  }

  @Test
  void execute_unknownOption_namesItAndTheCommandsHelp() {
    assertThat(execute("doctor", "--bogus")).isEqualTo(2);
    assertThat(err.toString())
        .contains("Unknown option: '--bogus'")
        .contains("Run 'berth doctor --help' for usage.");
  }

  @Test
  void runOnly_runHelpAndPrint_sameAsTheFullCommandLine() {
    for (String[] args :
        new String[][] {{"run", "--help"}, {"run", "--print", "--no-home", "busybox", "true"}}) {
      StringWriter fullOut = new StringWriter();
      StringWriter lightOut = new StringWriter();
      CommandLine full = BerthCommand.commandLine();
      full.setOut(new PrintWriter(fullOut));
      full.setErr(new PrintWriter(new StringWriter()));
      CommandLine light = BerthCommand.runOnly();
      light.setOut(new PrintWriter(lightOut));
      light.setErr(new PrintWriter(new StringWriter()));
      assertThat(light.execute(args)).isEqualTo(full.execute(args)).isZero();
      assertThat(lightOut.toString()).isEqualTo(fullOut.toString()).isNotEmpty();
    }
  }

  @Test
  void execute_help_printsUsageAndSucceeds() {
    assertThat(execute("--help")).isZero();
    assertThat(out.toString()).contains("Usage: berth").contains("doctor");
  }

  @Test
  void policyCheck_roleWithPlacement_showsIt(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("p.yaml");
    Files.writeString(
        policy,
        """
        roles:
          user: {actions: [container_create], placement: job}
        bindings: [{role: user, users: ["*"]}]
        """);
    assertThat(execute("policy", "check", policy.toString())).as(err.toString()).isZero();
    assertThat(out.toString()).contains("  placement: job (daemon's cgroup driver cgroupfs)");
  }
}
