package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.policy.docker.ApiVersions;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, item 2: {@code docker build} with the buildx plugin (BuildKit over {@code /grpc} and
 * {@code /session}, HTTP/2 judged call by call) as alice and bob through berth, and the attacks
 * through its options. Needs the plugin from {@code scripts/engine.sh fetch-buildx}; each user gets
 * a {@code DOCKER_CONFIG} whose {@code cli-plugins/} links to it, so nothing is installed.
 *
 * <p>Issue 13: on engines whose BuildKit ignores source policies (before API 1.44: Debian's 20.10)
 * every user's BuildKit build is refused when it starts, whatever else it asks; there the tests of
 * builds that work assert that refusal instead ({@link #built}), and the tests of refusals accept
 * it in place of their own reason ({@link #assertRefused}).
 */
class BuildKitIT extends ItBase {
  private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(180);

  /** The refusal of a user's BuildKit build on an engine without source policies. */
  private static final String[] ENGINE_REFUSAL = {
    "berth: BuildKit on this engine (API ",
    "cannot be confined to your own images",
    "DOCKER_BUILDKIT=0 docker build"
  };

  private static final Path PLUGIN =
      Path.of(
          System.getenv()
              .getOrDefault(
                  "BERTH_IT_BUILDX",
                  "/var/cache/berth-test/buildx/root/usr/libexec/docker/cli-plugins/docker-buildx"));

  private Path context;
  private final List<Path> dirs = new ArrayList<>();
  private final List<String> images = new ArrayList<>();

  @BeforeEach
  void context() throws IOException {
    if (!Files.isExecutable(PLUGIN)) {
      ItEnvironment.unavailable(
          "no buildx plugin at " + PLUGIN + " (scripts/engine.sh fetch-buildx)");
    }
    context = dir(null);
    dockerfile("FROM " + image + "\nRUN echo built > /built\nCMD [\"id\"]\n");
  }

  @AfterEach
  void cleanUp() throws IOException {
    for (String i : images) {
      DockerCli.upstream("rmi", "-f", i);
      DockerCli.upstream("rmi", "-f", Tenants.daemonImage(alice, i));
      DockerCli.upstream("rmi", "-f", Tenants.daemonImage(bob, i));
    }
    for (Path d : dirs) {
      try (var files = Files.walk(d)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** A fresh 0755 directory, owned by {@code user} when given. */
  private Path dir(UnixUser user) throws IOException {
    Path d =
        Files.createTempDirectory(
            "berth-bk-it",
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
    List<String> all = new ArrayList<>(List.of(args));
    all.add(context.toString());
    return cli(user, all);
  }

  /** {@code docker ARGS...} as {@code user} through berth, with the buildx and compose plugins. */
  private Proc.Result cli(UnixUser user, List<String> args) {
    return cli(docker, user, args);
  }

  /** {@code docker ARGS...} as {@code user} through {@code via}, with the plugins. */
  private Proc.Result cli(DockerCli via, UnixUser user, List<String> args) {
    try {
      Path config = dir(user);
      Path plugins = Files.createDirectory(config.resolve("cli-plugins"));
      Files.createSymbolicLink(plugins.resolve("docker-buildx"), PLUGIN);
      Path compose =
          Path.of(
              System.getenv()
                  .getOrDefault(
                      "BERTH_IT_COMPOSE_PLUGINS",
                      "/var/cache/berth-test/compose/root/usr/libexec/docker/cli-plugins"),
              "docker-compose");
      if (Files.isExecutable(compose)) {
        Files.createSymbolicLink(plugins.resolve("docker-compose"), compose);
      }
      Proc.run(List.of("chown", "-R", user.uid() + ":" + user.gid(), config.toString()));
      List<String> cmd =
          new ArrayList<>(List.of("DOCKER_CONFIG=" + config, ItEnvironment.dockerCli()));
      cmd.addAll(args);
      return Proc.run(via.asUser(user, cmd), null, BUILD_TIMEOUT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether the engine's BuildKit applies the source policy of a Solve (API 1.44 and later). */
  private static boolean sourcePolicies() {
    String api =
        DockerCli.upstream("version", "--format", "{{.Server.APIVersion}}").stdout().strip();
    return ApiVersions.compare(api, "1.44") >= 0;
  }

  /**
   * A user's build refused with {@code parts} in the CLI's error; on engines without source
   * policies, refused for the engine before anything else is judged.
   */
  private static void assertRefused(Proc.Result r, String... parts) {
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).as(r.describe()).contains(sourcePolicies() ? parts : ENGINE_REFUSAL);
  }

  /**
   * On engines with source policies: the user's build succeeded (true). Without: berth refused it
   * for the engine, with the way out (false: the test has nothing more to check).
   */
  private static boolean built(Proc.Result r) {
    if (!sourcePolicies()) {
      assertThat(r.timedOut()).as(r.describe()).isFalse();
      assertThat(r.exitCode()).as(r.describe()).isNotZero();
      assertThat(r.stderr()).as(r.describe()).contains(ENGINE_REFUSAL);
      return false;
    }
    assertThat(r.ok()).as(r.describe()).isTrue();
    return true;
  }

  /** {@code DOCKER_BUILDKIT=0 docker build ARGS... DIR} as {@code user} (the classic builder). */
  private Proc.Result classic(UnixUser user, Path dir, String... args) {
    List<String> cmd =
        new ArrayList<>(List.of("DOCKER_BUILDKIT=0", ItEnvironment.dockerCli(), "build"));
    cmd.addAll(List.of(args));
    cmd.add(dir.toString());
    return Proc.run(docker.asUser(user, cmd), null, BUILD_TIMEOUT);
  }

  @Test
  void build_buildxAsAlice_builtWithOwnerLabelAndTheImageIsHers() {
    String tag = tag("bk");
    Proc.Result r = buildx(alice, "build", "-t", tag);
    if (!built(r)) {
      return;
    }
    Proc.Result labels =
        DockerCli.upstream(
            "image",
            "inspect",
            "--format",
            "{{index .Config.Labels \"dev.berth.owner.uid\"}}",
            Tenants.daemonImage(alice, tag));
    assertThat(labels.stdout().strip()).isEqualTo(Integer.toString(alice.uid()));
    Proc.Result bobRmi = docker.run(bob, "rmi", tag);
    assertThat(bobRmi.exitCode()).as(bobRmi.describe()).isNotZero();
    Proc.Result rmi = docker.run(alice, "rmi", tag);
    assertThat(rmi.ok()).as(rmi.describe()).isTrue();
  }

  /** Issue 13: a BuildKit build's progress names the tag as the builder gave it. */
  @Test
  void build_progress_namesTheTagAsGiven() {
    String tag = tag("bkprogress");
    Proc.Result r = buildx(alice, "build", "--progress=plain", "-t", tag);
    if (!built(r)) {
      return;
    }
    assertThat(r.stderr())
        .as(r.describe())
        .contains("naming to " + tag)
        .doesNotContain("berth.invalid");
  }

  @Test
  void buildxBuild_loadWithMetadataFile_builds() throws IOException {
    String tag = tag("bkload");
    Path meta = dir(alice).resolve("meta.json");
    Proc.Result r =
        buildx(alice, "buildx", "build", "--load", "--metadata-file", meta.toString(), "-t", tag);
    if (!built(r)) {
      return;
    }
    assertThat(Files.readString(meta)).contains("containerimage.digest");
  }

  /** Issue 13: a build -t of a shared name writes the builder's private name only. */
  @Test
  void build_tagOverSharedName_staysPrivate() {
    String shared = tag("bkshared");
    assertThat(DockerCli.upstream("tag", image, shared).ok()).isTrue();
    String sharedId =
        DockerCli.upstream("image", "inspect", "--format", "{{.Id}}", shared).stdout();
    Proc.Result hers = buildx(alice, "build", "-t", shared);
    if (!built(hers)) {
      return;
    }
    assertThat(DockerCli.upstream("image", "inspect", "--format", "{{.Id}}", shared).stdout())
        .isEqualTo(sharedId);
    Proc.Result bobs = docker.run(bob, "image", "inspect", "--format", "{{.Id}}", shared);
    assertThat(bobs.stdout()).as(bobs.describe()).isEqualTo(sharedId);
    Proc.Result own = docker.run(alice, "image", "inspect", "--format", "{{.Id}}", shared);
    assertThat(own.ok()).as(own.describe()).isTrue();
    assertThat(own.stdout()).isNotEqualTo(sharedId);
    Proc.Result run = docker.run(alice, "run", "--rm", shared, "cat", "/built");
    assertThat(run.stdout()).as(run.describe()).contains("built");
  }

  /**
   * Issue 13: bob's image (made with the classic builder, which works on every engine), by its
   * daemon name or by id, is no base for alice's build.
   */
  @Test
  void build_fromOtherUsersImageById_refused() {
    String bobs = tag("bkbobs");
    Proc.Result made = classic(bob, context, "-t", bobs);
    assertThat(made.ok()).as(made.describe()).isTrue();
    String id =
        DockerCli.upstream(
                "image", "inspect", "--format", "{{.Id}}", Tenants.daemonImage(bob, bobs))
            .stdout()
            .strip();
    List<String> froms =
        List.of(id, id.substring(7, 19), id.substring(7), bobs, Tenants.daemonImage(bob, bobs));
    for (String from : froms) {
      dockerfile("FROM " + from + "\nRUN cat /built\n");
      Proc.Result r = buildx(alice, "build", "-t", tag("bkfrom"));
      assertThat(r.exitCode()).as(from + ": " + r.describe()).isNotZero();
      assertThat(r.stdout() + r.stderr()).doesNotContain("\nbuilt");
    }
  }

  @Test
  void build_networkHost_refused() {
    assertRefused(buildx(alice, "build", "--network", "host"), "berth:", "network");
  }

  /** The flag needs the entitlement, which berth never passes. */
  @Test
  void build_runNetworkHost_refused() {
    dockerfile("FROM " + image + "\nRUN --network=host true\n");
    assertRefused(buildx(alice, "build"), "network.host");
  }

  @Test
  void build_allowSecurityInsecure_refused() {
    assertRefused(
        buildx(alice, "buildx", "build", "--allow", "security.insecure"),
        "berth:",
        "security.insecure");
  }

  @Test
  void build_cgroupParent_refused() {
    assertRefused(
        buildx(alice, "build", "--cgroup-parent", "/system.slice"), "berth:", "--cgroup-parent");
  }

  @Test
  void build_buildkitSyntaxArg_refused() {
    assertRefused(
        buildx(alice, "build", "--build-arg", "BUILDKIT_SYNTAX=evil/frontend:1"), "berth:");
  }

  /** The directive is read as the Dockerfile crosses alice's session, before the daemon runs it. */
  @Test
  void build_customSyntaxLine_refused() {
    dockerfile("# syntax=berth-test/no-such-frontend:1\nFROM " + image + "\nRUN true\n");
    assertRefused(buildx(alice, "build"), "berth:", "no-such-frontend", "allow.build_frontends");
  }

  /**
   * Issue 13: another user's private image by its daemon name. Engines from API 1.44 deny it by the
   * source policy; on 20.10 berth refuses every user's BuildKit build.
   */
  @Test
  void build_fromOtherUsersDaemonName_refused() {
    String name = ItEnvironment.uniqueName("bobsbase") + ":1";
    Proc.Result tagged = docker.run(bob, "tag", image, name);
    assertThat(tagged.ok()).as(tagged.describe()).isTrue();
    String bobs = Tenants.daemonImage(bob, name);
    try {
      dockerfile("FROM " + bobs + "\nRUN true\n");
      assertRefused(buildx(alice, "build"), "source denied by policy");
    } finally {
      DockerCli.upstream("rmi", bobs);
    }
  }

  /**
   * Bob's private image with {@code nonce} in {@code /secret} (classic builder); its daemon name.
   */
  private String bobsSecret(String nonce) throws IOException {
    String name = tag("bksecret");
    Path dir = dir(bob);
    Path f = dir.resolve("Dockerfile");
    Files.writeString(f, "FROM " + image + "\nRUN echo " + nonce + " > /secret\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    Proc.Result made = classic(bob, dir, "-t", name);
    assertThat(made.ok()).as(made.describe()).isTrue();
    return Tenants.daemonImage(bob, name);
  }

  /**
   * Issue 13: bob's private image by a name alice's Dockerfile assembles from a build-arg ({@code
   * ARG REG}, {@code FROM ${REG}/u1002/...}, {@code --build-arg REG=berth.invalid}), which no
   * reading of the Dockerfile finds. Engines from API 1.44 deny the source by the Solve's source
   * policy (BuildKit judges the expanded name); on 20.10 berth refuses the build when it starts.
   */
  @Test
  void buildkit_fromNameAssembledFromBuildArg_refused() throws IOException {
    String nonce = ItEnvironment.uniqueName("assembled");
    String bobs = bobsSecret(nonce);
    String registry = bobs.substring(0, bobs.indexOf('/'));
    dockerfile("ARG REG\nFROM ${REG}" + bobs.substring(registry.length()) + "\nRUN cat /secret\n");
    Proc.Result r =
        buildx(alice, "build", "--progress=plain", "--no-cache", "--build-arg", "REG=" + registry);
    assertRefused(r, "source denied by policy");
    assertThat(r.stdout() + r.stderr()).as(r.describe()).doesNotContain(nonce);
  }

  /**
   * Issue 13: a shared base image (an administrator's, or any registry's) whose {@code ONBUILD COPY
   * --from=} names bob's private image: the trigger runs in alice's build, which names nothing of
   * bob's itself. Engines from API 1.44 deny the source by the Solve's source policy; on 20.10
   * berth refuses the build when it starts.
   */
  @Test
  void buildkit_onbuildCopyFromOtherUsersImage_refused() throws IOException {
    String nonce = ItEnvironment.uniqueName("onbuild");
    String bobs = bobsSecret(nonce);
    String base = tag("bkonbuild");
    String holder = ItEnvironment.uniqueName("bkonbuild");
    assertThat(DockerCli.upstream("create", "--name", holder, image, "true").ok()).isTrue();
    try {
      Proc.Result committed =
          DockerCli.upstream(
              "commit",
              "--change",
              "ONBUILD COPY --from=" + bobs + " /secret /stolen",
              holder,
              base);
      assertThat(committed.ok()).as(committed.describe()).isTrue();
    } finally {
      DockerCli.upstream("rm", "-f", holder);
    }
    dockerfile("FROM " + base + "\nRUN cat /stolen\n");
    Proc.Result r = buildx(alice, "build", "--progress=plain", "--no-cache");
    assertRefused(r, "source denied by policy");
    assertThat(r.stdout() + r.stderr()).as(r.describe()).doesNotContain(nonce);
  }

  /** Debian's own CLI (20.10), whose BuildKit builds are {@code POST /build?version=2}. */
  private static final Path LEGACY_CLI = Path.of("/usr/bin/docker");

  /**
   * The 20.10 CLI with {@code DOCKER_BUILDKIT=1} (no buildx) opens a session, then {@code POST
   * /build?version=2&session=…}, which berth refuses; the CLI shows the refusal only once its
   * session ends, which the daemon never ends: berth ends it (closed when live or once handed off,
   * never refused: the CLI would show "unable to upgrade" instead), so the refusal comes at once.
   */
  @Test
  void build_legacyCliBuildKit_refusedAtOnceWithTheWayOut() {
    Proc.Result version = Proc.run(List.of(LEGACY_CLI.toString(), "--version"));
    assumeTrue(version.stdout().contains(" 20.10."), "no 20.10 CLI at " + LEGACY_CLI);
    Proc.Result r =
        Proc.run(
            docker.asUser(
                alice,
                List.of("DOCKER_BUILDKIT=1", LEGACY_CLI.toString(), "build", context.toString())),
            null,
            Duration.ofSeconds(60));
    assertThat(r.timedOut()).as("the CLI waited for its session: " + r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("berth: BuildKit builds through /build?version=2 are not allowed")
        .contains("DOCKER_BUILDKIT=0 docker build");
  }

  /** Administrators (passthrough) build with BuildKit on every engine, 20.10 included. */
  @Test
  void build_administrator_builtOnEveryEngine() {
    Proc.Result r = cli(ItEnvironment.user("root"), List.of("build", context.toString()));
    assertThat(r.ok()).as(r.describe()).isTrue();
  }

  /**
   * {@code RUN --security=insecure} needs the labs frontend image (the built-in frontend does not
   * know the flag) and the entitlement: the frontend is refused first.
   */
  @Test
  void build_runSecurityInsecure_refused() {
    dockerfile(
        "# syntax=docker/dockerfile:1-labs\nFROM " + image + "\nRUN --security=insecure true\n");
    assertRefused(buildx(alice, "build"), "berth:", "docker/dockerfile:1-labs");
  }

  /**
   * Two users' {@code RUN --mount=type=cache} with the same target: bob finds alice's cache empty,
   * and what bob writes does not reach alice's next build.
   */
  @Test
  void build_cacheMountOfAnotherUser_neitherReadNorPoisoned() {
    String nonce = ItEnvironment.uniqueName("cache");
    // The same cache id for both users, fresh for every run (the daemon keeps cache mounts).
    String mount =
        "FROM " + image + "\nRUN --mount=type=cache,id=" + nonce + ",target=/berth-cache ";
    dockerfile(mount + "echo " + nonce + " > /berth-cache/f\n");
    Proc.Result alices = buildx(alice, "build");
    if (!built(alices)) {
      return;
    }
    dockerfile(mount + "! test -e /berth-cache/f && echo bob-" + nonce + " > /berth-cache/f\n");
    Proc.Result bobs = buildx(bob, "build");
    assertThat(bobs.ok()).as("bob sees alice's cache mount: " + bobs.describe()).isTrue();
    dockerfile(mount + "grep -qx " + nonce + " /berth-cache/f\n");
    Proc.Result again = buildx(alice, "build");
    assertThat(again.ok()).as("alice's cache mount was changed: " + again.describe()).isTrue();
  }

  /** {@code --secret}: the daemon asks alice's session for it (Secrets/GetSecret, judged). */
  @Test
  void build_secretMountAsOwner_readsTheSecret() throws IOException {
    String nonce = ItEnvironment.uniqueName("secret");
    Path secret = dir(alice).resolve("token");
    Files.writeString(secret, nonce);
    Proc.run(List.of("chown", alice.uid() + ":" + alice.gid(), secret.toString()));
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    dockerfile(
        "FROM "
            + image
            + "\nRUN --mount=type=secret,id=tok test \"$(cat /run/secrets/tok)\" = "
            + nonce
            + "\n");
    Proc.Result r = buildx(alice, "build", "--secret", "id=tok,src=" + secret);
    built(r);
  }

  @Test
  void composeBuild_asAlice_builtAndTheImageIsHers() throws IOException {
    if (!Files.isExecutable(Path.of(ItEnvironment.composePluginDir(), "docker-compose"))) {
      ItEnvironment.unavailable("no compose plugin");
    }
    String tag = tag("bkcompose");
    Path compose = context.resolve("compose.yaml");
    Files.writeString(compose, "services:\n  app:\n    build: .\n    image: " + tag + "\n");
    Files.setPosixFilePermissions(compose, PosixFilePermissions.fromString("rw-r--r--"));
    Proc.Result r =
        cli(
            alice,
            List.of(
                "compose",
                "-p",
                ItEnvironment.uniqueName("bkc"),
                "--project-directory",
                context.toString(),
                "build"));
    if (!built(r)) {
      return;
    }
    Proc.Result labels =
        DockerCli.upstream(
            "image",
            "inspect",
            "--format",
            "{{index .Config.Labels \"dev.berth.owner.uid\"}}",
            Tenants.daemonImage(alice, tag));
    assertThat(labels.stdout().strip())
        .as(labels.describe())
        .isEqualTo(Integer.toString(alice.uid()));
  }

  /** A {@code POST /session} as {@code user} with session id {@code id}, held up to 15 s. */
  private List<String> session(UnixUser user, String id) {
    return docker.asUser(
        user,
        List.of(
            "curl",
            "-sS",
            "-N",
            "-i",
            "-m",
            "15",
            "--http1.1",
            "--unix-socket",
            berth().socket().toString(),
            "-X",
            "POST",
            "-H",
            "Connection: Upgrade",
            "-H",
            "Upgrade: h2c",
            "-H",
            "X-Docker-Expose-Session-Uuid: " + id,
            "-H",
            "X-Docker-Expose-Session-Name: it",
            "-H",
            "X-Docker-Expose-Session-Sharedkey: it",
            "http://docker/session"));
  }

  /**
   * dockerd keeps sessions by the id the client chose and silently gives a second connection with
   * the same id the first one's place (buildkit {@code session/manager.go}): bob's connection with
   * alice's live session id is refused and hers stays.
   */
  @Test
  void session_secondConnectionWithAnothersSessionId_refusedAndTheFirstKept() {
    String id = ItEnvironment.uniqueName("sess");
    try (Proc.Running first = Proc.start(session(alice, id))) {
      assertThat(first.awaitStdout("101", Duration.ofSeconds(10))).as(first.stdout()).isTrue();
      Proc.Result second = Proc.run(session(bob, id), null, Duration.ofSeconds(30));
      assertThat(second.stdout())
          .as(second.describe())
          .doesNotContain("101")
          .contains("berth:", "is in use");
      assertThat(first.isAlive()).as(first.stdout()).isTrue();
    }
  }

  /** A step reaches nothing: no shared bridge, no host network (forced network none). */
  @Test
  void build_stepNetwork_none() {
    dockerfile(
        "FROM " + image + "\nRUN ip -4 -o addr show; ! ip -4 -o addr show | grep -v ' lo '" + "\n");
    built(buildx(alice, "build", "--progress=plain"));
  }

  /**
   * A service bound to the host's loopback, which no container of alice's reaches: a tiny HTTP
   * server on an ephemeral port of 127.0.0.1 that answers every path with {@code body} and counts
   * the requests.
   */
  private static final class LoopbackService implements AutoCloseable {
    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    LoopbackService(String body) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          exchange -> {
            requests.incrementAndGet();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
          });
      server.start();
    }

    String url(String path) {
      return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    int requests() {
      return requests.get();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /**
   * {@code ADD http://127.0.0.1:PORT/...}: BuildKit fetches it inside dockerd, on the host's
   * network as root. The same build straight on the daemon (no berth) fetches the loopback service;
   * through berth alice's build fails with berth's reason and the service sees nothing (engines
   * with source policies: BuildKit denies the source by berth's policy; 20.10: berth refuses the
   * Dockerfile as it crosses her session).
   */
  @Test
  void buildkit_addHttpFromHostLoopback_refused() throws IOException {
    String nonce = ItEnvironment.uniqueName("loopback-secret");
    try (LoopbackService secret = new LoopbackService(nonce)) {
      dockerfile(
          "FROM " + image + "\nADD " + secret.url("/secret") + " /secret\nRUN cat /secret\n");
      Proc.Result direct = upstreamBuild();
      assertThat(direct.ok()).as("without berth: " + direct.describe()).isTrue();
      assertThat(secret.requests()).as("the daemon fetches the host's loopback").isPositive();
      int before = secret.requests();
      Proc.Result r = buildx(alice, "build", "--progress=plain", "--no-cache");
      assertRefused(r, "berth: ", "as root on the host's network", "allow.build_remote");
      assertThat(r.stdout() + r.stderr()).doesNotContain(nonce);
      assertThat(secret.requests()).as("alice's build reached the service").isEqualTo(before);
    }
  }

  /**
   * {@code ADD http://127.0.0.1:PORT/repo.git}: a git source where the frontend knows {@code ADD}
   * of git repositories (BuildKit runs {@code git} inside dockerd, on the host's network), plain
   * HTTP on 20.10. Without berth the daemon asks the loopback service; through berth it does not.
   */
  @Test
  void buildkit_addGitFromHostLoopback_refused() throws IOException {
    try (LoopbackService git = new LoopbackService("not a repository")) {
      dockerfile("FROM " + image + "\nADD " + git.url("/repo.git") + " /src\n");
      Proc.Result direct = upstreamBuild();
      assertThat(git.requests()).as("without berth: " + direct.describe()).isPositive();
      int before = git.requests();
      Proc.Result r = buildx(alice, "build", "--no-cache");
      assertRefused(r, "berth: ", "allow.build_remote");
      assertThat(git.requests()).as("alice's build reached the service").isEqualTo(before);
    }
  }

  /** {@code ADD $URL} with the URL as a build-arg: the same, however the URL is spelled. */
  @Test
  void buildkit_addUrlFromBuildArg_refused() throws IOException {
    try (LoopbackService secret = new LoopbackService("x")) {
      dockerfile("FROM " + image + "\nARG SRC\nADD ${SRC} /secret\n");
      Proc.Result r =
          buildx(alice, "build", "--no-cache", "--build-arg", "SRC=" + secret.url("/secret"));
      assertRefused(r, "berth: ", "allow.build_remote");
      assertThat(secret.requests()).isZero();
    }
  }

  /**
   * A role whose {@code allow.build_remote} names the service's prefix: alice's {@code ADD} of a
   * URL under it builds and fetches it; a URL of the same service outside the prefix stays refused.
   */
  @Test
  void buildkit_addUrlUnderAllowedPrefix_works() throws IOException {
    String nonce = ItEnvironment.uniqueName("allowed");
    try (LoopbackService site = new LoopbackService(nonce)) {
      try (BerthServer own = berthAllowing(site.url("/allowed/"))) {
        DockerCli via = new DockerCli(own.socket());
        dockerfile(
            "FROM "
                + image
                + "\nADD "
                + site.url("/allowed/file")
                + " /fetched\nRUN grep -qx "
                + nonce
                + " /fetched\n");
        Proc.Result r =
            cli(
                via,
                alice,
                List.of("build", "--no-cache", "-t", tag("bkremote"), context.toString()));
        if (!built(r)) {
          return;
        }
        assertThat(site.requests()).isPositive();
        int before = site.requests();
        dockerfile("FROM " + image + "\nADD " + site.url("/private/file") + " /fetched\n");
        Proc.Result outside = cli(via, alice, List.of("build", "--no-cache", context.toString()));
        assertRefused(outside, "berth: ", "only URLs under " + site.url("/allowed/"));
        assertThat(site.requests()).isEqualTo(before);
      }
    }
  }

  /** A berth of its own whose user role allows {@code prefix} in {@code allow.build_remote}. */
  private BerthServer berthAllowing(String prefix) throws IOException {
    Path policy = dir(null).resolve("remote.yaml");
    Files.writeString(
        policy,
        PolicyDefaults.text()
            .replace(
                "    scope: own\n",
                "    scope: own\n    allow:\n      build_remote: [\"" + prefix + "\"]\n"));
    return BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", policy.toString()));
  }

  /**
   * A git repository on the host's loopback ({@code git daemon}, git protocol on a free port of
   * 127.0.0.1) under an allowed prefix: alice's {@code ADD git://…/allowed/repo.git} builds with
   * its file (BuildKit's git source allowed by its {@code git.fullurl}); the same repository under
   * another path stays refused. Engines with API 1.44+ only: 20.10's frontend has no {@code ADD} of
   * git repositories (there the source is a local path).
   */
  @Test
  void buildkit_addGitUnderAllowedPrefix_works() throws IOException, InterruptedException {
    String api =
        DockerCli.upstream("version", "--format", "{{.Server.APIVersion}}").stdout().strip();
    assumeTrue(
        ApiVersions.compare(api, "1.44") >= 0, "20.10's frontend has no ADD of git repositories");
    String nonce = ItEnvironment.uniqueName("gitfile");
    Path base = dir(null);
    Path work = base.resolve("work");
    Files.createDirectories(work);
    Files.writeString(work.resolve("file"), nonce + "\n");
    for (List<String> git :
        List.of(
            List.of("git", "-C", work.toString(), "init", "-q"),
            List.of("git", "-C", work.toString(), "add", "file"),
            List.of(
                "git",
                "-C",
                work.toString(),
                "-c",
                "user.name=berth-it",
                "-c",
                "user.email=berth-it@invalid",
                "commit",
                "-qm",
                "file"),
            List.of("git", "clone", "-q", "--bare", work.toString(), base + "/allowed/repo.git"),
            List.of("git", "clone", "-q", "--bare", work.toString(), base + "/other/repo.git"))) {
      Proc.Result r = Proc.run(git);
      assertThat(r.ok()).as(r.describe()).isTrue();
    }
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    try (Proc.Running daemon =
        Proc.start(
            List.of(
                "git",
                "daemon",
                "--reuseaddr",
                "--listen=127.0.0.1",
                "--port=" + port,
                "--base-path=" + base,
                "--export-all",
                base.toString()))) {
      awaitListening(port);
      String url = "git://127.0.0.1:" + port;
      try (BerthServer own = berthAllowing(url + "/allowed/")) {
        DockerCli via = new DockerCli(own.socket());
        dockerfile(
            "FROM "
                + image
                + "\nADD "
                + url
                + "/allowed/repo.git /src\nRUN grep -qx "
                + nonce
                + " /src/file\n");
        Proc.Result r = cli(via, alice, List.of("build", "--no-cache", context.toString()));
        assertThat(r.ok()).as(r.describe()).isTrue();
        dockerfile("FROM " + image + "\nADD " + url + "/other/repo.git /src\n");
        Proc.Result other = cli(via, alice, List.of("build", "--no-cache", context.toString()));
        assertRefused(other, "berth: ", "only URLs under " + url + "/allowed/");
      }
    }
  }

  private static void awaitListening(int port) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      try {
        new Socket(InetAddress.getLoopbackAddress(), port).close();
        return;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("git daemon did not listen on port " + port);
  }

  /**
   * The build as root straight on the daemon, without berth, with the buildx plugin; its steps
   * without a network, as berth runs them (the test daemons have no bridge).
   */
  private Proc.Result upstreamBuild() throws IOException {
    Path config = dir(null);
    Path plugins = Files.createDirectory(config.resolve("cli-plugins"));
    Files.createSymbolicLink(plugins.resolve("docker-buildx"), PLUGIN);
    return Proc.run(
        List.of(
            "env",
            "DOCKER_CONFIG=" + config,
            ItEnvironment.dockerCli(),
            "-H",
            ItEnvironment.upstreamUrl(),
            "build",
            "--no-cache",
            "--network",
            "none",
            context.toString()),
        null,
        BUILD_TIMEOUT);
  }
}
