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
 * Issue 14, item 2: {@code docker build} with the buildx plugin (BuildKit over {@code /grpc} and
 * {@code /session}, HTTP/2 judged call by call) as alice and bob through berth, and the attacks
 * through its options. Needs the plugin from {@code scripts/engine.sh fetch-buildx}; each user
 * gets a {@code DOCKER_CONFIG} whose {@code cli-plugins/} links to it, so nothing is installed.
 */
class BuildKitIT extends ItBase {
  private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(180);
  private static final Path PLUGIN = Path.of(System.getenv().getOrDefault("BERTH_IT_BUILDX",
      "/var/cache/berth-test/buildx/root/usr/libexec/docker/cli-plugins/docker-buildx"));

  private Path context;
  private final List<Path> dirs = new ArrayList<>();
  private final List<String> images = new ArrayList<>();

  @BeforeEach
  void context() throws IOException {
    if (!Files.isExecutable(PLUGIN)) {
      ItEnvironment.unavailable("no buildx plugin at " + PLUGIN
          + " (scripts/engine.sh fetch-buildx)");
    }
    context = dir(null);
    dockerfile("FROM " + image + "\nRUN echo built > /built\nCMD [\"id\"]\n");
  }

  @AfterEach
  void cleanUp() throws IOException {
    for (String i : images) {
      DockerCli.upstream("rmi", "-f", i);
    }
    for (Path d : dirs) {
      try (var files = Files.walk(d)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** A fresh 0755 directory, owned by {@code user} when given. */
  private Path dir(UnixUser user) throws IOException {
    Path d = Files.createTempDirectory("berth-bk-it",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    dirs.add(d);
    if (user != null) {
      Proc.run(List.of("chown", user.uid() + ":" + user.gid(), d.toString()));
    }
    return d;
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

  /** {@code docker ARGS... CONTEXT} as {@code user} through berth, with the buildx plugin. */
  private Proc.Result buildx(UnixUser user, String... args) {
    try {
      Path config = dir(user);
      Path plugins = Files.createDirectory(config.resolve("cli-plugins"));
      Files.createSymbolicLink(plugins.resolve("docker-buildx"), PLUGIN);
      Proc.run(List.of("chown", "-R", user.uid() + ":" + user.gid(), config.toString()));
      List<String> cmd = new ArrayList<>(List.of("DOCKER_CONFIG=" + config,
          ItEnvironment.dockerCli()));
      cmd.addAll(List.of(args));
      cmd.add(context.toString());
      return Proc.run(docker.asUser(user, cmd), null, BUILD_TIMEOUT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void assertRefused(Proc.Result r, String... parts) {
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).as(r.describe()).contains(parts);
  }

  @Test
  void build_buildxAsAlice_builtWithOwnerLabelAndTheImageIsHers() {
    String tag = tag("bk");
    Proc.Result r = buildx(alice, "build", "-t", tag);
    assertThat(r.ok()).as(r.describe()).isTrue();
    Proc.Result labels = DockerCli.upstream("image", "inspect", "--format",
        "{{index .Config.Labels \"dev.berth.owner.uid\"}}", tag);
    assertThat(labels.stdout().strip()).isEqualTo(Integer.toString(alice.uid()));
    Proc.Result bobRmi = docker.run(bob, "rmi", tag);
    assertThat(bobRmi.exitCode()).as(bobRmi.describe()).isNotZero();
    Proc.Result rmi = docker.run(alice, "rmi", tag);
    assertThat(rmi.ok()).as(rmi.describe()).isTrue();
  }

  @Test
  void buildxBuild_loadWithMetadataFile_builds() throws IOException {
    String tag = tag("bkload");
    Path meta = dir(alice).resolve("meta.json");
    Proc.Result r = buildx(alice, "buildx", "build", "--load", "--metadata-file",
        meta.toString(), "-t", tag);
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(Files.readString(meta)).contains("containerimage.digest");
  }

  @Test
  void build_tagOverAnotherUsersTag_refused() {
    String tag = tag("bkbobs");
    Proc.Result bobs = buildx(bob, "build", "-t", tag);
    assertThat(bobs.ok()).as(bobs.describe()).isTrue();
    assertRefused(buildx(alice, "build", "-t", tag), "berth:", "not yours");
  }

  @Test
  void build_networkHost_refused() {
    assertRefused(buildx(alice, "build", "--network", "host"), "berth:", "network");
  }

  /**
   * Engine 20.10's built-in frontend does not know the flag at all; later ones need the
   * entitlement, which berth never passes.
   */
  @Test
  void build_runNetworkHost_refused() {
    dockerfile("FROM " + image + "\nRUN --network=host true\n");
    Proc.Result r = buildx(alice, "build");
    assertRefused(r, "ERROR");
    assertThat(r.stderr()).as(r.describe()).containsAnyOf("network.host",
        "Unknown flag: network");
  }

  @Test
  void build_allowSecurityInsecure_refused() {
    assertRefused(buildx(alice, "buildx", "build", "--allow", "security.insecure"), "berth:",
        "security.insecure");
  }

  @Test
  void build_cgroupParent_refused() {
    assertRefused(buildx(alice, "build", "--cgroup-parent", "/system.slice"), "berth:",
        "--cgroup-parent");
  }

  @Test
  void build_buildkitSyntaxArg_refused() {
    assertRefused(buildx(alice, "build", "--build-arg", "BUILDKIT_SYNTAX=evil/frontend:1"),
        "berth:");
  }

  /** The named frontend image does not exist: had it been used, the build would fail. */
  @Test
  void build_customSyntaxLine_builtWithTheBuiltInFrontend() {
    dockerfile("# syntax=berth-test/no-such-frontend:1\nFROM " + image + "\nRUN true\n");
    Proc.Result r = buildx(alice, "build");
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.stderr()).doesNotContain("no-such-frontend");
  }

  /** A step reaches nothing: no shared bridge, no host network (forced network none). */
  @Test
  void build_stepNetwork_none() {
    dockerfile("FROM " + image + "\nRUN ip -4 -o addr show; ! ip -4 -o addr show | grep -v ' lo '"
        + "\n");
    Proc.Result r = buildx(alice, "build", "--progress=plain");
    assertThat(r.ok()).as(r.describe()).isTrue();
  }
}
