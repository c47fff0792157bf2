package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Per-user bounds from the policy (issue 18 item 2): alice's role bounds her connections below
 * berth's host-wide bound, bob's role sets none; at her bound alice is answered 429 naming the rule
 * while bob, holding more connections than she may, is still served; a reload that raises her
 * role's bound applies to her next connections. Two real users through the real socket.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RoleBoundsIT {
  private static final int HOST = 16;
  private static final int ALICE = 4;
  private static BerthServer berth;
  private static DockerCli cli;
  private static UnixUser alice;
  private static UnixUser bob;
  private static Path dir;
  private static Path policy;
  private static Path script;

  private static String policyText(int aliceConnections) {
    return """
        roles:
          user:
            actions: [ping, system_version, system_info, container_list]
            bounds: {connections: %d, requests_in_flight: 8}
          ci:
            actions: [ping, system_version, system_info, container_list]
        bindings:
          - {role: user, users: [alice]}
          - {role: ci, users: [bob]}
        """
        .formatted(aliceConnections);
  }

  @BeforeAll
  static void start() throws IOException {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    bob = ItEnvironment.user("bob");
    dir = Files.createTempDirectory("berth-role-bounds");
    policy = dir.resolve("policy.yaml");
    Files.writeString(policy, policyText(ALICE), StandardCharsets.UTF_8);
    berth =
        BerthServer.start(
            ItEnvironment.upstreamUrl(),
            List.of(
                "--policy",
                policy.toString(),
                "--max-connections-per-user",
                Integer.toString(HOST)));
    cli = new DockerCli(berth.socket());
    script = dir.resolve("hold-connections.py");
    try (InputStream in = RoleBoundsIT.class.getResourceAsStream("hold-connections.py")) {
      Files.write(script, in.readAllBytes());
    }
    dir.toFile().setExecutable(true, false);
    script.toFile().setReadable(true, false);
  }

  @AfterAll
  static void stop() throws IOException {
    if (berth != null) {
      berth.close();
    }
  }

  /** Holds {@code n} connections as {@code who}; the first line is the status of one more. */
  private static Proc.Running hold(UnixUser who, int n) {
    return Proc.start(
        cli.asUser(
            who,
            List.of(
                "python3",
                script.toString(),
                berth.socket().toString(),
                "idle",
                Integer.toString(n))));
  }

  @Test
  @Order(1)
  void roleBound_aliceAtHerRoleBound_refused429NamingTheRule_bobHoldingMoreServed()
      throws Exception {
    try (Proc.Running alices = hold(alice, ALICE);
        Proc.Running bobs = hold(bob, ALICE * 2)) {
      assertThat(alices.awaitStdout("HELD", Duration.ofSeconds(30)))
          .as(alices.stdout() + alices.stderr())
          .isTrue();
      assertThat(alices.stdout())
          .as("alice's connection beyond her role's bound")
          .startsWith("HTTP/1.1 429 ");
      Proc.Result refused = cli.run(alice, "version");
      assertThat(refused.exitCode()).as("alice herself, at her bound").isNotZero();
      assertThat(refused.stderr())
          .contains("you have " + ALICE + " connections open to berth")
          .contains("(roles.user.bounds.connections)");
      assertThat(bobs.awaitStdout("HELD", Duration.ofSeconds(30)))
          .as(bobs.stdout() + bobs.stderr())
          .isTrue();
      assertThat(bobs.stdout())
          .as("bob's connection beyond alice's bound, within the host's")
          .startsWith("HTTP/1.1 200 ");
      Proc.Result served = cli.run(bob, "version", "--format", "{{.Server.APIVersion}}");
      assertThat(served.exitCode()).as(served.describe()).isZero();
      alices.closeStdin();
      bobs.closeStdin();
      alices.waitFor(Duration.ofSeconds(20));
      bobs.waitFor(Duration.ofSeconds(20));
    }
  }

  @Test
  @Order(2)
  void reload_raisedRoleBound_appliesToAlicesNextConnections() throws Exception {
    Files.writeString(policy, policyText(ALICE * 2), StandardCharsets.UTF_8);
    Proc.Result hup = Proc.run(List.of("kill", "-HUP", Long.toString(berth.pid())));
    assertThat(hup.exitCode()).as(hup.describe()).isZero();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String status = "";
    while (System.nanoTime() < deadline) {
      try (Proc.Running alices = hold(alice, ALICE)) {
        assertThat(alices.awaitStdout("HELD", Duration.ofSeconds(30)))
            .as(alices.stdout() + alices.stderr())
            .isTrue();
        status = alices.stdout().lines().findFirst().orElse("");
        alices.closeStdin();
        alices.waitFor(Duration.ofSeconds(20));
      }
      if (status.startsWith("HTTP/1.1 200 ")) {
        break;
      }
      Thread.sleep(200); // the reload is asynchronous: the old bound until it is in force
    }
    assertThat(status)
        .as("alice's connection beyond her old bound, after the reload\n" + berth.logs())
        .startsWith("HTTP/1.1 200 ");
  }
}
