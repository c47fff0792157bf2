package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The three classic ways to turn access to the Docker socket into root on the host, tried as alice.
 * All of them must fail.
 */
class AttacksIT extends ItBase {
  private Path rootsh;
  private Path socketLink;
  private Path rootLink;

  @BeforeEach
  void paths() throws IOException {
    rootsh = Path.of(alice.home(), "rootsh");
    socketLink = Path.of(alice.home(), "it-dsock");
    rootLink = Path.of(alice.home(), "it-rootlink");
    deletePlanted();
  }

  @AfterEach
  void deletePlanted() throws IOException {
    for (Path p : List.of(rootsh, socketLink, rootLink)) {
      Files.deleteIfExists(p);
    }
  }

  /** (a) A privileged container with the host's root file system mounted: chroot into it. */
  @Test
  void attackA_privilegedContainerChrootingIntoHostRoot_isDenied() {
    String name = container("attack-a");
    Proc.Result r =
        docker.run(
            alice,
            "run",
            "--rm",
            "--name",
            name,
            "--privileged",
            "-v",
            "/:/host",
            image,
            "chroot",
            "/host",
            "id");
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("Error response from daemon: berth:")
        .contains("Privileged");
    assertThat(r.stdout()).as(r.describe()).doesNotContain("uid=0");
    assertThat(existsUpstream(name)).isFalse();

    Proc.Result unprivileged =
        docker.run(
            alice,
            "run",
            "--rm",
            "--name",
            container("attack-a2"),
            "-v",
            "/:/host",
            image,
            "chroot",
            "/host",
            "id");
    assertThat(unprivileged.exitCode()).as(unprivileged.describe()).isNotZero();
    assertThat(unprivileged.stderr())
        .as(unprivileged.describe())
        .contains("Error response from daemon: berth:")
        .contains("-v /:/host");
  }

  /**
   * (b) Plant a setuid-root shell through a bind mount of her own home: the container is root in
   * the image, so without berth cp+chmod 4755+chown 0:0 would leave a root shell on the host.
   */
  @Test
  void attackB_setuidRootShellThroughHomeBind_leavesNoRootOwnedSetuidFileOnHost()
      throws IOException {
    Proc.Result r =
        docker.run(
            alice,
            "run",
            "--rm",
            "--name",
            container("attack-b"),
            "-v",
            alice.home() + ":/h",
            image,
            "sh",
            "-c",
            "cp /bin/busybox /h/rootsh && chmod 4755 /h/rootsh; chown 0:0 /h/rootsh");
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    // The chown must fail inside the container: it runs as alice with every capability dropped.
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).as(r.describe()).contains("Operation not permitted");

