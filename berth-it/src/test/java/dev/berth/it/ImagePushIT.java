package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.yaml.PolicyDefaults;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 13: {@code docker push} of an image a user made, with the real CLI as the real users alice
 * and bob, through berth, to a real registry on loopback ({@link Registry}). alice's image is
 * pushed under the name she gave it; afterwards the daemon holds no such shared name (her image
 * stays private), the registry has it, and a pull of it (by alice or bob) is a shared registry
 * image. bob can neither push alice's image nor see it.
 */
class ImagePushIT extends ItBase {
  @RegisterExtension static final RegistryExtension REGISTRY = new RegistryExtension();

  private final List<String> images = new ArrayList<>();

  @AfterEach
  void removeImages() {
    if (!images.isEmpty()) {
      List<String> args = new ArrayList<>(List.of("rmi", "-f"));
      args.addAll(images);
      DockerCli.upstream(args.toArray(String[]::new));
      images.clear();
    }
  }

  /** A name in the registry for this test: {@code 127.0.0.1:PORT/alice/it-RUN-hint-N:1}. */
  private String name(String user, String hint) {
    String repo = user + "/" + ItEnvironment.uniqueName(hint);
    String ref = REGISTRY.registry().host() + "/" + repo + ":1";
    images.add(ref);
    images.add(daemonName(alice, ref));
    images.add(daemonName(bob, ref));
    return ref;
  }

  /**
   * The daemon's name of {@code user}'s tag {@code ref} ({@code
   * berth.invalid/u1001/127.0.0.1__PORT/...}).
   */
  private static String daemonName(ItEnvironment.UnixUser user, String ref) {
    int slash = ref.indexOf('/');
    return "berth.invalid/u"
        + user.uid()
        + "/"
        + ref.substring(0, slash).replace(":", "__")
        + ref.substring(slash);
  }

  private static String repository(String ref) {
    return ref.substring(ref.indexOf('/') + 1, ref.lastIndexOf(':'));
  }

  /** An image of {@code user}'s own, named {@code ref}: a commit of a new container of theirs. */
  private String made(ItEnvironment.UnixUser user, String ref, String mark) {
    String c = container(user.name() + "-made");
    ok(docker.run(user, "create", "--name", c, image, "true"));
    ok(docker.run(user, "commit", "--change", "LABEL made.by=" + mark, c, ref));
    return upstreamId(daemonName(user, ref));
  }

  private static void ok(Proc.Result r) {
    assertThat(r.ok()).as(r.describe()).isTrue();
  }

  private static String upstreamId(String ref) {
    Proc.Result r = DockerCli.upstream("image", "inspect", "--format", "{{.Id}}", ref);
    return r.ok() ? r.stdout().strip() : "";
  }

  @Test
  void push_ownImage_reachesTheRegistry_sharedAfterAPull_bobPullsIt() throws Exception {
    String ref = name("alice", "app");
    String hers = made(alice, ref, "alice");

    Proc.Result push = docker.run(alice, "push", ref);
    ok(push);
    assertThat(REGISTRY.registry().tags(repository(ref))).startsWith("200").contains("\"1\"");
    assertThat(upstreamId(ref))
        .as("the temporary tag is gone after the push: the daemon has no shared name %s", ref)
        .isEmpty();
    assertThat(upstreamId(daemonName(alice, ref))).isEqualTo(hers);
    Proc.Result bobSees = docker.run(bob, "image", "inspect", ref);
    assertThat(bobSees.ok()).as(bobSees.describe()).isFalse();

    ok(docker.run(alice, "rmi", ref));
    ok(docker.run(alice, "pull", ref));
    String pulled = upstreamId(ref);
    assertThat(pulled).as("a shared registry image now").isNotEmpty();
    Proc.Result digests =
        DockerCli.upstream("image", "inspect", "--format", "{{json .RepoDigests}}", ref);
    assertThat(digests.stdout())
        .contains(REGISTRY.registry().host() + "/" + repository(ref) + "@sha256:");
    Proc.Result label =
        docker.run(
            alice, "image", "inspect", "--format", "{{index .Config.Labels \"made.by\"}}", ref);
    assertThat(label.stdout().strip()).as(label.describe()).isEqualTo("alice");

    ok(docker.run(bob, "pull", ref));
    Proc.Result bobs = docker.run(bob, "image", "inspect", "--format", "{{.Id}}", ref);
    ok(bobs);
    assertThat(bobs.stdout().strip()).isEqualTo(pulled);
    ok(docker.run(bob, "run", "--rm", "--name", container("bob-runs"), ref, "true"));
  }

