package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.policy.docker.ImageRef;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 16 item 2 for the classic builder ({@code DOCKER_BUILDKIT=0}, the only builder users have
 * on 20.10): every {@code FROM}, {@code COPY --from} and base image's {@code ONBUILD COPY --from}
 * is held to the role's rules for {@code build}, by where an image on the daemon came from and who
 * made it, and a base berth pulls for the build by its name as written, before the pull. With the
 * stock CLI as the real user alice, through berth, against a real registry on loopback ({@link
 * Registry}); the images in it are made and pushed by root, so that the daemon records where each
 * came from ({@code RepoDigests}).
 */
class BuildImageRulesIT {
  private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(120);

  private static final String RULES =
      """
      images:
            - {rule: site, repos: ["REG/site/*"]}
            - {rule: pinned, repos: ["REG/pinned/*"], digests: required}
            - {rule: runonly, repos: ["REG/runonly/*"], for: [pull, run]}
            - {rule: test-image, made_by: admin, repos: ["TEST_IMAGE"]}
            - {rule: own-builds, made_by: self}""";

  @RegisterExtension static final RegistryExtension REGISTRY = new RegistryExtension();

  private static Registry registry;
  private static BerthServer berth;
  private static DockerCli docker;
  private static UnixUser alice;
  private static Path dir;
  private static final List<String> IMAGES = new ArrayList<>();

  /** In the registry and on the host: pushed from {@code evil/}, which no rule allows. */
  private static String evil;

  private static String evilId;

  /** In the registry and on the host: an allowed base whose ONBUILD trigger reads {@link #evil}. */
  private static String trapped;

