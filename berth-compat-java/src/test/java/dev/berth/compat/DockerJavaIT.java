package dev.berth.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * docker-java, used as applications use it ({@link DockerJavaScenarios}), as alice: once straight
 * on the daemon (alice with the socket's group, a {@code docker} group member) and once through
 * berth, each in a JVM of its own started with {@code setpriv}, so that the socket sees alice.
 * Every scenario passes on both sides, except those berth refuses by a documented rule ({@link
 * #DOCUMENTED_REFUSALS}), which must fail through berth with that rule's message.
 *
 * <p>Environment as for berth-it: {@code BERTH_IT_DOCKER_HOST} (the daemon), the users from {@code
 * scripts/test-users.sh}, image {@code berth-test:latest}, run as root; skipped when missing,
 * failed when {@code CI=true}.
 */
class DockerJavaIT {
  /** Scenario name to the message fragment of the rule that refuses it through berth. */
  static final Map<String, String> DOCUMENTED_REFUSALS = Map.of();

  private static Path dir;
  private static Process berth;
  private static Path socket;
  private static String classpath;

  @BeforeAll
  static void start() throws IOException, InterruptedException {
    String upstream = System.getenv("BERTH_IT_DOCKER_HOST");
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    if (upstream == null || upstream.isBlank()) {
      assertThat(ci).as("BERTH_IT_DOCKER_HOST must be set on CI").isFalse();
      assumeTrue(false, "BERTH_IT_DOCKER_HOST is not set");
    }
    dir =
        Files.createTempDirectory(
            Path.of("/tmp"),
            "bjc-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    classpath = readableClasspath(dir.resolve("cp"));
    Files.createDirectory(dir.resolve("tmp"));
    new ProcessBuilder("chmod", "1777", dir.resolve("tmp").toString()).start().waitFor();
    socket = dir.resolve("docker.sock");
    Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
    berth =
        new ProcessBuilder(
                root.resolve("berth").toString(),
                "serve",
                "--listen",
                "unix://" + socket,
                "--upstream",
                upstream.strip(),
                "--audit-log",
                dir.resolve("audit.jsonl").toString(),
                "--state-dir",
                dir.resolve("state").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("berth.log").toFile())
            .start();
    for (int i = 0; i < 300 && !Files.exists(socket); i++) {
      Thread.sleep(100);
    }
    assertThat(socket).as("berth did not start: %s", log()).exists();
  }

  @AfterAll
  static void stop() throws InterruptedException, IOException {
    if (berth != null) {
      berth.destroy();
      berth.waitFor(20, TimeUnit.SECONDS);
    }
    if (dir != null) {
      new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
    }
  }

  @TestFactory
  Stream<DynamicTest> dockerJava_onTheDaemon_everyScenarioPasses() throws Exception {
    Map<String, String> results = runAsAlice("unix://" + upstreamSocket(), true);
    return DockerJavaScenarios.NAMES.stream()
        .map(
            name ->
                DynamicTest.dynamicTest(
                    name, () -> assertThat(results.get(name)).as(name).isEqualTo("PASS")));
  }

  @TestFactory
  Stream<DynamicTest> dockerJava_throughBerth_passesOrIsRefusedByADocumentedRule()
      throws Exception {
    Map<String, String> results = runAsAlice("unix://" + socket, false);
    return DockerJavaScenarios.NAMES.stream()
        .map(
            name ->
                DynamicTest.dynamicTest(
                    name,
                    () -> {
                      String rule = DOCUMENTED_REFUSALS.get(name);
                      if (rule == null) {
                        assertThat(results.get(name)).as(name + "\n" + log()).isEqualTo("PASS");
                      } else {
                        assertThat(results.get(name)).as(name).startsWith("FAIL").contains(rule);
                      }
                    }));
  }

  private static Path upstreamSocket() {
    return Path.of(System.getenv("BERTH_IT_DOCKER_HOST").strip().substring("unix://".length()));
  }

  /** Runs every scenario in a JVM as alice; scenario name to "PASS" or "FAIL: reason". */
  private static Map<String, String> runAsAlice(String host, boolean dockerGroup)
      throws IOException, InterruptedException {
    String groups = run("id", "-G", "alice").strip().replace(' ', ',');
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid",
                run("id", "-u", "alice").strip(),
                "--regid",
                run("id", "-g", "alice").strip(),
                "--groups",
                dockerGroup ? groups + ",docker" : groups,
                "env",
                "-i",
                "HOME=/home/alice",
                "PATH=/usr/bin:/bin",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + dir.resolve("tmp"),
                "-cp",
                classpath,
                DockerJavaScenarios.class.getName(),
                host,
                System.getenv().getOrDefault("BERTH_IT_IMAGE", "berth-test:latest"),
                "it-"
                    + HexFormat.of().formatHex(new SecureRandom().generateSeed(3))
                    + (dockerGroup ? "-d" : "-b")));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    String text = new String(out, StandardCharsets.UTF_8);
    Map<String, String> results = new LinkedHashMap<>();
    for (String line : text.lines().toList()) {
      if (line.startsWith("PASS ")) {
        results.put(line.substring(5), "PASS");
      } else if (line.startsWith("FAIL ")) {
        int colon = line.indexOf(':');
        results.put(line.substring(5, colon), "FAIL" + line.substring(colon));
      }
    }
    assertThat(results)
        .as("the scenarios' JVM printed:\n" + text)
        .hasSize(DockerJavaScenarios.NAMES.size());
    return results;
  }

  /** This JVM's classpath copied where alice can read it (~root is not readable). */
  private static String readableClasspath(Path into) throws IOException {
    Files.createDirectories(into);
    List<String> out = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path from = Path.of(entry);
      if (!Files.exists(from)) {
        continue;
      }
      Path to = into.resolve((n++) + "-" + from.getFileName());
      if (Files.isDirectory(from)) {
        new ProcessBuilder("cp", "-r", from.toString(), to.toString()).start().onExit().join();
      } else {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
      }
      out.add(to.toString());
    }
    new ProcessBuilder("chmod", "-R", "a+rX", into.toString()).start().onExit().join();
    return String.join(File.pathSeparator, out);
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return s;
  }

  private static String log() {
    try {
      String s = Files.readString(dir.resolve("berth.log"));
      return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
    } catch (IOException e) {
      return "(no berth log)";
    }
  }
}
