package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue #16, part 6: the read-only admin dashboard ({@code berth serve --dashboard unix:///PATH})
 * in a real headless Chromium ({@link WebDriver}). The administrator's browser reaches the 0600
 * socket through a port forward, here {@code socat} as root (what {@code ssh -L 8080:PATH host}
 * does). alice runs a container, makes a volume and is refused a privileged one; the page shows all
 * of it, updates live when she is refused again, and searches the trail. The screenshot is kept as
 * {@code target/dashboard.png} (docs/dashboard.png is one of them).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static Path dir;
  private static BerthServer berth;
  private static Path adminSocket;
  private static Proc.Running forward;
  private static WebDriver browser;
  private static DockerCli cli;
  private static UnixUser alice;
  private static String url;
  private static final List<String> created = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    dir = Files.createTempDirectory(Path.of("/tmp"), "bdash-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    adminSocket = dir.resolve("admin.sock");
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        PolicyDefaults.text()
            .replace("    scope: own\n", "    scope: own\n    quota: {containers: 4}\n"));
    berth =
        BerthServer.start(
            ItEnvironment.upstreamUrl(),
            List.of("--policy", policy.toString(), "--dashboard", "unix://" + adminSocket));
    cli = new DockerCli(berth.socket());
    UnixUser bob = ItEnvironment.user("bob");
    String bobs = ItEnvironment.uniqueName("dash");
    created.add(bobs);
    Proc.Result bobRun =
        cli.run(bob, "run", "-d", "--name", bobs, ItEnvironment.image(), "sleep", "300");
    assertThat(bobRun.exitCode()).as(bobRun.describe()).isZero();
    String name = ItEnvironment.uniqueName("dash");
    created.add(name);
    Proc.Result run =
        cli.run(alice, "run", "-d", "--name", name, ItEnvironment.image(), "sleep", "300");
    assertThat(run.exitCode()).as(run.describe()).isZero();
    Proc.Result vol = cli.run(alice, "volume", "create", name);
    assertThat(vol.exitCode()).as(vol.describe()).isZero();
    assertThat(
            cli.run(alice, "run", "--rm", "--privileged", ItEnvironment.image(), "true").exitCode())
        .isNotZero();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    if (!Files.isExecutable(Path.of("/usr/bin/socat"))) {
      ItEnvironment.unavailable("socat is missing (scripts/test installs it)");
    }
    forward =
        Proc.start(
            List.of(
                "socat",
                "TCP-LISTEN:" + port + ",bind=127.0.0.1,fork," + "reuseaddr",
                "UNIX-CONNECT:" + adminSocket));
    url = "http://127.0.0.1:" + port + "/";
    browser = WebDriver.start(dir);
  }

  @AfterAll
  static void stop() throws IOException {
    if (browser != null) {
      browser.close();
    }
    if (forward != null) {
      forward.close();
    }
    DockerCli.removeContainers(created);
    for (String v : created) {
      DockerCli.upstream("volume", "rm", "-f", v);
    }
    if (berth != null) {
      berth.close();
    }
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  @Order(1)
  void page_showsWhoRunsWhatRefusalsByRuleAndTheChain() throws Exception {
    browser.open(url);
    String users = browser.awaitText("#users tbody", alice.name(), WAIT);
    String aliceRow = users.lines().filter(l -> l.startsWith(alice.name())).findFirst().orElse("");
    assertThat(aliceRow).as(users).contains(Integer.toString(alice.uid())).contains("user");
    assertThat(aliceRow.split("\t")).as(aliceRow).hasSizeGreaterThanOrEqualTo(7);
    assertThat(aliceRow.split("\t")[3].strip()).as(aliceRow).isEqualTo("1"); // running
    assertThat(aliceRow.split("\t")[5].strip()).as(aliceRow).isEqualTo("1 / 4"); // quota
    assertThat(browser.awaitText("#refusals tbody", "privileged", WAIT))
        .contains("privileged containers are not allowed");
    assertThat(browser.text("#rules tbody")).contains("container_create");
    assertThat(browser.awaitText("#chain", "ok", WAIT)).contains("audit chain: ok");
    assertThat(browser.awaitText("#live", "live", WAIT)).isEqualTo("live");
    Path shot = Path.of(System.getProperty("basedir", "."), "target", "dashboard.png");
    Files.createDirectories(shot.getParent());
    Files.write(shot, browser.screenshot());
  }

  @Test
  @Order(2)
  void newRefusal_appearsWithoutReload() throws Exception {
    browser.script("window.marker = 'same page'; return 1;");
    assertThat(
            cli.run(alice, "run", "--rm", "--pid", "host", ItEnvironment.image(), "true")
                .exitCode())
        .isNotZero();
    String refusals = browser.awaitText("#refusals tbody", "PID namespace", WAIT);
    assertThat(refusals).contains("--pid: only the container's own PID namespace");
    assertThat(browser.script("return window.marker;").asText()).isEqualTo("same page");
  }

  @Test
  @Order(3)
  void auditSearch_byUserAndDecision_showsOnlyThose() throws Exception {
    browser.script(
        "document.querySelector('#results tbody').replaceChildren();"
            + "const f = document.getElementById('search');"
            + "f.user.value = '"
            + alice.name()
            + "'; f.decision.value = 'deny';"
            + "f.requestSubmit(); return 1;");
    String results = browser.awaitText("#results tbody", "deny", WAIT);
    List<String> rows = results.lines().filter(l -> !l.isBlank()).toList();
    assertThat(rows)
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r).contains(alice.name()).contains("deny"));
    Files.write(
        Path.of(System.getProperty("basedir", "."), "target", "dashboard-search.png"),
        browser.screenshot());
  }

  @Test
  @Order(4)
  void dashboardSocket_notForUsers() {
    Proc.Result r =
        Proc.run(
            List.of(
                "setpriv",
                "--reuid",
                Integer.toString(alice.uid()),
                "--regid",
                Integer.toString(alice.gid()),
                "--init-groups",
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--unix-socket",
                adminSocket.toString(),
                "http://berth/api/overview"));
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(7); // cannot connect: 0600, root's
  }
}
