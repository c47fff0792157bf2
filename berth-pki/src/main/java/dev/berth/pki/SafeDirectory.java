package dev.berth.pki;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A directory berth writes key material into, opened once and then used only relative to its open
 * descriptor.
 *
 * <p>Design note. berth runs as root and writes a user's credentials into that user's home
 * directory, which the user controls: between two path lookups the user can swap any directory
 * there for a symbolic link to {@code /etc} and have root write or chown a file of theirs choosing.
 * So every step after opening the directory goes through a {@link SecureDirectoryStream} (openat,
 * fchown, renameat on Linux) with {@code NOFOLLOW_LINKS}: the directory is opened without following
 * a link, files are created with {@code O_CREAT|O_EXCL|O_NOFOLLOW} under a random temporary name,
 * written, flushed to disk, given their owner and mode through their own descriptor, and renamed
 * into place, so a reader sees the old file or the new one, never half of one. The only path-based
 * steps are the two {@code mkdir}s, which never follow a link in their last component; a link
 * swapped into the middle of the path can at most make root create an empty directory elsewhere,
 * which the following descriptor-relative open then fails to find.
 */
final class SafeDirectory implements AutoCloseable {
  private static final Set<PosixFilePermission> DIR_MODE =
      PosixFilePermissions.fromString("rwx------");
  private static final HexFormat HEX = HexFormat.of();

  private final Path path;
  private final SecureDirectoryStream<Path> dir;
  private final @Nullable UserPrincipal user;
  private final @Nullable GroupPrincipal group;
  private final SecureRandom random = new SecureRandom();

  private SafeDirectory(
      Path path,
      SecureDirectoryStream<Path> dir,
      @Nullable UserPrincipal user,
      @Nullable GroupPrincipal group) {
    this.path = path;
    this.dir = dir;
    this.user = user;
    this.group = group;
  }

  /**
   * Opens {@code target}, creating it and, if need be, its parent when they do not exist. With an
   * {@code owner}, {@code target} (and a parent berth creates) gets that owner and mode 0700, and
   * so does every file written; without, everything keeps the process's owner and {@code target}
   * gets {@code dirMode}.
   *
   * @param owner the account to own the directory and files, or null for the process's own
   * @param dirMode the mode of {@code target} when no owner is given
   * @throws PkiException when a component is a symbolic link or not a directory, or on I/O errors
   */
  static SafeDirectory open(
      Path target, @Nullable FileOwner owner, Set<PosixFilePermission> dirMode)
      throws PkiException {
    Path abs = target.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    if (parent == null || parent.getParent() == null) {
      throw new PkiException(target + ": choose a directory below a parent, not /");
    }
    UserPrincipal user = null;
    GroupPrincipal group = null;
    if (owner != null) {
      UserPrincipalLookupService lookup = abs.getFileSystem().getUserPrincipalLookupService();
      try {
        user = lookup.lookupPrincipalByName(owner.user());
        // The JDK reads a group name that is all digits as a gid when no group has that name;
        // groupadd refuses such names, so this is the user's primary gid.
        group = lookup.lookupPrincipalByGroupName(Integer.toString(owner.gid()));
      } catch (IOException e) {
        throw new PkiException("cannot look up " + owner.user() + ": " + e.getMessage(), e);
      }
    }
    Path grandparent = parent.getParent();
    if (owner == null) {
      try {
        Files.createDirectories(grandparent); // root's own path (the PKI directory)
      } catch (IOException e) {
        throw new PkiException("cannot create " + grandparent + ": " + e.getMessage(), e);
      }
    }
    SecureDirectoryStream<Path> top = secure(grandparent);
    try {
      // An existing parent (~/.docker) is left as it is; one berth creates belongs to the owner.
      SecureDirectoryStream<Path> mid =
          child(
              top,
              grandparent,
              parent.getFileName(),
              user,
              group,
              owner == null ? dirMode : DIR_MODE,
              false);
      try {
        SecureDirectoryStream<Path> leaf =
            child(
                mid,
                parent,
                abs.getFileName(),
                user,
                group,
                owner == null ? dirMode : DIR_MODE,
                true);
        return new SafeDirectory(abs, leaf, user, group);
      } finally {
        mid.close();
      }
    } catch (IOException e) {
      throw new PkiException("cannot open " + abs + ": " + e.getMessage(), e);
    } finally {
      closeQuietly(top);
    }
  }

