package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code policy check} shows the repositories only administrators may pull into (issue 13). */
class PolicyProtectedRepositoriesTest {
  @TempDir Path dir;

  @Test
  void check_printsEachProtectedRepository() throws Exception {
    Path policy =
        Files.writeString(
            dir.resolve("p.yaml"),
            """
            roles:
              user:
                actions: [image_create]
            bindings:
              - {role: user, users: ["*"]}
            images:
              protected_repositories: ["registry.site.edu/base/*"]
            """);
    StringWriter out = new StringWriter();
    CommandLine cl = BerthCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(new StringWriter()));
    assertThat(cl.execute("policy", "check", policy.toString())).isZero();
    assertThat(out.toString())
        .contains(
            "protected repository registry.site.edu/base/* (only administrators pull into it)");
  }
}
