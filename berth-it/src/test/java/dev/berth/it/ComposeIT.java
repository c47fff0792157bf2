package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * docker compose v2 (Debian's {@code docker-compose} package, fetched by {@code scripts/engine.sh
 * fetch-compose} and installed as a CLI plugin through the user's {@code cliPluginsExtraDirs})
 * driving a two-service project, side by side on the daemon and through berth: a named volume a
 * service writes to, a custom network, {@code depends_on}, a published port, {@code exec}, {@code
 * run --rm}, {@code logs} and {@code down -v}.
 */
class ComposeIT extends ItBase {
  private static final String PROJECT =
      """
      services:
        db:
          image: %1$s
          command: ["sh", "-c", "echo ready > /data/state; echo db-started; exec sleep 300"]
          volumes: [data:/data]
          networks: [back]
        web:
          image: %1$s
          command: ["sh", "-c", "echo web-started; exec sleep 300"]
          depends_on: [db]
          ports: ["127.0.0.1::8080"]
          volumes: ["data:/data:ro"]
          networks: [back]
      volumes:
        data: {}
      networks:
        back: {}
      """;

  private final List<String> projects = new ArrayList<>();
  private final List<Path> dirs = new ArrayList<>();

  @AfterEach
  void removeProjects() {
    for (String p : projects) {
      String label = "label=com.docker.compose.project=" + p;
      Proc.Result ids = DockerCli.upstream("ps", "-aq", "--filter", label);
      List<String> all = ids.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
      DockerCli.removeContainers(all);
      DockerCli.upstream("network", "prune", "-f", "--filter", label);
      DockerCli.upstream("volume", "prune", "-af", "--filter", label);
    }
    for (Path d : dirs) {
      Proc.run(List.of("rm", "-rf", d.toString()));
    }
  }

  @ParameterizedTest
  @EnumSource(CliCompatIT.Side.class)
  void compose_upExecRunLogsDown_worksAsOnAPrivateDaemon(CliCompatIT.Side side)
      throws IOException, InterruptedException {
    String project = "it" + ItEnvironment.RUN_ID + side.name().toLowerCase() + projects.size();
    projects.add(project);
    Path dir = projectDir();
    Files.writeString(dir.resolve("compose.yaml"), PROJECT.formatted(image));
    chownToAlice(dir.resolve("compose.yaml"));

    compose(side, dir, project, "up", "-d");
    assertThat(compose(side, dir, project, "ps", "--services").stdout().lines())
        .containsExactlyInAnyOrder("db", "web");
    String state = "";
    for (int i = 0; i < 20 && !state.equals("ready"); i++) {
      state =
          compose(side, dir, project, "exec", "-T", "web", "cat", "/data/state").stdout().strip();
      Thread.sleep(i == 0 ? 0 : 250);
    }
    assertThat(state).as("web reads what db wrote into the shared named volume").isEqualTo("ready");
    assertThat(compose(side, dir, project, "port", "web", "8080").stdout().strip())
        .matches("127\\.0\\.0\\.1:\\d+");
    assertThat(
            compose(
                    side,
                    dir,
                    project,
                    "run",
                    "--rm",
                    "-T",
                    "--no-deps",
                    "db",
                    "sh",
                    "-c",
                    "cat /data/state; echo ran")
                .stdout())
        .contains("ready", "ran");
    assertThat(compose(side, dir, project, "logs", "--no-color", "db", "web").stdout())
        .contains("db-started", "web-started");
    compose(side, dir, project, "down", "-v", "-t", "1");
    assertThat(
            DockerCli.upstream(
                    "ps", "-aq", "--filter", "label=com.docker.compose.project=" + project)
                .stdout())
        .isBlank();
    assertThat(
            DockerCli.upstream(
                    "volume", "ls", "-q", "--filter", "label=com.docker.compose.project=" + project)
                .stdout())
        .isBlank();
    assertThat(
            DockerCli.upstream(
                    "network",
                    "ls",
                    "-q",
                    "--filter",
                    "label=com.docker.compose.project=" + project)
                .stdout())
        .isBlank();
  }

  /**
   * HC-07: compose's {@code .:/app} plus an anonymous {@code /app/node_modules} nests a mount in a
   * directory the user controls from the host (the CVE-2021-30465 shape), so berth refuses it and
   * says where to mount the volume instead; mounted there, the same project runs.
   */
  @Test
  void compose_nodeModulesVolumeInsideTheAppBind_refusedSayingWhereToMountIt_thereItRuns()
      throws IOException {
    String project = "it" + ItEnvironment.RUN_ID + "nm" + projects.size();
    projects.add(project);
    Path home = Files.createDirectories(Path.of(alice.home(), "berth-it"));
    chownToAlice(home);
    Path dir = projectDir(home);
    String app =
        """
        services:
          app:
            image: %s
            working_dir: /app
            command: ["sh", "-c", "test -f /app/compose.yaml && test -d /node_modules && echo ok"]
            volumes: [".:/app", "%s"]
        """;
    Files.writeString(dir.resolve("compose.yaml"), app.formatted(image, "/app/node_modules"));
    chownToAlice(dir.resolve("compose.yaml"));

    Proc.Result nested =
        composeAnswer(CliCompatIT.Side.BERTH, dir, project, "run", "--rm", "-T", "app");
    assertThat(nested.exitCode()).as(nested.describe()).isNotZero();
    assertThat(nested.stderr())
        .as(nested.describe())
        .contains("/app and /app/node_modules nest")
        .contains("(for example /node_modules) and point the tool at it");

    Files.writeString(dir.resolve("compose.yaml"), app.formatted(image, "/node_modules"));
    assertThat(compose(CliCompatIT.Side.BERTH, dir, project, "run", "--rm", "-T", "app").stdout())
        .contains("ok");
    compose(CliCompatIT.Side.BERTH, dir, project, "down", "-v", "-t", "1");
  }

  private Proc.Result compose(CliCompatIT.Side side, Path dir, String project, String... args) {
    Proc.Result r = composeAnswer(side, dir, project, args);
    assertThat(r.exitCode()).as("%s: %s", side, r.describe()).isZero();
    return r;
  }

  private Proc.Result composeAnswer(
      CliCompatIT.Side side, Path dir, String project, String... args) {
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
    DockerCli cli =
        side == CliCompatIT.Side.BERTH
            ? docker
            : DockerCli.dockerGroupMember(ItEnvironment.upstreamSocket(), "docker");
    return Proc.run(cli.docker(alice, full.toArray(String[]::new)), null, Duration.ofSeconds(120));
  }

  /** A project directory owned by alice, with a docker config that finds the compose plugin. */
  private Path projectDir() throws IOException {
    return projectDir(Path.of("/tmp"));
  }

  private Path projectDir(Path parent) throws IOException {
    Path d =
        Files.createTempDirectory(
            parent,
            "it-compose-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    dirs.add(d);
    Path config = Files.createDirectory(d.resolve(".docker"));
    Files.writeString(
        config.resolve("config.json"),
        "{\"cliPluginsExtraDirs\": [\"" + ItEnvironment.composePluginDir() + "\"]}\n");
    Proc.run(List.of("chown", "-R", alice.uid() + ":" + alice.gid(), d.toString()));
    return d;
  }

  private void chownToAlice(Path p) {
    Proc.run(List.of("chown", alice.uid() + ":" + alice.gid(), p.toString()));
  }
}