  @Test
  void pushAllTags_ownImages_refusedNamingEachTagsPush() throws Exception {
    String ref = name("alice", "all");
    made(alice, ref, "alice-all");
    String repo = ref.substring(0, ref.lastIndexOf(':'));
    String two = repo + ":2";
    images.add(two);
    images.add(daemonName(alice, two));
    ok(docker.run(alice, "tag", ref, two));
    Proc.Result push = docker.run(alice, "push", "-a", repo);
    assertThat(push.ok()).as(push.describe()).isFalse();
    assertThat(push.stderr())
        .as(push.describe())
        .contains("docker push -a")
        .contains("push each tag instead");
    assertThat(REGISTRY.registry().tags(repository(ref))).doesNotStartWith("200");
    ok(docker.run(alice, "push", ref));
    ok(docker.run(alice, "push", two));
    assertThat(REGISTRY.registry().tags(repository(ref))).contains("\"1\"").contains("\"2\"");
  }

  @Test
  void push_otherUsersImage_refused() throws Exception {
    String ref = name("alice", "secret");
    String hers = made(alice, ref, "alice-secret");
    Proc.Result push = docker.run(bob, "push", ref);
    assertThat(push.ok()).as(push.describe()).isFalse();
    assertThat(push.stderr()).containsIgnoringCase("no such image");
    Proc.Result byDaemonName = docker.run(bob, "push", daemonName(alice, ref));
    assertThat(byDaemonName.ok()).as(byDaemonName.describe()).isFalse();
    assertThat(REGISTRY.registry().tags(repository(ref))).doesNotStartWith("200");
    assertThat(upstreamId(ref)).isEmpty();
    assertThat(upstreamId(daemonName(alice, ref))).isEqualTo(hers);
  }

  @Test
  void push_overASharedNameOfTheSameRepository_sharedImageRestoredAfterwards() throws Exception {
    String ref = name("alice", "tool");
    made(alice, ref, "v1");
    ok(docker.run(alice, "push", ref));
    ok(docker.run(bob, "pull", ref));
    String v1 = upstreamId(ref);
    String v2 = made(alice, ref, "v2");
    assertThat(v2).isNotEqualTo(v1);

    ok(docker.run(alice, "push", ref));

    assertThat(upstreamId(ref)).as("the shared name holds the pulled v1 again").isEqualTo(v1);
    Proc.Result bobs = docker.run(bob, "image", "inspect", "--format", "{{.Id}}", ref);
    assertThat(bobs.stdout().strip()).as(bobs.describe()).isEqualTo(v1);
    ok(docker.run(bob, "pull", ref));
    Proc.Result label =
        docker.run(
            bob, "image", "inspect", "--format", "{{index .Config.Labels \"made.by\"}}", ref);
    assertThat(label.stdout().strip()).as(label.describe()).isEqualTo("v2");
  }

  @Test
  void pull_protectedRepository_refusedForUser() throws Exception {
    String ref = name("site", "base");
    made(alice, ref, "site-base");
    ok(docker.run(alice, "push", ref));
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "bpush-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path policy = dir.resolve("protected.yaml");
    Files.writeString(
        policy,
        PolicyDefaults.text()
            .replace(
                "protected_repositories: []",
                "protected_repositories: [\"" + REGISTRY.registry().host() + "/site/*\"]"));
    try (BerthServer protecting =
        BerthServer.start(ItEnvironment.upstreamUrl(), List.of("--policy", policy.toString()))) {
      DockerCli cli = new DockerCli(protecting.socket());
      Proc.Result pull = cli.run(alice, "pull", ref);
      assertThat(pull.ok()).as(pull.describe()).isFalse();
      assertThat(pull.stderr())
          .contains("is a protected repository")
          .contains(REGISTRY.registry().host());
      assertThat(upstreamId(ref)).isEmpty();
      ok(cli.run(ItEnvironment.user("root"), "pull", ref));
      ok(cli.run(bob, "run", "--rm", "--name", container("bob-base"), ref, "true"));
    } finally {
      Files.deleteIfExists(policy);
      Files.deleteIfExists(dir);
    }
  }
}
