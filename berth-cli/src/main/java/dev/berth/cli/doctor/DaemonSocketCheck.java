package dev.berth.cli.doctor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The raw daemon socket must be reachable by root only. Anyone who can connect to it is root on the
 * host ({@code docker run --privileged -v /:/host}), so a socket open to others, or to a group with
 * members, makes berth a decoration: those users simply go around it.
 */
final class DaemonSocketCheck {
  static final String NAME = "daemon socket";

  private DaemonSocketCheck() {}

  static Finding check(Path socket, GroupMembers members) throws IOException {
    Optional<FileFacts> found = FileFacts.of(socket);
    if (found.isEmpty()) {
      return Finding.fail(
          NAME,
          "no daemon socket at " + socket,
          "start dockerd, or point --upstream at its socket");
    }
    FileFacts f = found.get();
    if (f.link()) {
      return Finding.fail(NAME, f.describe(), "point --upstream at the socket itself");
    }
    if (f.uid() != 0) {
      return Finding.fail(
          NAME,
          f.describe() + ": not owned by root, so its owner has root",
          "let dockerd create the socket as root (no --group or socket unit owned by a user)");
    }
    if (f.otherAccessible()) {
      return Finding.fail(
          NAME,
          f.describe() + ": every user can use the raw daemon",
          "chmod 0660 (or 0600) the socket, or fix the socket unit's SocketMode");
    }
    if (f.groupAccessible() && f.gid() != 0) {
      List<String> users = members.of(f.gid());
      if (!users.isEmpty()) {
        return Finding.fail(
            NAME,
            f.describe()
                + ": group "
                + f.gid()
                + " has members "
                + String.join(", ", users)
                + ", who bypass berth",
            "remove them from the group (gpasswd -d USER GROUP); berth is their way to Docker");
      }
      return Finding.ok(NAME, f.describe() + ": its group has no members");
    }
    return Finding.ok(NAME, f.describe());
  }
}
