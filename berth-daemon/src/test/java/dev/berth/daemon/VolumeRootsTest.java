package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeRootsTest {
  @TempDir Path dir;

  @BeforeEach
  void root() {
    assumeTrue(
        ProcessHandle.current().info().user().orElse("").equals("root"),
        "changing owners needs root");
  }

  private static int uid(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void claim_freshRootOwnedVolume_becomesTheOwners() throws IOException {
    Path data = Files.createDirectories(dir.resolve("volumes/v1/_data"));
    assertThat(VolumeRoots.claim(data.toString(), 4321, -1)).isEqualTo(VolumeRoots.Outcome.CLAIMED);
    assertThat(uid(data)).isEqualTo(4321);
  }

  @Test
  void claim_rootIsASymlink_refusedAndTargetUnchanged() throws IOException {
    Path target = Files.createDirectories(dir.resolve("etc-like"));
    Path vol = Files.createDirectories(dir.resolve("volumes/v2"));
    Files.createSymbolicLink(vol.resolve("_data"), target);
    assertThatThrownBy(() -> VolumeRoots.claim(vol.resolve("_data").toString(), 4321, -1))
        .isInstanceOf(IOException.class);
    assertThat(uid(target)).isZero();
  }

  @Test
  void claim_symlinkOnTheWay_refusedAndTargetUnchanged() throws IOException {
    Path target = Files.createDirectories(dir.resolve("elsewhere/_data"));
    Files.createDirectories(dir.resolve("volumes"));
    Files.createSymbolicLink(dir.resolve("volumes/v3"), dir.resolve("elsewhere"));
    assertThatThrownBy(
            () -> VolumeRoots.claim(dir.resolve("volumes/v3/_data").toString(), 4321, -1))
        .isInstanceOf(IOException.class);
    assertThat(uid(target)).isZero();
  }

  @Test
  void claim_rootAlreadySomeoneElses_leftAsItIs() throws IOException {
    Path data = Files.createDirectories(dir.resolve("volumes/v4/_data"));
    Files.setAttribute(data, "unix:uid", 999);
    assertThat(VolumeRoots.claim(data.toString(), 4321, -1))
        .isEqualTo(VolumeRoots.Outcome.ALREADY_OWNED);
    assertThat(uid(data)).isEqualTo(999);
  }

  @Test
  void claim_missingPath_notVisible() throws IOException {
    assertThat(VolumeRoots.claim(dir.resolve("nope/_data").toString(), 4321, -1))
        .isEqualTo(VolumeRoots.Outcome.NOT_VISIBLE);
  }
}
