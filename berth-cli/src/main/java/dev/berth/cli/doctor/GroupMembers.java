package dev.berth.cli.doctor;

import java.io.IOException;
import java.util.List;

/**
 * Who can act with a group's rights: its listed members and the users whose primary group it is.
 * The real implementation asks NSS ({@code getent}), so directory users count too.
 */
interface GroupMembers {
  /** The users in group {@code gid}, sorted; empty when nobody is. */
  List<String> of(int gid) throws IOException;
}
