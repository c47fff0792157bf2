package dev.berth.cli.doctor;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Owner, group and mode of a path, read without following a final symbolic link (a link is reported
 * as what it is, so a check never vouches for a file an attacker can re-point).
 */
record FileFacts(Path path, int uid, int gid, int mode, boolean link, boolean directory) {

  /** The facts, or empty when the path does not exist. */
  static Optional<FileFacts> of(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    Map<String, Object> a =
        Files.readAttributes(
            path, "unix:uid,gid,mode,isSymbolicLink," + "isDirectory", LinkOption.NOFOLLOW_LINKS);
    return Optional.of(
        new FileFacts(
            path,
            requireNonNull((Integer) a.get("uid")),
            requireNonNull((Integer) a.get("gid")),
            requireNonNull((Integer) a.get("mode")) & 07777,
            requireNonNull((Boolean) a.get("isSymbolicLink")),
            requireNonNull((Boolean) a.get("isDirectory"))));
  }

  boolean groupWritable() {
    return (mode & 0020) != 0;
  }

  boolean otherWritable() {
    return (mode & 0002) != 0;
  }

  boolean groupOrOtherReadable() {
    return (mode & 0044) != 0;
  }

  boolean groupAccessible() {
    return (mode & 0070) != 0;
  }

  boolean otherAccessible() {
    return (mode & 0007) != 0;
  }

  String describe() {
    return path
        + " (owner uid "
        + uid
        + ", gid "
        + gid
        + ", mode "
        + String.format("%04o", mode)
        + (link ? ", a symbolic link" : "")
        + ")";
  }
}
