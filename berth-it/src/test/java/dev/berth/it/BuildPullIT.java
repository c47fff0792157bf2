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
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 13: a classic build ({@code DOCKER_BUILDKIT=0}) whose {@code FROM} names a registry image
 * that is not on the host works as on the daemon: berth pulls it first as the caller's own {@code
 * docker pull} (a shared registry image, never another user's private name), then judges and
 * forwards the build pinned to what it judged; {@code --pull} refreshes a shared base. With the
 * stock CLI as the real users alice and bob, through berth, against a real registry on loopback
 * ({@link Registry}).
 */
class BuildPullIT extends ItBase {
  private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(120);

  @RegisterExtension static final RegistryExtension REGISTRY = new RegistryExtension();

  private Path context;
  private final List<String> images = new ArrayList<>();
  private final List<String> containers = new ArrayList<>();

  @BeforeEach
  void makeContext() throws IOException {
    context =
        Files.createTempDirectory(
            "berth-buildpull-it",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
  }

  @AfterEach
  void cleanUp() throws IOException {
    if (!containers.isEmpty()) {
      List<String> args = new ArrayList<>(List.of("rm", "-f"));
      args.addAll(containers);
      DockerCli.upstream(args.toArray(String[]::new));
      containers.clear();
    }
    if (!images.isEmpty()) {
      List<String> args = new ArrayList<>(List.of("rmi", "-f"));
      args.addAll(images);
      DockerCli.upstream(args.toArray(String[]::new));
      images.clear();
    }
    try (var files = Files.walk(context)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** A name in the registry for this test, {@code 127.0.0.1:PORT/OWNER/it-RUN-hint-N:1}. */
  private String name(String owner, String hint) {
    String ref =
        REGISTRY.registry().host() + "/" + owner + "/" + ItEnvironment.uniqueName(hint) + ":1";
    images.add(ref);
    images.add(daemonName(alice, ref));
    images.add(daemonName(bob, ref));
    return ref;
  }

  /** The daemon's name of {@code user}'s private tag {@code ref} (a registry name). */
  private static String daemonName(UnixUser user, String ref) {
    int slash = ref.indexOf('/');
    return "berth.invalid/u"
        + user.uid()
        + "/"
        + ref.substring(0, slash).replace(":", "__")
        + ref.substring(slash);
  }

  /**
   * Puts an image holding {@code /marker} with {@code mark} into the registry as {@code ref} (made
   * and pushed as root on the daemon), and removes it from the host again.
   */
  private void seed(String ref, String mark) {
    publish(ref, mark);
    ok(DockerCli.upstream("rmi", ref));
  }

  /** As {@link #seed}, leaving the pushed image on the host under {@code ref}. */
  private void publish(String ref, String mark) {
    String c = ItEnvironment.uniqueName("seed");
    containers.add(c);
    ok(DockerCli.upstream("run", "--name", c, image, "sh", "-c", "echo " + mark + " > /marker"));
    ok(DockerCli.upstream("commit", c, ref));
    ok(DockerCli.upstream("push", ref));
  }

  private void write(String text) {
    try {
      Path f = context.resolve("Dockerfile");
      Files.writeString(f, text);
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A classic build without the cache, so that each RUN step prints what it saw. */
  private Proc.Result classicBuild(UnixUser user, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of("DOCKER_BUILDKIT=0", ItEnvironment.dockerCli(), "build", "--no-cache"));
    cmd.addAll(List.of(args));
    cmd.add(context.toString());
    return Proc.run(docker.asUser(user, cmd), null, BUILD_TIMEOUT);
  }

  private static void ok(Proc.Result r) {
    assertThat(r.ok()).as(r.describe()).isTrue();
  }

  private static String upstreamId(String ref) {
    Proc.Result r = DockerCli.upstream("image", "inspect", "--format", "{{.Id}}", ref);
    return r.ok() ? r.stdout().strip() : "";
  }

  @Test
  void build_fromRegistryImageNotOnTheHost_pulledThenBuilt() {
    String base = name("shared", "base");
    seed(base, "from-the-registry");
    assertThat(upstreamId(base)).isEmpty();
    write("FROM " + base + "\nRUN cat /marker\n");
    Proc.Result r = classicBuild(alice, "-t", name("alice", "built"));
    ok(r);
    assertThat(r.stdout()).contains("from-the-registry");
    assertThat(upstreamId(base)).as("a shared registry image now").isNotEmpty();
    // pulled by berth as alice's docker pull: bob uses the same shared image
    Proc.Result bobs = classicBuild(bob, "-t", name("bob", "built"));
    ok(bobs);
    assertThat(bobs.stdout()).contains("from-the-registry");
  }

  @Test
  void build_fromRegistryImageMissingThere_registryErrorEndsTheBuild() {
    String missing = name("nobody", "missing");
    write("FROM " + missing + "\nRUN true\n");
    Proc.Result r = classicBuild(alice, "-t", name("alice", "never"));
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
    assertThat(r.stderr()).as(r.describe()).contains("not found").doesNotContain("berth:");
    assertThat(upstreamId(missing)).isEmpty();
  }

  /** bob's private image under a registry name is not alice's base, by its name or a pull. */
  @Test
  void build_fromOtherUsersPrivateImage_refusedAndNeverUsed() {
    String bobs = name("bob", "private");
    write("FROM " + image + "\nRUN echo bobs-secret > /secret\n");
    ok(classicBuild(bob, "-t", bobs));
    String bobsId = upstreamId(daemonName(bob, bobs));
    assertThat(bobsId).isNotEmpty();
    write("FROM " + bobs + "\nRUN cat /secret\n");
    Proc.Result r = classicBuild(alice, "-t", name("alice", "stolen"));
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stdout() + r.stderr()).doesNotContain("bobs-secret");
    write("FROM " + daemonName(bob, bobs) + "\nRUN cat /secret\n");
    Proc.Result byDaemonName = classicBuild(alice, "-t", name("alice", "stolen2"));
    assertThat(byDaemonName.exitCode()).as(byDaemonName.describe()).isNotZero();
    assertThat(byDaemonName.stderr()).contains("berth:");
    assertThat(byDaemonName.stdout()).doesNotContain("bobs-secret");
  }

  /**
   * alice's build pulls the registry's image of a name bob has a private image under: the pull
   * writes only the shared name; bob's tag still holds his image, and his builds still use it.
   */
  @Test
  void buildPull_overOtherUsersPrivateTag_leavesItTheirs() {
    String ref = name("bob", "app");
    write("FROM " + image + "\nRUN echo bobs-own > /secret\n");
    ok(classicBuild(bob, "-t", ref));
    String bobsId = upstreamId(daemonName(bob, ref));
    seed(ref, "registry-version");

    write("FROM " + ref + "\nRUN cat /marker && test ! -e /secret\n");
    Proc.Result alices = classicBuild(alice, "-t", name("alice", "onapp"));
    ok(alices);
    assertThat(alices.stdout()).contains("registry-version").doesNotContain("bobs-own");
    assertThat(upstreamId(daemonName(bob, ref))).isEqualTo(bobsId);
    assertThat(upstreamId(ref)).isNotEmpty().isNotEqualTo(bobsId);

    write("FROM " + ref + "\nRUN cat /secret\n");
    Proc.Result bobAgain = classicBuild(bob, "-t", name("bob", "onapp"));
    ok(bobAgain);
    assertThat(bobAgain.stdout()).contains("bobs-own");
    Proc.Result refreshed = classicBuild(bob, "--pull", "-t", name("bob", "onapp2"));
    ok(refreshed);
    assertThat(refreshed.stdout()).contains("bobs-own");
    assertThat(upstreamId(daemonName(bob, ref))).isEqualTo(bobsId);
  }

  @Test
  void buildPull_refreshesASharedBaseOnlyWhenAsked() {
    String base = name("shared", "moving");
    seed(base, "first-version");
    write("FROM " + base + "\nRUN cat /marker\n");
    Proc.Result first = classicBuild(alice, "-t", name("alice", "v1"));
    ok(first);
    assertThat(first.stdout()).contains("first-version");
    String firstId = upstreamId(base);
    publish(base, "second-version"); // the registry moves on ...
    ok(DockerCli.upstream("tag", firstId, base)); // ... while the host keeps the first
    Proc.Result stale = classicBuild(alice, "-t", name("alice", "v2"));
    ok(stale);
    assertThat(stale.stdout()).contains("first-version");
    Proc.Result refreshed = classicBuild(alice, "--pull", "-t", name("alice", "v3"));
    ok(refreshed);
    assertThat(refreshed.stdout()).contains("second-version");
  }
}
