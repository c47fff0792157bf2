package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.policy.docker.ApiVersions;
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

/**
 * Issue 16 item 2 through the real CLI on a real daemon: a role whose image rules allow the site's
 * registry, Docker Hub's official images only by digest, and the test image an administrator made.
 * There is no registry fixture in the suite, so the images are the ones on the daemon: the test
 * image (imported by root: an administrator's) and a second image root commits from it under
 * another name (an administrator's image the rules do not name); pulls are refused before the
 * daemon would contact a registry.
 */
class ImagePolicyIT {
  private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(180);
  private static final Path BUILDX =
      Path.of(
          System.getenv()
              .getOrDefault(
                  "BERTH_IT_BUILDX",
                  "/var/cache/berth-test/buildx/root/usr/libexec/docker/cli-plugins/docker-buildx"));
  private static final String RULES =
      """
      images:
            - {rule: site, repos: ["registry.site.edu/*"]}
            - {rule: hub-pinned, repos: ["docker.io/library/*"], digests: required}
            - {rule: test-image, made_by: admin, repos: ["TEST_IMAGE"]}
            - {rule: test-base, repos: ["TEST_IMAGE"], for: [build]}""";

  private static BerthServer berth;
  private static DockerCli docker;
  private static UnixUser alice;
  private static Path dir;
  private static String other;
  private static String otherId;
  private static final List<String> TAGS = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    ItEnvironment.require();
    alice = ItEnvironment.user("alice");
    dir = Files.createTempDirectory(Path.of("/tmp"), "bip-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path policy = dir.resolve("images.yaml");
    Files.writeString(
        policy,
        PolicyDefaults.text()
            .replace(
                "    scope: own\n",
                "    scope: own\n    " + RULES.replace("TEST_IMAGE", testImage()) + "\n"));
    berth = BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", policy.toString()));
    docker = new DockerCli(berth.socket());
    String maker = ItEnvironment.uniqueName("ipmaker");
    other = ItEnvironment.uniqueName("ipother") + ":1";
    TAGS.add(other);
    DockerCli.upstream("create", "--name", maker, ItEnvironment.image(), "true");
    DockerCli.upstream("commit", "--change", "LABEL made=by-root", maker, other);
    DockerCli.upstream("rm", "-f", maker);
    otherId = DockerCli.upstream("image", "inspect", "--format", "{{.Id}}", other).stdout().strip();
    assertThat(otherId).startsWith("sha256:");
  }

