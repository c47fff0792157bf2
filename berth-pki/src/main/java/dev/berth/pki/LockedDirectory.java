package dev.berth.pki;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The CA's directory, opened without following links ({@link SafeDirectory}) and, for changes, held
 * under an exclusive lock on {@code DIR/.lock}, so that two {@code berth pki} commands do not lose
 * each other's index entries. Reads and writes the CA's files by name.
 */
final class LockedDirectory implements AutoCloseable {
  /** The mode of the CA's directory. */
  static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

  static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
  static final Set<PosixFilePermission> SECRET = PosixFilePermissions.fromString("rw-------");

  private final SafeDirectory dir;

  /** The lock, or null when opened for reading. */
  private final @Nullable FileChannel lock;

  private LockedDirectory(SafeDirectory dir, @Nullable FileChannel lock) {
    this.dir = dir;
    this.lock = lock;
  }

  /**
   * Opens {@code dir} (created if missing, mode 0755) and takes its lock, waiting for another
   * holder.
   */
  static LockedDirectory lock(Path dir) throws PkiException {
    SafeDirectory d = SafeDirectory.open(dir, null, DIR_MODE);
    try {
      return new LockedDirectory(d, lockFile(d.path()));
    } catch (IOException e) {
      d.close();
      throw new PkiException("cannot lock " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      d.close();
      throw e;
    }
  }

  /** Opens {@code dir} to read, without the lock. */
  static LockedDirectory read(Path dir) throws PkiException {
    return new LockedDirectory(SafeDirectory.open(dir, null, DIR_MODE), null);
  }

  private static FileChannel lockFile(Path dir) throws IOException {
    FileChannel ch =
        FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      ch.lock();
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  Path path() {
    return dir.path();
  }

  boolean exists(String name) throws PkiException {
    return dir.exists(name);
  }

  /** A PEM or other ASCII file. */
  String text(String name) throws PkiException {
    return new String(dir.read(name), StandardCharsets.US_ASCII);
  }

  /** Writes an ASCII file atomically (see {@link SafeDirectory#write}). */
  void write(String name, String content, Set<PosixFilePermission> mode, boolean replace)
      throws PkiException {
    dir.write(name, content.getBytes(StandardCharsets.US_ASCII), mode, replace);
  }

  /** The index, empty when there is none yet. */
  List<IndexEntry> index() throws PkiException {
    return dir.exists(PkiIndex.FILE) ? PkiIndex.parse(dir.read(PkiIndex.FILE)) : List.of();
  }

  void writeIndex(List<IndexEntry> index) throws PkiException {
    dir.write(PkiIndex.FILE, PkiIndex.format(index), PUBLIC, true);
  }

  @Override
  public void close() {
    try {
      if (lock != null) {
        lock.close();
      }
    } catch (IOException e) {
      // closing releases the lock; nothing more to do
    } finally {
      dir.close();
    }
  }
}
