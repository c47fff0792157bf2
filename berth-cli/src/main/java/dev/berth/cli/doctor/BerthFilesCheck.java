package dev.berth.cli.doctor;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * berth's own files: whoever can write the policy decides who gets what; whoever can write the
 * audit trail or the owner store can rewrite history or hand objects over; the trail names every
 * user's commands, so others should not read it either.
 */
final class BerthFilesCheck {
  private BerthFilesCheck() {}

  /** The policy file (its directory too: a writable directory lets the file be replaced). */
  static Finding policy(Path file) throws IOException {
    String name = "policy file";
    Optional<FileFacts> f = FileFacts.of(file);
    if (f.isEmpty()) {
      return Finding.ok(name, file + " does not exist (berth runs on its embedded default)");
    }
    Finding dir = writableByOthers(name, requireNonNull(file.toAbsolutePath().getParent()));
    if (dir.severity() != Finding.Severity.OK) {
      return dir;
    }
    return writableByOthers(name, file);
  }

  /** A directory berth keeps records in: the audit trail or the owner store. */
  static Finding privateDirectory(String name, Path dir) throws IOException {
    Optional<FileFacts> found = FileFacts.of(dir);
    if (found.isEmpty()) {
      return Finding.ok(name, dir + " does not exist yet (berth creates it 0700)");
    }
    Finding w = writableByOthers(name, dir);
    if (w.severity() != Finding.Severity.OK) {
      return w;
    }
    if (found.get().groupOrOtherReadable()) {
      return Finding.warn(
          name, found.get().describe() + ": others can read it", "chmod 0700 " + dir);
    }
    return Finding.ok(name, found.get().describe());
  }

  /** berth's own socket: users need to reach it; its mode is the site's choice. */
  static Finding socket(Path socket) throws IOException {
    String name = "berth socket";
    Optional<FileFacts> f = FileFacts.of(socket);
    if (f.isEmpty()) {
      return Finding.warn(
          name,
          "no socket at " + socket + ": berth is not serving there",
          "start berth (systemctl start berth.socket), or pass --socket");
    }
    return f.get().uid() == 0
        ? Finding.ok(name, f.get().describe())
        : Finding.fail(
            name,
            f.get().describe() + ": not root's, so its owner can replace it",
            "let berth or berth.socket create it");
  }

  private static Finding writableByOthers(String name, Path path) throws IOException {
    Optional<FileFacts> found = FileFacts.of(path);
    if (found.isEmpty()) {
      return Finding.ok(name, path + " does not exist");
    }
    FileFacts f = found.get();
    if (f.link() || f.uid() != 0 || f.groupWritable() && f.gid() != 0 || f.otherWritable()) {
      return Finding.fail(
          name,
          f.describe() + ": someone other than root can change it",
          "chown root:root " + path + " and chmod go-w " + path);
    }
    return Finding.ok(name, f.describe());
  }
}
