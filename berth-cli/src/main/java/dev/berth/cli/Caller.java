package dev.berth.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The user running this process, for {@code berth run}: the numbers from the kernel, the name and
 * home from the JVM.
 *
 * <p>Design note. The uid, gid and supplementary groups are this process's effective credentials as
 * {@code /proc/self/status} lists them: what {@code id} prints, and what berth serve sees of the
 * docker CLI this process starts (SO_PEERCRED gives it the same effective uid and gid, and berth
 * serve forces containers to exactly that {@code uid:gid}). The name and home are the JVM's {@code
 * user.name} and {@code user.home}, which the JVM looked up with {@code getpwuid} (NSS) of the real
 * uid while starting; so they apply only when the real uid is the effective one. Nothing here is a
 * privilege: {@code berth run} only writes a docker command line, and berth serve judges what the
 * kernel says about its caller, never what this class says.
 */
record Caller(String name, int uid, int gid, String home, List<Integer> groups) {
  /** What the JVM puts in {@code user.name} and {@code user.home} when getpwuid found no entry. */
  private static final String UNKNOWN = "?";

  Caller {
    groups = List.copyOf(groups);
  }

  /** This process's caller. */
  static Caller current() throws IOException {
    return of(
        Files.readString(Path.of("/proc/self/status")),
        System.getProperty("user.name", UNKNOWN),
        System.getProperty("user.home", UNKNOWN));
  }

  /**
   * The caller a {@code /proc/<pid>/status} text describes, named {@code name} with home {@code
   * home} (the passwd entry of its real uid). The groups are the effective gid first, then the
   * supplementary groups in the kernel's order, each once.
   *
   * @throws IOException when a line is missing or malformed, a number is out of range, the real and
   *     effective uid differ, or the real uid has no passwd entry
   */
  static Caller of(String status, String name, String home) throws IOException {
    long[] uids = ids(status, "Uid:", 4);
    long[] gids = ids(status, "Gid:", 4);
    int uid = id(uids[1]);
    if (uids[0] != uids[1]) {
      throw new IOException(
          "the real uid " + uids[0] + " is not the effective uid " + uid + " (a setuid wrapper?)");
    }
    if (name.equals(UNKNOWN) || name.isEmpty() || home.equals(UNKNOWN) || home.isEmpty()) {
      throw new IOException("uid " + uid + " has no user entry");
    }
    int gid = id(gids[1]);
    Set<Integer> groups = new LinkedHashSet<>();
    groups.add(gid);
    for (long g : ids(status, "Groups:", -1)) {
      groups.add(id(g));
    }
    return new Caller(name, uid, gid, home, new ArrayList<>(groups));
  }

  /** The numbers of the line starting with {@code key}; {@code count} of them, or any if -1. */
  private static long[] ids(String status, String key, int count) throws IOException {
    for (String line : status.split("\n", -1)) {
      if (!line.startsWith(key)) {
        continue;
      }
      String rest = line.substring(key.length()).strip();
      String[] fields = rest.isEmpty() ? new String[0] : rest.split("\\s+");
      if (count >= 0 && fields.length != count) {
        throw new IOException("/proc/self/status: " + key + " has " + fields.length + " fields");
      }
      long[] out = new long[fields.length];
      for (int i = 0; i < fields.length; i++) {
        try {
          out[i] = Long.parseLong(fields[i]);
        } catch (NumberFormatException e) {
          throw new IOException("/proc/self/status: " + key + " " + fields[i] + " is no number");
        }
      }
      return out;
    }
    throw new IOException("/proc/self/status has no " + key + " line");
  }

  /** An id as berth handles them (like NSS's answers in berth-nss): 0 to 2^31-1. */
  private static int id(long v) throws IOException {
    if (v < 0 || v > Integer.MAX_VALUE) {
      throw new IOException("id " + v + " is outside 0.." + Integer.MAX_VALUE);
    }
    return (int) v;
  }
}