  @BeforeAll
  static void start() throws Exception {
    ItEnvironment.require();
    registry = REGISTRY.registry();
    alice = ItEnvironment.user("alice");
    dir = Files.createTempDirectory(Path.of("/tmp"), "bir-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path policy = dir.resolve("images.yaml");
    String rules =
        RULES
            .replace("REG", registry.host())
            .replace("TEST_IMAGE", ImageRef.parse(ItEnvironment.image()).name());
    Files.writeString(
        policy,
        PolicyDefaults.text().replace("    scope: own\n", "    scope: own\n    " + rules + "\n"));
    berth = BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", policy.toString()));
    docker = new DockerCli(berth.socket());
    evil = name("evil", "miner");
    publish(evil, "evil-content");
    evilId = upstreamId(evil);
    trapped = name("site", "trapped");
    publish(trapped, "trapped-base", "--change", "ONBUILD COPY --from=" + evil + " /marker /m");
  }

  @AfterAll
  static void stop() throws IOException {
    if (berth != null) {
      berth.close();
    }
    if (!IMAGES.isEmpty()) {
      List<String> args = new ArrayList<>(List.of("rmi", "-f"));
      args.addAll(IMAGES);
      DockerCli.upstream(args.toArray(String[]::new));
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** A name in the registry, {@code 127.0.0.1:PORT/OWNER/it-RUN-hint-N:1}, removed at the end. */
  private static String name(String owner, String hint) {
    String ref = registry.host() + "/" + owner + "/" + ItEnvironment.uniqueName(hint) + ":1";
    IMAGES.add(ref);
    IMAGES.add(
        "berth.invalid/u"
            + alice.uid()
            + "/"
            + registry.host().replace(":", "__")
            + ref.substring(ref.indexOf('/')));
    return ref;
  }

  /**
   * Makes an image holding {@code /marker} with {@code mark} (with {@code change}, docker commit's
   * options) as root and pushes it as {@code ref}; it stays on the host. Returns its digest.
   */
  private static String publish(String ref, String mark, String... change) {
    String c = ItEnvironment.uniqueName("seed");
    ok(
        DockerCli.upstream(
            "run", "--name", c, ItEnvironment.image(), "sh", "-c", "echo " + mark + " > /marker"));
    List<String> commit = new ArrayList<>(List.of("commit"));
    commit.addAll(List.of(change));
    commit.addAll(List.of(c, ref));
    ok(DockerCli.upstream(commit.toArray(String[]::new)));
    DockerCli.upstream("rm", "-f", c);
    ok(DockerCli.upstream("push", ref));
    String digests =
        DockerCli.upstream("image", "inspect", "--format", "{{join .RepoDigests \" \"}}", ref)
            .stdout();
    assertThat(digests).contains("@sha256:");
    return digests.substring(digests.indexOf("@") + 1).strip().split(" ")[0];
  }

  private static String upstreamId(String ref) {
    Proc.Result r = DockerCli.upstream("image", "inspect", "--format", "{{.Id}}", ref);
    return r.ok() ? r.stdout().strip() : "";
  }

  private static void ok(Proc.Result r) {
    assertThat(r.ok()).as(r.describe()).isTrue();
  }

  /** {@code DOCKER_BUILDKIT=0 docker build} of a context holding {@code dockerfile}, as alice. */
  private static Proc.Result build(String dockerfile, String... args) throws IOException {
    Path c = Files.createTempDirectory(dir, "ctx-");
    Files.setPosixFilePermissions(c, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path f = c.resolve("Dockerfile");
    Files.writeString(f, dockerfile);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    List<String> cmd =
        new ArrayList<>(
            List.of("DOCKER_BUILDKIT=0", ItEnvironment.dockerCli(), "build", "--no-cache"));
    cmd.addAll(List.of(args));
    cmd.add(c.toString());
    return Proc.run(docker.asUser(alice, cmd), null, BUILD_TIMEOUT);
  }

  private static void assertRefused(Proc.Result r, String... parts) {
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("Error response from daemon: berth: ")
        .contains(parts);
    assertThat(r.stdout()).as(r.describe()).doesNotContain("evil-content");
  }

  @Test
  void build_fromAllowedRegistryImageNotOnTheHost_pulledAndBuilt() throws IOException {
    String base = name("site", "base");
    publish(base, "site-content");
    ok(DockerCli.upstream("rmi", base));
    String mine = name("alice", "built");
    Proc.Result r =
        build(
            "FROM "
                + base
                + " AS evil\nRUN cat /marker\nFROM "
                + ItEnvironment.image()
                + "\nCOPY --from=evil /marker /m\nRUN cat /m\nFROM scratch\nCOPY --from=evil"
                + " /marker /m\n",
            "-t",
            mine);
    ok(r);
    assertThat(r.stdout()).contains("site-content");
    assertThat(upstreamId(base)).as("pulled by berth for the build").isNotEmpty();
  }

  @Test
  void build_fromDisallowedImageTaggedLocallyWithAllowedName_refused() throws IOException {
    String renamed = name("site", "renamed");
    ok(docker.run(alice, "tag", evil, renamed));
    assertRefused(
        build("FROM " + renamed + "\nRUN cat /marker\n"),
        "FROM " + renamed + ": no image rule of role user allows building from " + renamed,
        "from " + evil.substring(0, evil.lastIndexOf(':')),
        "the rules for build: site (" + registry.host() + "/site/*)");
  }

  @Test
  void build_fromIdOfDisallowedImage_refused() throws IOException {
    assertRefused(build("FROM " + evilId + "\nRUN cat /marker\n"), "no image rule");
    assertRefused(
        build("FROM " + evilId.substring(7, 19) + "\nRUN cat /marker\n"), "no image rule");
  }

  @Test
  void build_copyFromDisallowedImage_refused() throws IOException {
    assertRefused(
        build("FROM " + ItEnvironment.image() + "\nCOPY --from=" + evil + " /marker /m\n"),
        "COPY --from " + evil + ": no image rule");
  }

  @Test
  void build_onbuildInAllowedBaseNamingDisallowedImage_refused() throws IOException {
    assertRefused(
        build("FROM " + trapped + "\nRUN true\n"),
        "ONBUILD of the base image " + trapped + ": COPY --from=" + evil,
        "no image rule");
  }

  @Test
  void build_pinnedOnlyRuleFromByTag_refusedBeforeThePull_byDigestBuilt() throws IOException {
    String base = name("pinned", "base");
    String digest = publish(base, "pinned-content");
    ok(DockerCli.upstream("rmi", base));
    assertRefused(
        build("FROM " + base + "\nRUN cat /marker\n"),
        "image rule \"pinned\" of role user allows",
        "only pinned by digest");
    assertThat(upstreamId(base)).as("not pulled").isEmpty();
    String pinned = base.substring(0, base.lastIndexOf(':')) + "@" + digest;
    IMAGES.add(pinned);
    Proc.Result r =
        build(
            "ARG BASE=" + base + "\nFROM ${BASE}\nRUN cat /marker\n",
            "--build-arg",
            "BASE=" + pinned);
    ok(r);
    assertThat(r.stdout()).contains("pinned-content");
  }

  @Test
  void build_fromNameAllowedOnlyForPullAndRun_refusedAndNotPulled() throws IOException {
    String base = name("runonly", "base");
    publish(base, "runonly-content");
    ok(DockerCli.upstream("rmi", base));
    assertRefused(
        build("FROM " + base + "\nRUN cat /marker\n"),
        "no image rule of role user allows building from " + base);
    assertThat(upstreamId(base)).as("not pulled for the build").isEmpty();
  }

  @Test
  void build_fromOwnBuild_allowedBySelfRule() throws IOException {
    String first = "bir-own-" + ItEnvironment.RUN_ID + ":1";
    IMAGES.add("berth.invalid/u" + alice.uid() + "/docker.io/library/" + first);
    ok(build("FROM " + ItEnvironment.image() + "\nRUN echo mine > /mine\n", "-t", first));
    Proc.Result r = build("FROM " + first + "\nRUN cat /mine\n");
    ok(r);
    assertThat(r.stdout()).contains("mine");
  }
}
