package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Long-lived responses and hijacked connections relayed through berth: logs -f and exec. */
class StreamsIT extends ItBase {

  private String startDetached(String hint, String... cmd) {
    String name = container(hint);
    List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, image));
    args.addAll(List.of(cmd));
    Proc.Result r = docker.run(alice, args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.describe()).isZero();
    return name;
  }

  @Test
  void logsFollow_whileContainerPrints_streamsEachLineAsItIsWritten() {
    String name =
        startDetached(
            "logs", "sh", "-c", "for i in 1 2 3; do echo line$i; sleep 1; done; sleep 60");
    try (Proc.Running logs = docker.start(alice, "logs", "-f", name)) {
      assertThat(logs.awaitStdout("line1", Duration.ofSeconds(6)))
          .as("line1 within 6 s; stdout: %s stderr: %s", logs.stdout(), logs.stderr())
          .isTrue();
      long first = System.nanoTime();
      assertThat(logs.awaitStdout("line3", Duration.ofSeconds(6)))
          .as("line3 within 6 s; stdout: %s stderr: %s", logs.stdout(), logs.stderr())
          .isTrue();
      long gapMillis = (System.nanoTime() - first) / 1_000_000;
      // line3 is written ~1-2 s after line1: a relay that buffered the response would deliver
      // them together (or only at the end).
      assertThat(gapMillis)
          .as("line3 arrived %d ms after line1", gapMillis)
          .isGreaterThanOrEqualTo(500);
      assertThat(logs.stdout()).containsSubsequence("line1\n", "line2\n", "line3\n");
      // The container keeps running, so logs -f must still be following.
      assertThat(logs.isAlive()).as("docker logs -f ended early: %s", logs.stderr()).isTrue();
      Proc.Result end = logs.kill();
      assertThat(end.stderr()).as(end.describe()).doesNotContain("Error");
    }
    Proc.Result after = docker.run(alice, "logs", name);
    assertThat(after.exitCode()).as(after.describe()).isZero();
    assertThat(after.stdout()).as(after.describe()).isEqualTo("line1\nline2\nline3\n");
  }

  /** Five rounds, each with its own timeout: one unexplained hang was seen once. */
  @Test
  void execInteractive_withPipedStdin_echoesItAndExitsZeroEveryTime() {
    String name = startDetached("exec-i", "sleep", "120");
    for (int round = 1; round <= 5; round++) {
      Proc.Result r =
          docker.runWithInput(alice, "hi\n", Duration.ofSeconds(30), "exec", "-i", name, "cat");
      assertThat(r.timedOut()).as("round %d hung: %s", round, r.describe()).isFalse();
      assertThat(r.exitCode()).as("round %d: %s", round, r.describe()).isZero();
      assertThat(r.stdout()).as("round %d: %s", round, r.describe()).isEqualTo("hi\n");
    }
  }

  @Test
  void exec_asAlice_runsAsAliceAndRefusesUserRoot() {
    String name = startDetached("exec", "sleep", "60");
    Proc.Result r = docker.run(alice, "exec", name, "id");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout()).as(r.describe()).startsWith(alice.idPrefix() + " ");

    Proc.Result root = docker.run(alice, "exec", "--user", "0", name, "id");
    assertThat(root.exitCode()).as(root.describe()).isNotZero();
    assertThat(root.stderr())
        .as(root.describe())
        .contains("Error response from daemon: berth:")
        .contains("--user 0");

    Proc.Result privileged = docker.run(alice, "exec", "--privileged", name, "id");
    assertThat(privileged.exitCode()).as(privileged.describe()).isNotZero();
    assertThat(privileged.stderr())
        .as(privileged.describe())
        .contains("Error response from daemon: berth:")
        .contains("--privileged");
  }

  /** Why the large-output tests fail today; see {@link #assertAllLines}. */
  private static final String TRUNCATION_BUG =
      "BERTH BUG (hijacked stream cut short, docker "
          + "exits 0): the docker CLI half-closes its side right after the hijack when it has no "
          + "(more) stdin, and berth shuts the client channel's input down (ALLOW_HALF_CLOSURE). When a "
          + "later write to the client hits EAGAIN (reader slower than the container), Netty's "
          + "epoll_ctl(MOD, EPOLLOUT) on the client fd fails with ENOENT - the fd was dropped from epoll "
          + "when its interest set became empty (Netty 4.2, cf. netty/netty#16689). flush0 -> "
          + "handleWriteError -> shutdownOutput fails the queued writes with "
          + "ChannelOutputShutdownException, readNextFromUpstreamOrClose() calls closeBoth(), and the "
          + "client sees a clean EOF. Seen with strace and an instrumented copy of berth; straight to "
          + "the daemon the same command always delivers every line.";

  @Test
  void exec_largeOutput_arrivesComplete() {
    String name = startDetached("exec-big", "sleep", "60");
    // ~1.9 MB through the multiplexed stream.
    Proc.Result r = docker.run(alice, "exec", name, "sh", "-c", "seq 1 300000");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertAllLines(r.stdout().lines().count(), "docker exec, read at full speed");
  }

  /** The reader pauses one second, so berth must hold back (backpressure) rather than drop. */
  @Test
  void exec_largeOutputToSlowReader_arrivesComplete() {
    String name = startDetached("exec-slow", "sleep", "60");
    assertSlowReaderGetsAll("exec " + name + " seq 1 300000", "docker exec");
  }

  @Test
  void run_largeOutputToSlowReader_arrivesComplete() {
    String name = container("run-slow");
    assertSlowReaderGetsAll(
        "run --rm --name " + name + " " + image + " seq 1 300000", "docker run (attach)");
  }

  private void assertSlowReaderGetsAll(String dockerArgs, String what) {
    String cli = DockerCli.quote(ItEnvironment.dockerCli());
    Proc.Result r =
        Proc.run(
            docker.asUser(
                alice,
                List.of(
                    "sh",
                    "-c",
                    "{ "
                        + cli
                        + " "
                        + dockerArgs
                        + "; echo \"docker-exit=$?\" >&2; } | { sleep 1; wc -l; }")),
            null,
            ItEnvironment.PROCESS_TIMEOUT);
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.stderr()).as(r.describe()).contains("docker-exit=0");
    assertAllLines(Long.parseLong(r.stdout().strip()), what + ", read by a slow reader");
  }

  private static void assertAllLines(long lines, String what) {
    assertThat(lines)
        .as("%s: lines received of 300000. %s", what, TRUNCATION_BUG)
        .isEqualTo(300000);
  }
}
