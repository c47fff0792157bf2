package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: {@code docker load} and {@code docker import} as real users through the real CLI. What
 * a user loads or imports is theirs (the archive's tags are written into their namespace as it
 * streams through berth), other users can neither see nor run it by name or id, a shared name in an
 * archive never replaces the shared image, and a load refused for a tag stops before the archive's
 * end so the daemon tags nothing.
 */
class ImageArchiveIT extends ItBase {
  private final List<String> upstreamImages = new ArrayList<>();
  private final List<Path> dirs = new ArrayList<>();

  @AfterEach
  void removeImages() {
    for (String i : upstreamImages) {
      DockerCli.upstream("rmi", "-f", i);
    }
    for (Path d : dirs) {
      Proc.run(List.of("rm", "-rf", d.toString()));
    }
  }

  private Proc.Result ok(ItEnvironment.UnixUser u, String... args) {
    Proc.Result r = docker.run(u, args);
    assertThat(r.exitCode()).as(r.describe()).isZero();
    return r;
  }

  private static Proc.Result upstreamOk(String... args) {
    Proc.Result r = DockerCli.upstream(args);
    assertThat(r.exitCode()).as(r.describe()).isZero();
    return r;
  }

  /** A fresh name, and its daemon names (shared and alice's) removed after the test. */
  private String imageName(String hint) {
    String n = ItEnvironment.uniqueName(hint) + ":t1";
    upstreamImages.add(n);
    upstreamImages.add(Tenants.daemonImage(alice, n));
    upstreamImages.add(Tenants.daemonImage(bob, n));
    return n;
  }

