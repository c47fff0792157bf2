package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 end to end: alice and bob run the same compose project (same project name, same
 * container, network and volume names) at the same time through berth, with docker compose v2
 * (Debian's {@code docker-compose}, as a CLI plugin). Each sees only their own unprefixed names;
 * {@code ps}, {@code logs}, {@code exec}, re-running {@code up} (no recreation) and {@code down -v}
 * work for each without touching the other's project.
 */
class ComposeNamesIT extends ItBase {
  private static final String PROJECT =
      """
      services:
        db:
          image: %1$s
          command: ["sh", "-c", "echo ready-$$(id -u) > /var/tmp/state; echo db-started;
            exec sleep 300"]
          volumes: [data:/var/tmp]
          networks: [back]
        web:
          image: %1$s
          command: ["sh", "-c", "echo web-started; exec sleep 300"]
          depends_on: [db]
          volumes: ["data:/var/tmp:ro"]
          networks: [back]
      volumes:
        data: {}
      networks:
        back: {}
      """;

  private static BerthServer named;
  private static DockerCli cli;
  private final String project = "lab" + ItEnvironment.RUN_ID;
  private final List<Path> dirs = new ArrayList<>();

  /** berth on the default policy (private names are on by default). */
  @BeforeAll
  static void start() {
    ItEnvironment.require();
    named = BerthServer.start(ItEnvironment.upstreamUrl());
    cli = new DockerCli(named.socket());
  }

  @AfterAll
  static void stop() {
    if (named != null) {
      named.close();
    }
  }

  @AfterEach
  void removeProjects() {
    String label = "label=com.docker.compose.project=" + project;
    Proc.Result ids = DockerCli.upstream("ps", "-aq", "--filter", label);
    DockerCli.removeContainers(
        ids.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
    DockerCli.upstream("network", "prune", "-f", "--filter", label);
    DockerCli.upstream("volume", "prune", "-af", "--filter", label);
    for (Path d : dirs) {
      Proc.run(List.of("rm", "-rf", d.toString()));
    }
  }

  @Test
  void sameProjectName_twoUsersAtOnce_eachRunsAndSeesOnlyTheirOwn() throws Exception {
    Path aliceDir = projectDir(alice);
    Path bobDir = projectDir(bob);
    compose(alice, aliceDir, "up", "-d");
    compose(bob, bobDir, "up", "-d");

    for (UnixUser u : List.of(alice, bob)) {
      Path dir = u.equals(alice) ? aliceDir : bobDir;
      assertThat(compose(u, dir, "ps", "--format", "{{.Name}}").stdout().lines())
          .containsExactlyInAnyOrder(project + "-db-1", project + "-web-1");
      String state = "";
      for (int i = 0; i < 20 && !state.startsWith("ready"); i++) {
        Thread.sleep(i == 0 ? 0 : 250);
        state = run(u, dir, "exec", "-T", "web", "cat", "/var/tmp/state").stdout().strip();
      }
      assertThat(state)
          .as("%s's web reads what %s's db wrote", u.name(), u.name())
          .isEqualTo("ready-" + u.uid());
      assertThat(compose(u, dir, "logs", "--no-color", "db").stdout()).contains("db-started");
      Proc.Result ps = cli.run(u, "ps", "--format", "{{.Names}} {{.Networks}}");
      assertThat(ps.stdout())
          .as(ps.describe())
          .contains(project + "-db-1 " + project + "_back")
          .doesNotContain("u" + u.uid() + "_");
      Proc.Result vols = cli.run(u, "volume", "ls", "--format", "{{.Name}}");
      assertThat(vols.stdout().lines()).as(vols.describe()).contains(project + "_data");
    }
    String aliceIds = compose(alice, aliceDir, "ps", "-q").stdout();
    Proc.Result again = compose(alice, aliceDir, "up", "-d");
    assertThat(again.stderr()).as(again.describe()).doesNotContain("Recreate");
    assertThat(compose(alice, aliceDir, "ps", "-q").stdout())
        .as("no spurious recreation")
        .isEqualTo(aliceIds);

    compose(bob, bobDir, "down", "-v", "-t", "1");
    assertThat(compose(alice, aliceDir, "ps", "--format", "{{.Name}}").stdout().lines())
        .as("bob's down leaves alice's project")
        .hasSize(2);
    assertThat(
            DockerCli.upstream("volume", "inspect", "u" + alice.uid() + "_" + project + "_data")
                .ok())
        .isTrue();
    assertThat(
            DockerCli.upstream("volume", "inspect", "u" + bob.uid() + "_" + project + "_data").ok())
        .isFalse();
    compose(alice, aliceDir, "down", "-v", "-t", "1");
    assertThat(
            DockerCli.upstream(
                    "ps", "-aq", "--filter", "label=com.docker.compose.project=" + project)
                .stdout())
        .isBlank();
  }

  private Proc.Result compose(UnixUser u, Path dir, String... args) {
    Proc.Result r = run(u, dir, args);
    assertThat(r.exitCode()).as("%s: %s", u.name(), r.describe()).isZero();
    return r;
  }

  private Proc.Result run(UnixUser u, Path dir, String... args) {
    List<String> full =
        new ArrayList<>(
            List.of(
                "--config",
                dir.resolve(".docker").toString(),
                "compose",
                "--project-directory",
                dir.toString(),
                "-p",
                project));
    full.addAll(List.of(args));
    return Proc.run(cli.docker(u, full.toArray(String[]::new)), null, Duration.ofSeconds(120));
  }

  /** A project directory owned by {@code u}, with a docker config that finds compose. */
  private Path projectDir(UnixUser u) throws IOException {
    Path d =
        Files.createTempDirectory(
            Path.of("/tmp"),
            "it-names-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    dirs.add(d);
    Path config = Files.createDirectory(d.resolve(".docker"));
    Files.writeString(
        config.resolve("config.json"),
        "{\"cliPluginsExtraDirs\": [\"" + composePluginDir() + "\"]}\n");
    Files.writeString(d.resolve("compose.yaml"), PROJECT.formatted(image));
    Proc.run(List.of("chown", "-R", u.uid() + ":" + u.gid(), d.toString()));
    return d;
  }

  /** Where the compose plugin was unpacked (see the compat suite's scripts). */
  private static String composePluginDir() {
    String v = System.getenv("BERTH_IT_COMPOSE_PLUGINS");
    String dir =
        v == null || v.isBlank()
            ? "/var/cache/berth-test/compose/root/usr/libexec/docker/cli-plugins"
            : v.strip();
    if (!Files.isExecutable(Path.of(dir, "docker-compose"))) {
      ItEnvironment.unavailable(
          "no docker-compose plugin in " + dir + " (set BERTH_IT_COMPOSE_PLUGINS)");
    }
    return dir;
  }
}
