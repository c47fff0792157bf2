package dev.berth.cli.doctor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * {@link GroupMembers} through {@code getent}, which goes through NSS like every other program on
 * the host (LDAP and SSSD included). Primary-group members come from {@code getent passwd}, which
 * lists directory users only where the site allows enumeration; the report says so.
 */
final class NssGroupMembers implements GroupMembers {
  @Override
  public List<String> of(int gid) throws IOException {
    TreeSet<String> users = new TreeSet<>();
    for (String line : getent("group", Integer.toString(gid))) {
      String[] f = line.split(":", -1);
      if (f.length >= 4 && !f[3].isBlank()) {
        users.addAll(Arrays.asList(f[3].split(",")));
      }
    }
    for (String line : getent("passwd")) {
      String[] f = line.split(":", -1);
      if (f.length >= 4 && f[3].equals(Integer.toString(gid))) {
        users.add(f[0]);
      }
    }
    return List.copyOf(users);
  }

  private static List<String> getent(String... args) throws IOException {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "getent";
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("getent " + String.join(" ", args) + " did not finish in 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    // Exit status 2 is "no such key": an empty answer, not an error.
    if (p.exitValue() != 0 && p.exitValue() != 2) {
      throw new IOException("getent " + String.join(" ", args) + " failed (" + p.exitValue() + ")");
    }
    return new String(out, StandardCharsets.UTF_8).lines().toList();
  }
}