  /** A directory alice owns (0700): her CLI reads and writes her archives there. */
  private Path aliceDir() {
    try {
      Path d =
          Files.createTempDirectory(
              Path.of("/tmp"),
              "it-load-",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      dirs.add(d);
      Proc.run(List.of("chown", "-R", alice.uid() + ":" + alice.gid(), d.toString()));
      return d;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * An archive of an image made on the daemon by root ({@code docker save} of a commit, then the
   * image removed), tagged {@code name}: content no user made before, saved the way the daemon's
   * own {@code docker save} writes it on this engine.
   */
  private Path archive(Path dir, String name) {
    String c = ItEnvironment.uniqueName("load-src");
    upstreamOk("run", "--name", c, image, "sh", "-c", "echo " + c + " > /made");
    try {
      upstreamOk("commit", c, name);
      Path file = dir.resolve("img.tar");
      upstreamOk("save", "-o", file.toString(), name);
      upstreamOk("rmi", name);
      Proc.run(List.of("chown", alice.uid() + ":" + alice.gid(), file.toString()));
      return file;
    } finally {
      DockerCli.upstream("rm", "-f", c);
    }
  }

  @Test
  void load_aliceLoadsAnArchive_bobCannotSeeOrRunIt() {
    Path dir = aliceDir();
    String name = imageName("loaded");
    Path file = archive(dir, name);
    Proc.Result load = ok(alice, "load", "-i", file.toString());
    assertThat(load.stdout()).contains("Loaded image: " + name).doesNotContain("berth.invalid");
    assertThat(ok(alice, "run", "--rm", name, "cat", "/made").stdout()).contains("load-src");
    String id = ok(alice, "image", "inspect", "--format", "{{.Id}}", name).stdout().strip();
    assertThat(ok(alice, "images", "--format", "{{.Repository}}:{{.Tag}}").stdout().lines())
        .contains(name);
    // on the daemon the tag is alice's private name, and the shared name does not exist
    assertThat(Tenants.upstreamFormat("image", Tenants.daemonImage(alice, name), "{{.Id}}"))
        .isEqualTo(id);
    assertThat(DockerCli.upstream("image", "inspect", name).ok()).isFalse();
    // bob: not by name, not by id, not in his list, cannot run it
    for (String ref : List.of(name, id, id.substring("sha256:".length(), 19))) {
      Proc.Result r = docker.run(bob, "image", "inspect", ref);
      assertThat(r.exitCode()).as(r.describe()).isNotZero();
      assertThat(r.stderr()).contains("No such image");
    }
    assertThat(ok(bob, "images", "-a", "--no-trunc", "--format", "{{.ID}}").stdout())
        .doesNotContain(id);
    Proc.Result run = docker.run(bob, "run", "--rm", "--pull", "never", id, "true");
    assertThat(run.exitCode()).as(run.describe()).isNotZero();
  }

  @Test
  void load_untaggedArchive_claimedByItsLoader() {
    Path dir = aliceDir();
    String name = imageName("untagged");
    String c = ItEnvironment.uniqueName("load-src");
    upstreamOk("run", "--name", c, image, "sh", "-c", "echo " + c + " > /made");
    Path file = dir.resolve("id.tar");
    String id;
    try {
      upstreamOk("commit", c, name);
      id = Tenants.upstreamFormat("image", name, "{{.Id}}");
      upstreamOk("save", "-o", file.toString(), id); // by id: the archive names no tag
      upstreamOk("rmi", name);
      Proc.run(List.of("chown", alice.uid() + ":" + alice.gid(), file.toString()));
    } finally {
      DockerCli.upstream("rm", "-f", c);
    }
    upstreamImages.add(id);
    assertThat(ok(alice, "load", "-i", file.toString()).stdout())
        .contains("Loaded image ID: " + id);
    assertThat(ok(alice, "run", "--rm", id, "cat", "/made").stdout()).contains("load-src");
    // untagged and nobody's it would be everyone's: the load's answer claimed it for alice
    Proc.Result r = docker.run(bob, "image", "inspect", id);
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).contains("No such image");
  }

  @Test
  void load_tagOverSharedName_staysPrivate() {
    Path dir = aliceDir();
    String shared = imageName("shared");
    Path file = archive(dir, shared);
    upstreamOk("tag", image, shared); // the shared name holds the site's image again
    String sharedId = Tenants.upstreamFormat("image", shared, "{{.Id}}");
    ok(alice, "load", "-i", file.toString());
    // the shared name still holds the shared image, for the daemon and for bob
    assertThat(Tenants.upstreamFormat("image", shared, "{{.Id}}")).isEqualTo(sharedId);
    assertThat(ok(bob, "image", "inspect", "--format", "{{.Id}}", shared).stdout().strip())
        .isEqualTo(sharedId);
    // alice's own name is resolved first for her
    String mine = ok(alice, "image", "inspect", "--format", "{{.Id}}", shared).stdout().strip();
    assertThat(mine).isNotEqualTo(sharedId);
    assertThat(Tenants.upstreamFormat("image", Tenants.daemonImage(alice, shared), "{{.Id}}"))
        .isEqualTo(mine);
  }

  @Test
  void load_reservedRegistryTag_refusedBeforeEnd() throws IOException {
    Path dir = aliceDir();
    String name = imageName("refused");
    Path file = archive(dir, name);
    String target = "berth.invalid/u" + bob.uid() + "/docker.io/library/" + name;
    upstreamImages.add(target);
    // the daemon's own archive, then one more manifest.json naming bob's namespace
    byte[] saved = Files.readAllBytes(file);
    int end = saved.length;
    while (end >= 512 && isZero(Arrays.copyOfRange(saved, end - 512, end))) {
      end -= 512;
    }
    ByteArrayOutputStream crafted = new ByteArrayOutputStream();
    crafted.write(saved, 0, end);
    String json = "[{\"Config\":\"x.json\",\"RepoTags\":[\"" + target + "\"],\"Layers\":[]}]";
    byte[] manifest = json.getBytes(StandardCharsets.UTF_8);
    crafted.writeBytes(Tar.singleFile("manifest.json", manifest, 0644, 0, 0));
    Path bad = dir.resolve("bad.tar");
    Files.write(bad, crafted.toByteArray());
    Proc.run(List.of("chown", alice.uid() + ":" + alice.gid(), bad.toString()));
    Proc.Result r = docker.run(alice, "load", "-i", bad.toString());
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .contains("Error response from daemon: berth: docker load")
        .contains("berth.invalid");
    // the daemon tagged nothing: neither the forged name nor the archive's own tag
    assertThat(DockerCli.upstream("image", "inspect", target).ok()).isFalse();
    assertThat(DockerCli.upstream("image", "inspect", Tenants.daemonImage(alice, name)).ok())
        .isFalse();
    assertThat(DockerCli.upstream("image", "inspect", name).ok()).isFalse();
  }

  /** A directory {@code u} owns (0700), for their CLI's archives. */
  private Path dirOf(ItEnvironment.UnixUser u) {
    Path d = aliceDir();
    Proc.run(List.of("chown", "-R", u.uid() + ":" + u.gid(), d.toString()));
    return d;
  }

  /**
   * {@code docker save REPO} without a tag saves every tag of the repository, as on the daemon:
   * alice's own and the shared ones, in her names; never bob's private tag of that repository.
   */
  @Test
  void save_repositoryWithoutTag_everyOwnAndSharedTagNeverAnotherUsers() throws IOException {
    String first = imageName("repo");
    String repo = first.substring(0, first.lastIndexOf(':'));
    String second = repo + ":t2";
    String shared = repo + ":shared";
    String bobs = repo + ":bobs";
    upstreamImages.add(Tenants.daemonImage(alice, second));
    upstreamImages.add(shared);
    upstreamImages.add(Tenants.daemonImage(bob, bobs));
    String c = container("save-repo");
    ok(alice, "create", "--name", c, image, "true");
    ok(alice, "commit", c, first);
    ok(alice, "tag", first, second);
    upstreamOk("tag", image, shared);
    String b = container("save-repo-bob");
    ok(bob, "create", "--name", b, image, "true");
    ok(bob, "commit", b, bobs);

    Path file = aliceDir().resolve("repo.tar");
    ok(alice, "save", "-o", file.toString(), repo);
    byte[] saved = Files.readAllBytes(file);
    String text = new String(saved, StandardCharsets.ISO_8859_1);
    String entries = Tenants.tarEntries(saved);
    assertThat(text)
        .as(entries)
        .contains("\"" + first + "\"")
        .contains("\"" + second + "\"")
        .contains("\"" + shared + "\"")
        .doesNotContain(":bobs")
        .doesNotContain("berth.invalid");
  }

  @Test
  void save_ownTag_archiveNamesPlain() throws IOException {
    Path dir = aliceDir();
    String name = imageName("saved");
    String c = container("save-src");
    ok(alice, "create", "--name", c, image, "true");
    String id = ok(alice, "commit", c, name).stdout().strip();
    Path file = dir.resolve("own.tar");
    ok(alice, "save", "-o", file.toString(), name);
    byte[] saved = Files.readAllBytes(file);
    String text = new String(saved, StandardCharsets.ISO_8859_1);
    String entries = Tenants.tarEntries(saved);
    assertThat(entries).contains("manifest.json:").contains("repositories:");
    assertThat(text)
        .as(entries)
        .contains("\"RepoTags\":[\"" + name + "\"]")
        .doesNotContain("berth.invalid");
    if (entries.contains("index.json:")) { // 25 and later: the OCI layout beside Docker's
      assertThat(text).contains("\"io.containerd.image.name\":\"docker.io/library/" + name + "\"");
    }
    Proc.Result list = Proc.run(List.of("tar", "-tf", file.toString()));
    assertThat(list.exitCode()).as("a well-formed tar: %s", list.describe()).isZero();

    // loaded again by alice: still hers, under her private name
    assertThat(ok(alice, "load", "-i", file.toString()).stdout()).contains("Loaded image: " + name);
    assertThat(Tenants.upstreamFormat("image", Tenants.daemonImage(alice, name), "{{.Id}}"))
        .isEqualTo(id);
    assertThat(DockerCli.upstream("image", "inspect", name).ok()).isFalse();

    // loaded by bob: the tag becomes bob's (the load rule), alice's stays hers
    Path bobs = dirOf(bob).resolve("from-alice.tar");
    Files.write(bobs, saved);
    Proc.run(List.of("chown", bob.uid() + ":" + bob.gid(), bobs.toString()));
    assertThat(ok(bob, "load", "-i", bobs.toString()).stdout()).contains("Loaded image: " + name);
    assertThat(Tenants.upstreamFormat("image", Tenants.daemonImage(bob, name), "{{.Id}}"))
        .isEqualTo(id);
    assertThat(ok(bob, "image", "inspect", "--format", "{{.Id}}", name).stdout().strip())
        .isEqualTo(id);
    assertThat(Tenants.upstreamFormat("image", Tenants.daemonImage(alice, name), "{{.Id}}"))
        .isEqualTo(id);

    // another Docker (this daemon, loaded directly as root) sees the name alice gave
    upstreamOk("load", "-i", file.toString());
    assertThat(Tenants.upstreamFormat("image", name, "{{.Id}}")).isEqualTo(id);
  }

  @Test
  void save_anotherUsersImage_notFoundByNameOrId() {
    String name = imageName("nosave");
    String c = container("nosave-src");
    ok(alice, "create", "--name", c, image, "true");
    String id = ok(alice, "commit", c, name).stdout().strip();
    String out = dirOf(bob).resolve("x.tar").toString();
    for (String ref : List.of(name, id, Tenants.daemonImage(alice, name))) {
      Proc.Result r = docker.run(bob, "save", "-o", out, ref);
      assertThat(r.exitCode()).as(r.describe()).isNotZero();
      assertThat(r.stderr()).as(r.describe()).containsAnyOf("No such image", "are berth's");
    }
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  @Test
  void import_aliceImportsAFileSystem_privateToHer() {
    Path dir = aliceDir();
    String c = container("import-src");
    ok(alice, "create", "--name", c, image, "true");
    Path fs = dir.resolve("fs.tar");
    ok(alice, "export", "-o", fs.toString(), c);
    String name = imageName("imported");
    Proc.Result imp = ok(alice, "import", "--change", "ENV IMPORTED=yes", fs.toString(), name);
    String id = imp.stdout().strip();
    assertThat(id).startsWith("sha256:");
    assertThat(ok(alice, "run", "--rm", name, "sh", "-c", "echo $IMPORTED").stdout())
        .isEqualTo("yes\n");
    assertThat(Tenants.upstreamFormat("image", Tenants.daemonImage(alice, name), "{{.Id}}"))
        .isEqualTo(id);
    for (String ref : List.of(name, id)) {
      Proc.Result r = docker.run(bob, "image", "inspect", ref);
      assertThat(r.exitCode()).as(r.describe()).isNotZero();
      assertThat(r.stderr()).contains("No such image");
    }
  }

  @Test
  void import_urlSource_refused() {
    Proc.Result r = docker.run(alice, "import", "http://127.0.0.1:9/rootfs.tar", imageName("url"));
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).contains("berth: docker import from a URL");
  }

  @Test
  void import_unsafeChange_refused() {
    Path dir = aliceDir();
    Path fs = dir.resolve("fs.tar");
    try {
      Files.write(fs, Tar.singleFile("hello", "hi\n".getBytes(StandardCharsets.UTF_8), 0644, 0, 0));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    Proc.run(List.of("chown", alice.uid() + ":" + alice.gid(), fs.toString()));
    Proc.Result r =
        docker.run(
            alice, "import", "--change", "ONBUILD RUN id", fs.toString(), imageName("onbuild"));
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).contains("berth: docker import --change");
  }
}
