package dev.berth.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Group names by gid for {@code berth run}'s group file, from the C library's group database (NSS,
 * so LDAP and SSSD groups are named) through {@code getent group GID...}.
 *
 * <p>Design note. One short child process instead of {@code getgrgid_r} through FFM: linking a
 * downcall spins method-handle classes that no class-data cache keeps, which cost {@code berth run}
 * more CPU than starting {@code getent} (docs/benchmarks.md, session 6). getent prints each entry
 * it found as a group(5) line, {@code name:password:gid:members}, and exits 2 when some key was not
 * found; a gid without a line keeps no name, as before.
 */
final class GroupNames {
  private GroupNames() {}

  /** The names of those of {@code gids} the group database knows; empty when getent cannot run. */
  static Map<Integer, String> of(List<Integer> gids) throws InterruptedException {
    if (gids.isEmpty()) {
      return Map.of();
    }
    List<String> cmd = new ArrayList<>(List.of("getent", "group"));
    gids.forEach(g -> cmd.add(Integer.toString(g)));
    try {
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      p.waitFor();
      return parse(out, gids);
    } catch (IOException e) {
      return Map.of();
    }
  }

  /** The names {@code getent group} printed for {@code gids}; other and malformed lines ignored. */
  static Map<Integer, String> parse(String getentOutput, List<Integer> gids) {
    Map<Integer, String> names = new HashMap<>();
    for (String line : getentOutput.split("\n")) {
      String[] f = line.split(":", -1);
      if (f.length < 4 || f[0].isEmpty()) {
        continue;
      }
      int gid;
      try {
        gid = Integer.parseInt(f[2]);
      } catch (NumberFormatException e) {
        continue;
      }
      if (gids.contains(gid)) {
        names.putIfAbsent(gid, f[0]);
      }
    }
    return names;
  }
}
