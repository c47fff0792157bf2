package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code docker cp} both ways: a streamed tar body up (PUT archive) and a tar download. */
class CopyIT extends ItBase {
  private Path work;

  @BeforeEach
  void aliceWorkDir() throws IOException {
    work = Files.createTempDirectory(Path.of("/tmp"), "bit-cp-");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
    Proc.Result chown =
        Proc.run(List.of("chown", alice.uid() + ":" + alice.gid(), work.toString()));
    assertThat(chown.exitCode()).as(chown.describe()).isZero();
  }

  @AfterEach
  void deleteWorkDir() throws IOException {
    try (Stream<Path> s = Files.walk(work)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Test
  void cp_fileInAndOut_roundTripsContentAsAlice() throws IOException {
    String name = container("cp");
    Proc.Result run = docker.run(alice, "run", "-d", "--name", name, image, "sleep", "120");
    assertThat(run.exitCode()).as(run.describe()).isZero();

    String content = "berth cp " + UUID.randomUUID() + "\nsecond line\n";
    Path in = work.resolve("in.txt");
    Proc.Result write =
        Proc.run(
            docker.asUser(alice, List.of("sh", "-c", "cat > " + DockerCli.quote(in.toString()))),
            content.getBytes(StandardCharsets.UTF_8),
            ItEnvironment.PROCESS_TIMEOUT);
    assertThat(write.exitCode()).as(write.describe()).isZero();

    Proc.Result up = docker.run(alice, "cp", in.toString(), name + ":/tmp/x");
    assertThat(up.exitCode()).as(up.describe()).isZero();

    Proc.Result cat = docker.run(alice, "exec", name, "cat", "/tmp/x");
    assertThat(cat.exitCode()).as(cat.describe()).isZero();
    assertThat(cat.stdout()).isEqualTo(content);

    Proc.Result owner = docker.run(alice, "exec", name, "stat", "-c", "%u", "/tmp/x");
    assertThat(owner.stdout().strip())
        .as("owner of the copied file in the container: %s", owner.describe())
        .isNotEqualTo("0");

    Path out = work.resolve("out.txt");
    Proc.Result down = docker.run(alice, "cp", name + ":/tmp/x", out.toString());
    assertThat(down.exitCode()).as(down.describe()).isZero();
    assertThat(Files.readString(out)).isEqualTo(content);
    int outOwner = (Integer) Files.getAttribute(out, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    assertThat(outOwner).as("the host copy belongs to alice").isEqualTo(alice.uid());
  }

  @Test
  void cp_toMissingDirectory_failsCleanlyWithoutHanging() {
    String name = container("cp-proc");
    Proc.Result create = docker.run(alice, "create", "--name", name, image, "true");
    assertThat(create.exitCode()).as(create.describe()).isZero();
    // A copy the daemon rejects (HEAD archive answers 404) is an error, not a hang.
    Proc.Result r = docker.run(alice, "cp", "/etc/hostname", name + ":/nonexistent/dir/");
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
  }

  /** A tar compressed by the system's tool ({@code bzip2} or {@code xz}), read back as bytes. */
  private byte[] compressed(String tool, String suffix, byte[] tar) throws IOException {
    Path plain = work.resolve("in.tar");
    Files.write(plain, tar);
    Proc.Result r = Proc.run(List.of(tool, "-kf", plain.toString()));
    assertThat(r.exitCode()).as(r.describe()).isZero();
    return Files.readAllBytes(work.resolve("in.tar" + suffix));
  }

  @Test
  void cp_bzip2TarFromStdin_extractedAsAlice() throws IOException {
    String name = container("cp-bz2");
    Proc.Result run = docker.run(alice, "run", "-d", "--name", name, image, "sleep", "120");
    assertThat(run.exitCode()).as(run.describe()).isZero();
    byte[] tar =
        Tar.singleFile("bz.txt", "bzip2 payload\n".getBytes(StandardCharsets.UTF_8), 04755, 0, 0);
    Proc.Result up =
        Proc.run(
            docker.docker(alice, "cp", "-", name + ":/tmp"),
            compressed("bzip2", ".bz2", tar),
            ItEnvironment.PROCESS_TIMEOUT);
    assertThat(up.exitCode()).as(up.describe()).isZero();
    Proc.Result stat = docker.run(alice, "exec", name, "stat", "-c", "%u %a", "/tmp/bz.txt");
    assertThat(stat.stdout().strip()).as(stat.describe()).isEqualTo(alice.uid() + " 755");
    Proc.Result cat = docker.run(alice, "exec", name, "cat", "/tmp/bz.txt");
    assertThat(cat.stdout()).isEqualTo("bzip2 payload\n");
  }

  @Test
  void cp_xzTarFromStdin_refusedNamingTheFormat() throws IOException {
    String name = container("cp-xz");
    Proc.Result run = docker.run(alice, "run", "-d", "--name", name, image, "sleep", "120");
    assertThat(run.exitCode()).as(run.describe()).isZero();
    byte[] tar = Tar.singleFile("xz.txt", "xz\n".getBytes(StandardCharsets.UTF_8), 0644, 0, 0);
    Proc.Result up =
        Proc.run(
            docker.docker(alice, "cp", "-", name + ":/tmp"),
            compressed("xz", ".xz", tar),
            ItEnvironment.PROCESS_TIMEOUT);
    assertThat(up.timedOut()).as(up.describe()).isFalse();
    assertThat(up.exitCode()).as(up.describe()).isNotZero();
    assertThat(up.stderr()).as(up.describe()).contains("xz-compressed archives");
  }
}
