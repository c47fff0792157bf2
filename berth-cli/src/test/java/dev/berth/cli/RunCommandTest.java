package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RunCommandTest {
  /** berth run's parsed command, as the light command line parses {@code args} after "run". */
  private static RunCommand parsed(String... args) {
    CommandLine cl = BerthCommand.runOnly();
    String[] all = new String[args.length + 1];
    all[0] = "run";
    System.arraycopy(args, 0, all, 1, args.length);
    CommandLine.ParseResult r = cl.parseArgs(all);
    return (RunCommand) Objects.requireNonNull(r.subcommand()).commandSpec().userObject();
  }

  @Test
  void help_sameTextAsTheAnnotatedCommandPrinted() throws Exception {
    String before =
        new String(
            Objects.requireNonNull(getClass().getResourceAsStream("/run-help.txt")).readAllBytes(),
            StandardCharsets.UTF_8);
    for (CommandLine cl : List.of(BerthCommand.runOnly(), BerthCommand.commandLine())) {
      StringWriter out = new StringWriter();
      cl.setOut(new PrintWriter(out));
      assertThat(cl.execute("run", "--help")).isZero();
      assertThat(out.toString()).isEqualTo(before);
    }
  }

  @Test
  void command_optionsAndDockerArgs_berthsFirstTheRestToDockerAsGiven(@TempDir Path home)
      throws Exception {
    // the working directory (the build's) is outside this home
    RunCommand run =
        parsed(
            "--profile", "gpu", "--profile=big", "--no-home", "-it", "--rm", "busybox", "--print");
    run.environment = Map.of("PWD", home.toString(), "TERM", "xterm");
    Caller alice = new Caller("alice", 1001, 1002, home.toString(), List.of(1002, 1001));
    List<String> cmd = run.command(alice, Map.of(1001, "berthlab", 1002, "alice"));
    assertThat(String.join(" ", cmd))
        .startsWith(
            "docker run --user 1001:1002 --group-add 1001 --security-opt no-new-privileges"
                + " --cap-drop ALL --label dev.berth.profile=gpu,big -v ")
        .doesNotContain(" -w ")
        .contains("-e USER=alice -e LOGNAME=alice -e TERM=xterm")
        .endsWith(" -it --rm busybox --print")
        .doesNotContain("-v " + home + ":" + home);
    assertThat(run.notices)
        .singleElement(STRING)
        .contains("is outside your home, so it is not mounted");
    Path dir = home.resolve(".cache/berth");
    assertThat(Files.readString(dir.resolve("passwd")))
        .contains("alice:x:1001:1002::" + home + ":/bin/sh\n");
    assertThat(Files.readString(dir.resolve("group")))
        .isEqualTo("root:x:0:\nalice:x:1002:alice\nberthlab:x:1001:alice\nnogroup:x:65534:\n");
  }

  @Test
  void command_groupWithoutName_namedByItsGid(@TempDir Path home) throws Exception {
    RunCommand run = parsed("busybox");
    run.environment = Map.of("PWD", home.toString());
    run.command(new Caller("bob", 7, 8, home.toString(), List.of(8, 0, 9)), Map.of(8, "bob"));
    assertThat(Files.readString(home.resolve(".cache/berth/group")))
        .isEqualTo("root:x:0:\nbob:x:8:bob\ngroup9:x:9:bob\nnogroup:x:65534:\n");
  }
}
