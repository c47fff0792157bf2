package dev.berth.cli.doctor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * dockerd finds authorization plugins by name in {@code /run/docker/plugins} ({@code NAME.sock},
 * {@code NAME.spec}, {@code NAME.json}). Whoever can write there can answer in berth's place (or
 * for a plugin the daemon is told to use), so the directory and everything in it must be root's and
 * writable by root only.
 */
final class PluginDirectoryCheck {
  static final String NAME = "plugin directory";

  private PluginDirectoryCheck() {}

  static Finding check(Path dir) throws IOException {
    List<String> problems = new ArrayList<>();
    Path parent = dir.getParent();
    if (parent != null) {
      FileFacts.of(parent).ifPresent(p -> unsafe(p, problems));
    }
    Optional<FileFacts> found = FileFacts.of(dir);
    if (found.isEmpty()) {
      return problems.isEmpty()
          ? Finding.ok(NAME, dir + " does not exist (no plugin installed)")
          : Finding.fail(NAME, String.join("; ", problems), "chown root and chmod go-w them");
    }
    unsafe(found.get(), problems);
    if (found.get().directory() && !found.get().link()) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path e : entries) {
          FileFacts.of(e).ifPresent(f -> unsafe(f, problems));
        }
      }
    }
    return problems.isEmpty()
        ? Finding.ok(NAME, found.get().describe())
        : Finding.fail(
            NAME,
            String.join("; ", problems) + ": a user can answer for a plugin",
            "chown root and chmod go-w them, and remove entries you did not install");
  }

  private static void unsafe(FileFacts f, List<String> problems) {
    if (f.uid() != 0 || f.groupWritable() && f.gid() != 0 || f.otherWritable()) {
      problems.add(f.describe());
    }
  }
}