  /**
   * Opens (creating it if missing) the directory {@code name} inside {@code parent}, never through
   * a symbolic link. When {@code adjust} is set, gives it the owner and mode.
   */
  private static SecureDirectoryStream<Path> child(
      SecureDirectoryStream<Path> parent,
      Path parentPath,
      Path name,
      @Nullable UserPrincipal user,
      @Nullable GroupPrincipal group,
      Set<PosixFilePermission> mode,
      boolean adjust)
      throws IOException, PkiException {
    Path full = parentPath.resolve(name);
    boolean created = false;
    try {
      Files.createDirectory(full, PosixFilePermissions.asFileAttribute(DIR_MODE));
      created = true;
    } catch (FileAlreadyExistsException e) {
      // exists: opened below without following a link, then checked
    }
    BasicFileAttributes attrs;
    try {
      attrs =
          parent
              .getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
              .readAttributes();
    } catch (NoSuchFileException e) {
      throw new PkiException(full + " disappeared while berth was creating it; try again");
    }
    if (attrs.isSymbolicLink()) {
      throw new PkiException(
          full
              + " is a symbolic link; berth does not write key material "
              + "through links (remove it, or choose another directory)");
    }
    if (!attrs.isDirectory()) {
      throw new PkiException(full + " exists and is not a directory");
    }
    SecureDirectoryStream<Path> opened =
        (SecureDirectoryStream<Path>) parent.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
    if (adjust || created) {
      PosixFileAttributeView view = opened.getFileAttributeView(PosixFileAttributeView.class);
      if (user != null) {
        view.setOwner(user);
        view.setGroup(group);
      }
      view.setPermissions(mode);
    }
    return opened;
  }

  private static SecureDirectoryStream<Path> secure(Path dir) throws PkiException {
    DirectoryStream<Path> s;
    try {
      s = Files.newDirectoryStream(dir);
    } catch (IOException e) {
      throw new PkiException("cannot open " + dir + ": " + e.getMessage(), e);
    }
    if (!(s instanceof SecureDirectoryStream<Path> sds)) {
      closeQuietly(s);
      throw new PkiException(
          "this platform cannot write files relative to a directory "
              + "descriptor (SecureDirectoryStream); berth pki needs Linux");
    }
    return sds;
  }

  Path path() {
    return path;
  }

  /** Whether {@code name} exists here (a link counts, and is not followed). */
  boolean exists(String name) throws PkiException {
    try {
      dir.getFileAttributeView(
              Path.of(name), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .readAttributes();
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new PkiException("cannot read " + path.resolve(name) + ": " + e.getMessage(), e);
    }
  }

  /** Reads {@code name} (not through a link). */
  byte[] read(String name) throws PkiException {
    try (SeekableByteChannel ch =
        dir.newByteChannel(
            Path.of(name), Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      long size = ch.size();
      if (size > 16 * 1024 * 1024) {
        throw new PkiException(path.resolve(name) + " is too large");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) size);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // until full or EOF
      }
      return Arrays.copyOf(buf.array(), buf.position());
    } catch (IOException e) {
      throw new PkiException("cannot read " + path.resolve(name) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes a file atomically: a temporary file of this directory, flushed, given its owner and
   * mode, then renamed over {@code name}. Never follows a link.
   *
   * @param replace whether an existing {@code name} may be replaced
   */
  void write(String name, byte[] content, Set<PosixFilePermission> mode, boolean replace)
      throws PkiException {
    Path target = Path.of(name);
    if (!replace && exists(name)) {
      throw new PkiException(path.resolve(name) + " exists; refusing to overwrite it");
    }
    Path tmp = Path.of("." + name + ".tmp-" + HEX.formatHex(nextBytes()));
    Set<OpenOption> create =
        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    try {
      // Created with the final mode (the umask can only narrow it), so the key is never readable
      // by others, not even for a moment.
      try (SeekableByteChannel ch =
          dir.newByteChannel(tmp, create, PosixFilePermissions.asFileAttribute(mode))) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        if (ch instanceof FileChannel fc) {
          fc.force(true);
        }
      }
      PosixFileAttributeView view =
          dir.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      if (user != null) {
        view.setOwner(user);
        view.setGroup(group);
      }
      view.setPermissions(mode);
      if (!replace && exists(name)) {
        throw new PkiException(
            path.resolve(name) + " appeared meanwhile; refusing to overwrite it");
      }
      dir.move(tmp, dir, target);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new PkiException("cannot write " + path.resolve(name) + ": " + e.getMessage(), e);
    } catch (PkiException e) {
      deleteQuietly(tmp);
      throw e;
    }
    syncDirectory();
  }

  private byte[] nextBytes() {
    byte[] b = new byte[8];
    random.nextBytes(b);
    return b;
  }

  /** Makes the renames durable: fsync of the directory (Linux allows it on a read-only fd). */
  private void syncDirectory() {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // best effort: the files themselves are on disk
    }
  }

  private void deleteQuietly(Path tmp) {
    try {
      dir.deleteFile(tmp);
    } catch (IOException e) {
      // nothing more to do
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // nothing to do
    }
  }

  @Override
  public void close() {
    closeQuietly(dir);
  }
}
