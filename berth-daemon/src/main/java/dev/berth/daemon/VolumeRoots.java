package dev.berth.daemon;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;

/**
 * Gives the root directory of a local volume to its owner, so that the owner's containers (which
 * berth runs as the owner's uid:gid) can write to it.
 *
 * <p>Design note. The daemon makes a local volume's root ({@code Mountpoint}, e.g. {@code
 * /var/lib/docker/volumes/NAME/_data}, the same layout on 20.10 and current engines) {@code
 * root:root 0755}, and on a container's creation copies the image's directory into an empty volume
 * together with that directory's owner and mode (moby {@code daemon/create_unix.go populateVolumes}
 * → {@code container_unix.go copyExistingContents}, continuity's {@code fs.CopyDir}). So berth
 * gives the root to its owner twice: right after it creates a volume, and when one of the owner's
 * containers starts (after any copy-up, before the container's process sees the volume). It changes
 * only a root that is still root's (uid 0): what the daemon made, never what the owner or an image
 * gave another owner.
 *
 * <p>Nothing is followed: the path is walked from {@code /} one component at a time with {@link
 * SecureDirectoryStream}, which opens each directory relative to the previous one with {@code
 * O_NOFOLLOW} ({@code openat}), and the root is changed with {@code fchownat(...,
 * AT_SYMLINK_NOFOLLOW)} relative to its parent. A symlink anywhere on the way (the owner controls
 * what is inside a volume, not the daemon's directories, but a volume's root is the last component)
 * ends the walk with an error instead of changing what it points to. Only the root changes; its
 * contents keep their owners.
 */
final class VolumeRoots {
  private VolumeRoots() {}

  /** What {@link #claim} did. */
  enum Outcome {
    /** The root was root's and is now the owner's. */
    CLAIMED,
    /** The root belonged to someone other than root already (left as it is). */
    ALREADY_OWNED,
    /** The path does not exist where berth runs (e.g. another mount namespace). */
    NOT_VISIBLE
  }

  /**
   * Changes the owner of the directory {@code mountpoint} to {@code uid} if it is owned by uid 0,
   * without following a symlink on the way. With a sharing group ({@code gid >= 0}) the group
   * becomes {@code gid} and the mode {@code 0775}, so the group's members write there too;
   * otherwise the group and mode stay the daemon's.
   *
   * @throws IOException if the path is not absolute, passes a symlink, is not a directory, or the
   *     change fails
   */
  static Outcome claim(String mountpoint, int uid, int gid) throws IOException {
    FileSystem fs = FileSystems.getDefault();
    Path path = fs.getPath(mountpoint).normalize();
    if (!path.isAbsolute() || path.getNameCount() == 0 || !path.toString().equals(mountpoint)) {
      throw new IOException("not a plain absolute path: " + mountpoint);
    }
    Path root = path.getRoot();
    try (DirectoryStream<Path> top = Files.newDirectoryStream(root)) {
      if (!(top instanceof SecureDirectoryStream<Path> start)) {
        throw new IOException("this platform cannot open directories without following links");
      }
      return claimIn(start, path, 0, uid, gid, fs.getUserPrincipalLookupService());
    } catch (NoSuchFileException e) {
      return Outcome.NOT_VISIBLE;
    }
  }

  private static Outcome claimIn(
      SecureDirectoryStream<Path> dir,
      Path path,
      int index,
      int uid,
      int gid,
      UserPrincipalLookupService names)
      throws IOException {
    Path name = path.getName(index);
    if (index < path.getNameCount() - 1) {
      try (SecureDirectoryStream<Path> next =
          dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
        return claimIn(next, path, index + 1, uid, gid, names);
      }
    }
    PosixFileAttributeView view =
        dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    PosixFileAttributes attrs = view.readAttributes();
    if (!attrs.isDirectory()) {
      throw new IOException(path + " is not a directory");
    }
    if (!attrs.owner().getName().equals("root") && !attrs.owner().getName().equals("0")) {
      return Outcome.ALREADY_OWNED;
    }
    if (gid >= 0) {
      GroupPrincipal group = names.lookupPrincipalByGroupName(Integer.toString(gid));
      view.setGroup(group);
    }
    UserPrincipal user = names.lookupPrincipalByName(Integer.toString(uid));
    view.setOwner(user);
    if (gid >= 0) {
      view.setPermissions(PosixFilePermissions.fromString("rwxrwxr-x"));
    }
    return Outcome.CLAIMED;
  }
}
