package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, item 1: {@code DOCKER_BUILDKIT=0 docker build} (the classic builder) as alice and bob
 * through berth, with the stock CLI, on both engines; and the attacks through its parameters.
 */
class BuildIT extends ItBase {
  private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(120);

  private Path context;
  private final List<String> images = new ArrayList<>();

  @BeforeEach
  void context() throws IOException {
    context =
        Files.createTempDirectory(
            "berth-build-it",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    // The step prints its IPv4 address, to show which network it ran on.
    dockerfile("FROM " + image + "\nRUN ip -4 -o addr show eth0\nCMD [\"id\"]\n");
  }

  @AfterEach
  void cleanUp() throws IOException {
    for (String i : images) {
      DockerCli.upstream("rmi", "-f", i);
      DockerCli.upstream("rmi", "-f", Tenants.daemonImage(alice, i));
      DockerCli.upstream("rmi", "-f", Tenants.daemonImage(bob, i));
    }
    try (var files = Files.walk(context)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private void dockerfile(String text) {
    try {
      Path f = context.resolve("Dockerfile");
      Files.writeString(f, text);
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String tag(String hint) {
    String t = ItEnvironment.uniqueName(hint) + ":1";
    images.add(t);
    return t;
  }

  /** {@code DOCKER_BUILDKIT=0 docker build ARGS... CONTEXT} as {@code user}, through berth. */
  private Proc.Result classicBuild(UnixUser user, String... args) {
    List<String> cmd =
        new ArrayList<>(List.of("DOCKER_BUILDKIT=0", ItEnvironment.dockerCli(), "build"));
    cmd.addAll(List.of(args));
    cmd.add(context.toString());
    return Proc.run(docker.asUser(user, cmd), null, BUILD_TIMEOUT);
  }

  private static void assertRefused(Proc.Result r, String... parts) {
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).as(r.describe()).contains("berth:").contains(parts);
  }

  @Test
  void build_classicAsAlice_runsOnHerBuildNetworkAndTheImageIsHers() {
    String tag = tag("built");
    Proc.Result r = classicBuild(alice, "-t", tag);
    assertThat(r.ok()).as(r.describe()).isTrue();

    // The step ran on berth-build-<uid>, not on the shared default bridge.
    String net = "berth-build-" + alice.uid();
    Proc.Result subnet =
        DockerCli.upstream(
            "network",
            "inspect",
            "--format",
            "{{(index .IPAM.Config 0).Subnet}} {{index .Labels \"dev.berth.build-network\"}}",
            net);
    assertThat(subnet.ok()).as(subnet.describe()).isTrue();
    String[] parts = subnet.stdout().strip().split(" ");
    assertThat(parts[1]).isEqualTo(Integer.toString(alice.uid()));
    String prefix = parts[0].substring(0, parts[0].lastIndexOf('.'));
    assertThat(r.stdout()).as(r.describe()).contains("inet " + prefix + ".");
    Proc.Result bridge =
        DockerCli.upstream(
            "network", "inspect", "--format", "{{(index .IPAM.Config 0).Subnet}}", "bridge");
    if (bridge.ok()) { // the test daemons run without the default bridge
      String b = bridge.stdout().strip();
      assertThat(r.stdout()).doesNotContain("inet " + b.substring(0, b.lastIndexOf('.')) + ".");
    }

    // The image is alice's: she runs it, bob may not remove it, she may.
    Proc.Result run = docker.run(alice, "run", "--rm", tag);
    assertThat(run.stdout()).as(run.describe()).contains(alice.idPrefix());
    Proc.Result bobRmi = docker.run(bob, "rmi", tag);
    assertThat(bobRmi.exitCode()).as(bobRmi.describe()).isNotZero();
    assertThat(bobRmi.stderr()).contains("berth:");
    Proc.Result rmi = docker.run(alice, "rmi", tag);
    assertThat(rmi.ok()).as(rmi.describe()).isTrue();
  }

  /** Issue 13: alice's classic build -t of a shared name writes her private name only. */
  @Test
  void build_tagOverSharedName_staysPrivate() {
    String shared = tag("shared");
    assertThat(DockerCli.upstream("tag", image, shared).ok()).isTrue();
    String before = DockerCli.upstream("image", "inspect", "--format", "{{.Id}}", shared).stdout();

    dockerfile("FROM " + image + "\nRUN echo planted > /planted\n");
    Proc.Result r = classicBuild(alice, "-t", shared);
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.stdout()).as(r.describe()).contains("Successfully tagged " + shared);
    assertThat(r.stdout()).doesNotContain("berth.invalid");
    assertThat(DockerCli.upstream("image", "inspect", "--format", "{{.Id}}", shared).stdout())
        .isEqualTo(before);
    Proc.Result bobs = docker.run(bob, "run", "--rm", shared, "cat", "/planted");
    assertThat(bobs.exitCode()).as(bobs.describe()).isNotZero();
    Proc.Result hers = docker.run(alice, "run", "--rm", shared, "cat", "/planted");
    assertThat(hers.stdout()).as(hers.describe()).contains("planted");
  }

  @Test
  void build_networkModeContainerOfOther_refused() {
    String bobs = container("bobnet");
    Proc.Result started = docker.run(bob, "run", "-d", "--name", bobs, image, "sleep", "60");
    assertThat(started.ok()).as(started.describe()).isTrue();
    assertRefused(classicBuild(alice, "--network", "container:" + bobs), "--network");
  }

  @Test
  void build_networkModeHost_refused() {
    assertRefused(classicBuild(alice, "--network", "host"), "--network host");
  }

  @Test
  void build_cgroupParent_refused() {
    assertRefused(classicBuild(alice, "--cgroup-parent", "/system.slice"), "--cgroup-parent");
  }

  /** {@code curl -X POST} of {@code target} as {@code user} through berth: body, then status. */
  private Proc.Result post(UnixUser user, String target) {
    return Proc.run(
        docker.asUser(
            user,
            List.of(
                "curl",
                "-s",
                "-w",
                "\n%{http_code}",
                "--unix-socket",
                BERTH.server().socket().toString(),
                "-X",
                "POST",
                "http://docker" + target)));
  }

  /**
   * The CLI fetches git and URL contexts itself; {@code remote=} (the daemon cloning as root) is
   * what other clients send, so the request is raw.
   */
  @Test
  void build_remoteContext_refused() {
    Proc.Result r =
        post(
            alice,
            "/v1.41/build?remote=" + "https%3A%2F%2Fgithub.com%2Fdocker-library%2Fhello-world.git");
    assertThat(r.stdout()).as(r.describe()).contains("remote build contexts").endsWith("403");
  }

  @Test
  void buildCancel_othersBuild_refused() {
    Proc.Result r = post(alice, "/v1.41/build/cancel?id=bobs-build");
    assertThat(r.stdout()).as(r.describe()).contains("berth:").endsWith("403");
  }
}
