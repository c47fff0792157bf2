package dev.berth.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The host file system as the mount rules see it: the only I/O the policy module does.
 *
 * <p>Bind sources are judged on their real path (symlinks resolved, {@code ..} removed) and the
 * real path is what berth forwards, so a symlink planted in a user's home cannot point the daemon
 * somewhere the rule never looked.
 */
public interface HostPaths {

  /** What is at a host path once every symlink is resolved. */
  record Resolved(Path realPath, Kind kind) {}

  /** The kind of file a path resolves to. */
  enum Kind {
    DIRECTORY,
    REGULAR_FILE,
    OTHER
  }

  /**
   * Resolves {@code path}.
   *
   * @throws IOException when it does not exist or cannot be resolved
   */
  Resolved resolve(Path path) throws IOException;

  /** The real file system of this host. */
  static HostPaths local() {
    return path -> {
      Path real = path.toRealPath();
      BasicFileAttributes attrs =
          Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      Kind kind =
          attrs.isDirectory()
              ? Kind.DIRECTORY
              : attrs.isRegularFile() ? Kind.REGULAR_FILE : Kind.OTHER;
      return new Resolved(real, kind);
    };
  }
}
