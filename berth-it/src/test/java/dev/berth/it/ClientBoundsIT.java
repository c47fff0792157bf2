package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One user can never deny service to another (issue 18): alice holds as many connections as berth
 * lets one user have, or trickles request heads a byte at a time (slow-loris), while bob's docker
 * commands go on being served. Two real users through the real socket; alice's pressure comes from
 * a small Python client run as alice.
 */
class ClientBoundsIT {
  private static final int CONNECTIONS = 16;
  private static BerthServer berth;
  private static DockerCli cli;
  private static UnixUser alice;
  private static UnixUser bob;
  private static Path script;

  @BeforeAll
  static void start() throws IOException {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    bob = ItEnvironment.user("bob");
    berth =
        BerthServer.start(
            ItEnvironment.upstreamUrl(),
            List.of(
                "--max-connections-per-user",
                Integer.toString(CONNECTIONS),
                "--request-timeout",
                "2s",
                "--idle-timeout",
                "60s"));
    cli = new DockerCli(berth.socket());
    script = Files.createTempFile("hold-connections", ".py");
    try (InputStream in = ClientBoundsIT.class.getResourceAsStream("hold-connections.py")) {
      Files.write(script, in.readAllBytes());
    }
    script.toFile().setReadable(true, false);
  }

  @AfterAll
  static void stop() throws IOException {
    if (berth != null) {
      berth.close();
    }
    if (script != null) {
      Files.deleteIfExists(script);
    }
  }

  @Test
  void connections_oneUserAtTheBound_refused429WhileAnotherUserIsServed() throws Exception {
    try (Proc.Running pressure =
        Proc.start(
            cli.asUser(
                alice,
                List.of(
                    "python3",
                    script.toString(),
                    berth.socket().toString(),
                    "idle",
                    Integer.toString(CONNECTIONS))))) {
      assertThat(pressure.awaitStdout("HELD", Duration.ofSeconds(30)))
          .as(pressure.stdout() + pressure.stderr())
          .isTrue();
      assertThat(pressure.stdout())
          .as("alice's connection beyond the bound")
          .startsWith("HTTP/1.1 429 ");
      Proc.Result bobs = cli.run(bob, "version", "--format", "{{.Server.APIVersion}}");
      assertThat(bobs.exitCode()).as(bobs.describe()).isZero();
      Proc.Result alices = cli.run(alice, "version");
      assertThat(alices.exitCode()).as("alice herself, while at the bound").isNotZero();
      assertThat(alices.stderr())
          .contains("connections open to berth, the most you may have")
          .contains("(berth serve --max-connections-per-user)");
      pressure.closeStdin();
      pressure.waitFor(Duration.ofSeconds(20));
    }
    Proc.Result after = cli.run(alice, "version", "--format", "{{.Server.APIVersion}}");
    assertThat(after.exitCode())
        .as("once alice's connections closed: " + after.describe())
        .isZero();
  }

  @Test
  void slowLoris_headsTrickledByOneUser_answered408InTime_otherUserServed() throws Exception {
    try (Proc.Running pressure =
        Proc.start(
            cli.asUser(
                alice,
                List.of(
                    "python3", script.toString(), berth.socket().toString(), "slow", "10", "8")))) {
      Proc.Result bobs = cli.run(bob, "ps");
      assertThat(bobs.exitCode()).as(bobs.describe()).isZero();
      Proc.Result done = pressure.waitFor(Duration.ofSeconds(30));
      List<String> answers = done.stdout().lines().toList();
      assertThat(answers)
          .as(done.describe())
          .hasSize(10)
          .allMatch(a -> a.startsWith("HTTP/1.1 408 "));
    }
  }
}