  @AfterAll
  static void stop() throws IOException {
    if (berth != null) {
      berth.close();
    }
    for (String t : TAGS) {
      DockerCli.upstream("rmi", "-f", t);
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The canonical repository of the suite's test image ({@code docker.io/library/berth-test}). */
  private static String testImage() {
    return ImageRef.parse(ItEnvironment.image()).name();
  }

  private static void assertRefused(Proc.Result r, String... parts) {
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("Error response from daemon: berth: ")
        .contains(parts);
  }

  @Test
  void run_imageTheRulesAllow_runs() {
    Proc.Result r = docker.run(alice, "run", "--rm", ItEnvironment.image(), "true");
    assertThat(r.exitCode()).as(r.describe()).isZero();
  }

  @Test
  void run_imageNoRuleAllows_refusedNamingTheRules() {
    assertRefused(
        docker.run(alice, "run", "--rm", other, "true"),
        "no image rule of role user allows running " + other,
        "made by an administrator",
        "test-image (made by an administrator as " + testImage() + ")",
        "ask an administrator");
  }

  @Test
  void create_byIdOfDisallowedImage_refused() {
    assertRefused(docker.run(alice, "run", "--rm", otherId, "true"), "no image rule");
    assertRefused(docker.run(alice, "create", otherId.substring(7, 19), "true"), "no image rule");
    // an allowed name with the id of a disallowed image as its digest never runs that image
    // (the daemon has no such repository digest; the pull the CLI tries then is judged by name)
    Proc.Result byDigest =
        docker.run(
            alice,
            "run",
            "--rm",
            ItEnvironment.image().replace(":latest", "") + "@" + otherId,
            "true");
    assertThat(byDigest.exitCode()).as(byDigest.describe()).isNotZero();
  }

  @Test
  void tagRename_disallowedImageAsAllowedName_refused() {
    String mine =
        ImageRef.parse(ItEnvironment.image()).repository().replace("library/", "")
            + ":renamed-"
            + ItEnvironment.RUN_ID;
    Proc.Result tag = docker.run(alice, "tag", other, mine);
    assertThat(tag.exitCode()).as(tag.describe()).isZero();
    TAGS.add("berth.invalid/u" + alice.uid() + "/docker.io/library/" + mine);
    assertRefused(
        docker.run(alice, "run", "--rm", mine, "true"), "no image rule", "allows running " + mine);
    Proc.Result site = docker.run(alice, "tag", other, "registry.site.edu/tool:1");
    assertThat(site.exitCode()).as(site.describe()).isZero();
    TAGS.add("berth.invalid/u" + alice.uid() + "/registry.site.edu/tool:1");
    assertRefused(
        docker.run(alice, "run", "--rm", "registry.site.edu/tool:1", "true"), "no image rule");
  }

  @Test
  void pull_unpinnedOfPinnedOnlyRepo_refusedNamingTheRule() {
    assertRefused(
        docker.run(alice, "pull", "busybox:1.36"),
        "image rule \"hub-pinned\"",
        "only pinned by digest",
        "docker.io/library/busybox@sha256:<digest>");
  }

  @Test
  void pull_registryNoRuleAllows_refused() {
    assertRefused(
        docker.run(alice, "pull", "quay.io/evil/miner:1"),
        "no image rule of role user allows pulling quay.io/evil/miner:1",
        "site");
  }

  @Test
  void run_missingImageOfDisallowedRegistry_refusedBeforeThePull() {
    assertRefused(
        docker.run(alice, "run", "--rm", "quay.io/evil/miner:1", "true"), "no image rule");
  }

  @Test
  void build_classicBuilderFromAllowedImage_built_fromDisallowedImage_refused() throws IOException {
    Proc.Result allowed = classic(context("FROM " + ItEnvironment.image() + "\nRUN true\n"));
    assertThat(allowed.exitCode()).as(allowed.describe()).isZero();
    assertRefused(
        classic(context("FROM " + other + "\nRUN true\n")),
        "FROM " + other + ": no image rule of role user allows building from " + other,
        "the rules for build: site (registry.site.edu/*)",
        "test-base (" + testImage() + ")",
        "use an image they allow");
    assertRefused(classic(context("FROM " + otherId + "\nRUN true\n")), "no image rule");
    // the disallowed image under an allowed name of alice's own
    String renamed = "registry.site.edu/tool:build-" + ItEnvironment.RUN_ID;
    Proc.Result tag = docker.run(alice, "tag", other, renamed);
    assertThat(tag.exitCode()).as(tag.describe()).isZero();
    TAGS.add("berth.invalid/u" + alice.uid() + "/" + renamed);
    assertRefused(
        classic(context("FROM " + renamed + "\nRUN true\n")),
        "no image rule of role user allows building from " + renamed);
  }

  /** {@code DOCKER_BUILDKIT=0 docker build CONTEXT} as alice through berth. */
  private static Proc.Result classic(Path context) {
    return Proc.run(
        docker.asUser(
            alice,
            List.of("DOCKER_BUILDKIT=0", ItEnvironment.dockerCli(), "build", context.toString())),
        null,
        BUILD_TIMEOUT);
  }

  @Test
  void buildKit_fromDisallowedImage_deniedByTheSourcePolicy() throws IOException {
    if (!Files.isExecutable(BUILDX)) {
      ItEnvironment.unavailable("no buildx plugin at " + BUILDX);
    }
    String api =
        DockerCli.upstream("version", "--format", "{{.Server.APIVersion}}").stdout().strip();
    Proc.Result allowed = buildx(context("FROM " + ItEnvironment.image() + "\nRUN true\n"));
    Proc.Result denied = buildx(context("FROM " + other + "\nRUN true\n"));
    if (ApiVersions.compare(api, "1.44") < 0) {
      // no source policies before API 1.44: berth refuses the build when it starts (Control/Solve),
      // with the way out; buildx keeps its docker driver
      for (Proc.Result r : List.of(allowed, denied)) {
        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stderr())
            .as(r.describe())
            .contains(
                "berth: BuildKit on this engine (API ",
                "cannot be confined to your own images",
                "DOCKER_BUILDKIT=0 docker build")
            .doesNotContain("docker-container");
      }
      return;
    }
    assertThat(allowed.exitCode()).as(allowed.describe()).isZero();
    assertThat(denied.exitCode()).as(denied.describe()).isNotZero();
    assertThat(denied.stderr())
        .as(denied.describe())
        .contains("denied by policy")
        .contains(other.substring(0, other.indexOf(':')))
        .containsOnlyOnce("(berth: your role's image rules for build allow site")
        .contains("test-base (" + testImage() + ")");
    // an allowed name with the id of a disallowed image is not that image for BuildKit
    Proc.Result byId =
        buildx(
            context(
                "FROM "
                    + ItEnvironment.image().replace(":latest", "")
                    + "@"
                    + otherId
                    + "\nRUN true\n"));
    assertThat(byId.exitCode()).as(byId.describe()).isNotZero();
  }

  private static Path context(String dockerfile) throws IOException {
    Path c = Files.createTempDirectory(dir, "ctx-");
    Files.setPosixFilePermissions(c, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path f = c.resolve("Dockerfile");
    Files.writeString(f, dockerfile);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    return c;
  }

  /** {@code docker build CONTEXT} as alice through berth with the buildx plugin. */
  private static Proc.Result buildx(Path context) throws IOException {
    Path config = Files.createTempDirectory(dir, "cfg-");
    Path plugins = Files.createDirectory(config.resolve("cli-plugins"));
    Files.createSymbolicLink(plugins.resolve("docker-buildx"), BUILDX);
    Proc.run(List.of("chown", "-R", alice.uid() + ":" + alice.gid(), config.toString()));
    return Proc.run(
        docker.asUser(
            alice,
            List.of(
                "DOCKER_CONFIG=" + config, ItEnvironment.dockerCli(), "build", context.toString())),
        null,
        BUILD_TIMEOUT);
  }
}
