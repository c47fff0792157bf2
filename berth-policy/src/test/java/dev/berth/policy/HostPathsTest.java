package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host file system as the mount rules see it: real paths, and what is there. */
class HostPathsTest {

  @Test
  void local_symlinkPlantedInHome_resolvedToWhereItPoints(@TempDir Path dir) throws Exception {
    Path target = Files.createDirectory(dir.resolve("elsewhere"));
    Path home = Files.createDirectory(dir.resolve("home"));
    Path link = Files.createSymbolicLink(home.resolve("data"), target);
    HostPaths.Resolved r = HostPaths.local().resolve(link);
    assertThat(r.realPath()).isEqualTo(target.toRealPath());
    assertThat(r.kind()).isEqualTo(HostPaths.Kind.DIRECTORY);
  }

  @Test
  void local_fileAndDevice_kindsTold(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    assertThat(HostPaths.local().resolve(file).kind()).isEqualTo(HostPaths.Kind.REGULAR_FILE);
    assertThat(HostPaths.local().resolve(Path.of("/dev/null")).kind())
        .isEqualTo(HostPaths.Kind.OTHER);
  }

  @Test
  void local_missingPath_refused(@TempDir Path dir) {
    assertThatThrownBy(() -> HostPaths.local().resolve(dir.resolve("missing")))
        .isInstanceOf(IOException.class);
  }
}
