package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Interactive terminals ({@code -it}): docker runs under {@code script}, which gives it a
 * pseudo-terminal, and the test types {@code id} and {@code exit} into it.
 */
class TtyIT extends ItBase {

  @Test
  void execTty_interactiveShell_runsAsAliceAndExits() {
    String name = container("tty-exec");
    Proc.Result run = docker.run(alice, "run", "-d", "--name", name, image, "sleep", "120");
    assertThat(run.exitCode()).as(run.describe()).isZero();

    Proc.Result r = typeInto(docker.dockerInPty(alice, "exec", "-it", name, "sh"));
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout()).as(r.describe()).contains(alice.idPrefix() + " ");
  }

  @Test
  void runTty_interactiveShell_runsAsAliceAndExits() {
    String name = container("tty-run");
    Proc.Result r =
        typeInto(docker.dockerInPty(alice, "run", "--rm", "-it", "--name", name, image, "sh"));
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout()).as(r.describe()).contains(alice.idPrefix() + " ");
  }

  /**
   * Types {@code id} once the shell has printed a prompt, then {@code exit}; the terminal is a pty,
   * so docker forwards keystrokes and the shell's answers through the hijacked connection.
   */
  private static Proc.Result typeInto(List<String> command) {
    try (Proc.Running p = Proc.start(command)) {
      // busybox ash prints "$ " as its prompt (uid != 0); if it never does, type anyway.
      p.awaitStdout("$ ", Duration.ofSeconds(20));
      p.write("id\n");
      p.awaitStdout("uid=", Duration.ofSeconds(10));
      p.write("exit\n");
      return p.waitFor(Duration.ofSeconds(30));
    }
  }
}
