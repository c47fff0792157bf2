package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RunCommandTest {

  @Test
  void directoryMounts_workingDirectoryInsideHome_mountsTheHomeOnly() {
    assertThat(RunCommand.directoryMounts(List.of("/home/alice", "/home/alice/src/x")))
        .containsExactly("/home/alice");
  }

  @Test
  void directoryMounts_workingDirectoryIsTheHome_mountsItOnce() {
    assertThat(RunCommand.directoryMounts(List.of("/home/alice/", "/home/alice")))
        .containsExactly("/home/alice/");
  }

  @Test
  void directoryMounts_workingDirectoryAboveHome_mountsTheWorkingDirectoryOnly() {
    assertThat(RunCommand.directoryMounts(List.of("/home/alice", "/home")))
        .containsExactly("/home");
  }

  @Test
  void directoryMounts_workingDirectoryOutsideHome_mountsBoth() {
    assertThat(RunCommand.directoryMounts(List.of("/home/alice", "/home/alice-data", "/srv/x")))
        .containsExactly("/home/alice", "/home/alice-data", "/srv/x");
  }
}