    if (Files.exists(rootsh, LinkOption.NOFOLLOW_LINKS)) {
      PosixFileAttributes attrs =
          Files.readAttributes(rootsh, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      int ownerUid = (Integer) Files.getAttribute(rootsh, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      boolean setuid =
          ((Integer) Files.getAttribute(rootsh, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 04000)
              != 0;
      String what =
          rootsh
              + " (owner "
              + attrs.owner()
              + ", "
              + (setuid ? "setuid, " : "")
              + attrs.permissions()
              + ")";
      assertThat(ownerUid == 0 && setuid).as("a setuid-root file was planted: %s", what).isFalse();
      assertThat(ownerUid).as("owner uid of %s", what).isNotZero().isEqualTo(alice.uid());
    }
  }

  /** (b') The same, asking for root explicitly: refused before anything runs. */
  @Test
  void attackB_setuidRootShellAsUserRoot_isDenied() {
    String name = container("attack-b-root");
    Proc.Result r =
        docker.run(
            alice,
            "run",
            "--rm",
            "--name",
            name,
            "--user",
            "0",
            "-v",
            alice.home() + ":/h",
            image,
            "sh",
            "-c",
            "cp /bin/busybox /h/rootsh && chmod 4755 /h/rootsh; chown 0:0 /h/rootsh");
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("Error response from daemon: berth:")
        .contains("--user 0");
    assertThat(existsUpstream(name)).isFalse();
    assertThat(Files.exists(rootsh, LinkOption.NOFOLLOW_LINKS)).as("%s planted", rootsh).isFalse();
  }

  /**
   * (b'') The same result without running anything as root in the container: {@code docker cp -}
   * sends a tar archive the caller wrote herself, and the daemon extracts it as root, honouring the
   * uid, gid and mode in each tar header. Into a bind mount of her home, an entry with uid 0 and
   * mode 04755 becomes a setuid-root file on the host.
   */
  @Test
  void attackB_craftedTarWithSetuidRootEntryThroughDockerCp_leavesNoRootOwnedSetuidFileOnHost()
      throws IOException {
    String name = container("attack-b-tar");
    Proc.Result run =
        docker.run(
            alice, "run", "-d", "--name", name, "-v", alice.home() + ":/h", image, "sleep", "60");
    assertThat(run.exitCode()).as(run.describe()).isZero();

    byte[] tar =
        Tar.singleFile("rootsh", "#!/bin/sh\nid\n".getBytes(StandardCharsets.UTF_8), 04755, 0, 0);
    Proc.Result cp =
        Proc.run(docker.docker(alice, "cp", "-", name + ":/h"), tar, ItEnvironment.PROCESS_TIMEOUT);
    assertThat(cp.timedOut()).as(cp.describe()).isFalse();

    if (Files.exists(rootsh, LinkOption.NOFOLLOW_LINKS)) {
      int ownerUid = (Integer) Files.getAttribute(rootsh, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) Files.getAttribute(rootsh, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      assertThat(ownerUid == 0 && (mode & 04000) != 0)
          .as(
              "BERTH BUG (container_archive_put): 'docker cp - %s:/h' with a crafted tar entry "
                  + "(uid 0, mode 04755) planted a setuid-root file on the host: %s is owned by uid "
                  + "%d with mode %o. The daemon extracts archives as root and keeps each header's "
                  + "owner and mode, so berth must rewrite the tar stream (entries owned by the "
                  + "caller, no setuid/setgid bits, no devices) before it reaches the daemon.",
              name, rootsh, ownerUid, mode)
          .isFalse();
      assertThat(ownerUid)
          .as("owner of %s planted through docker cp", rootsh)
          .isEqualTo(alice.uid());
      assertThat(mode & 06000).as("setuid/setgid bits of %s", rootsh).isZero();
    }
  }

  /**
   * (b, compressed) The same crafted entry inside a gzip stream: the daemon decompresses archives
   * itself, so berth must decompress too and rewrite the headers inside; the copy succeeds and the
   * file belongs to alice without its setuid bit.
   */
  @Test
  void attackB_gzipTarWithSetuidRootEntryThroughDockerCp_copiedAsAlicesWithoutSetuid()
      throws IOException {
    String name = container("attack-b-gz");
    Proc.Result run =
        docker.run(
            alice, "run", "-d", "--name", name, "-v", alice.home() + ":/h", image, "sleep", "60");
    assertThat(run.exitCode()).as(run.describe()).isZero();

    byte[] tar =
        Tar.singleFile("rootsh", "#!/bin/sh\nid\n".getBytes(StandardCharsets.UTF_8), 04755, 0, 0);
    Proc.Result cp =
        Proc.run(
            docker.docker(alice, "cp", "-", name + ":/h"),
            Tar.gzip(tar),
            ItEnvironment.PROCESS_TIMEOUT);
    assertThat(cp.exitCode()).as(cp.describe()).isZero();
    assertThat(Files.exists(rootsh, LinkOption.NOFOLLOW_LINKS)).as("%s copied", rootsh).isTrue();
    int ownerUid = (Integer) Files.getAttribute(rootsh, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) Files.getAttribute(rootsh, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    assertThat(ownerUid).as("owner of %s copied from a gzip stream", rootsh).isEqualTo(alice.uid());
    assertThat(mode & 07777).as("mode of %s", rootsh).isEqualTo(0755);
  }

  /** A gzip stream of a few hundred KiB that expands to 300 MiB is refused with the reason. */
  @Test
  void attackB_gzipBombThroughDockerCp_refusedAsCompressionBomb() throws IOException {
    String name = container("attack-b-bomb");
    Proc.Result run = docker.run(alice, "run", "-d", "--name", name, image, "sleep", "60");
    assertThat(run.exitCode()).as(run.describe()).isZero();

    byte[] bomb = Tar.gzip(Tar.singleFile("zeros", new byte[300 << 20], 0644, 0, 0));
    assertThat(bomb.length).isLessThan(1 << 20);
    Proc.Result cp =
        Proc.run(
            docker.docker(alice, "cp", "-", name + ":/tmp"), bomb, ItEnvironment.PROCESS_TIMEOUT);
    assertThat(cp.timedOut()).as(cp.describe()).isFalse();
    assertThat(cp.exitCode()).as(cp.describe()).isNotZero();
    assertThat(cp.stderr()).as(cp.describe()).contains("compression bomb");
    Proc.Result size =
        docker.run(alice, "exec", name, "sh", "-c", "wc -c < /tmp/zeros 2>/dev/null || echo 0");
    assertThat(Long.parseLong(size.stdout().strip()))
        .as("bytes of /tmp/zeros written")
        .isLessThan(300L << 20);
  }

  /** (c) Mount the Docker daemon's socket into a container and drive the daemon from inside. */
  @Test
  void attackC_bindOfDaemonSocketWithVolumeFlag_isDenied() {
    String socket = ItEnvironment.upstreamSocket().toString();
    assertThat(Path.of(socket))
        .as("the upstream socket exists, so this is a real attempt")
        .exists();
    assertDenied(List.of("-v", socket + ":/var/run/docker.sock"), "socket");
  }

  @Test
  void attackC_bindOfDaemonSocketWithMountFlag_isDenied() {
    String socket = ItEnvironment.upstreamSocket().toString();
    assertDenied(
        List.of("--mount", "type=bind,source=" + socket + ",target=/var/run/docker.sock"),
        "--mount type=bind");
  }

  @Test
  void attackC_bindOfDaemonSocketDirectory_isDenied() {
    String dir = ItEnvironment.upstreamSocket().getParent().toString();
    assertDenied(List.of("-v", dir + ":/d"), "outside the directories you may mount");
  }

  /** A symlink in her own home that points at the daemon socket: judged on its real path. */
  @Test
  void attackC_bindOfSymlinkInHomeToDaemonSocket_isDenied() throws IOException {
    plantSymlink(socketLink, ItEnvironment.upstreamSocket());
    assertDenied(List.of("-v", socketLink + ":/var/run/docker.sock"), "socket");
  }

  /** A symlink in her own home that points at the host's root directory. */
  @Test
  void attackC_bindOfSymlinkInHomeToHostRoot_isDenied() throws IOException {
    plantSymlink(rootLink, Path.of("/"));
    assertDenied(List.of("-v", rootLink + ":/host"), "outside the directories you may mount");
  }

  private void plantSymlink(Path link, Path target) {
    Proc.Result ln =
        Proc.run(docker.asUser(alice, List.of("ln", "-s", target.toString(), link.toString())));
    assertThat(ln.exitCode()).as(ln.describe()).isZero();
  }

  private void assertDenied(List<String> mountArgs, String fragment) {
    String name = container("attack-c");
    List<String> args = new ArrayList<>(List.of("run", "--rm", "--name", name));
    args.addAll(mountArgs);
    args.addAll(List.of(image, "ls", "-l", "/var/run/docker.sock"));
    Proc.Result r = docker.run(alice, args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("Error response from daemon: berth:")
        .contains(fragment);
    assertThat(existsUpstream(name)).isFalse();
  }
}
