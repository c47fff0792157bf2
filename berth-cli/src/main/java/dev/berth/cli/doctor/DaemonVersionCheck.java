package dev.berth.cli.doctor;

import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's version against the known bypasses of authorization plugins. They matter in plugin
 * mode only: in proxy mode nobody but root reaches the daemon, so its plugin path is not the gate.
 *
 * <ul>
 *   <li>CVE-2024-41110: a request with {@code Content-Length: 0} and a body reaches the plugin
 *       without it. Fixed in 23.0.15, 26.1.5 and 27.1.1 (moby cherry-pick 2ac8a479c5).
 *   <li>CVE-2026-34040: a body over 1 MiB is dropped silently before the plugin sees it. Fixed in
 *       29.3.1 (moby 7a40298211, f302d06687). berth's plugin refuses a declared body it was not
 *       shown, so this is a warning.
 * </ul>
 *
 * <p>A distribution build (a version with {@code +} or {@code ~}, as Debian's {@code
 * 20.10.24+dfsg1}) may carry backports that the version does not show; such a version is a warning
 * with the advice to check the package's changelog.
 */
final class DaemonVersionCheck {
  static final String NAME = "daemon version";

  private DaemonVersionCheck() {}

  static List<Finding> check(String version, Mode mode) {
    List<Finding> out = new ArrayList<>();
    if (mode == Mode.PROXY) {
      out.add(
          Finding.ok(
              NAME,
              version
                  + " (the AuthZ plugin bypasses of older daemons do not "
                  + "apply in proxy mode)"));
      return out;
    }
    int[] v = parse(version);
    boolean distro = version.contains("+") || version.contains("~");
    if (affected41110(v)) {
      String detail =
          version
              + " is affected by CVE-2024-41110 (a zero Content-Length hides the "
              + "body from authorization plugins)";
      String remedy = "upgrade dockerd to 27.1.1 or newer (or 26.1.5, 23.0.15)";
      out.add(
          distro
              ? Finding.warn(
                  NAME,
                  detail + " unless the distribution backported the fix",
                  remedy + ", or check the package changelog for CVE-2024-41110")
              : Finding.fail(NAME, detail, remedy));
    }
    if (before(v, 29, 3, 1)) {
      out.add(
          Finding.warn(
              NAME,
              version
                  + " is affected by CVE-2026-34040 (bodies over 1 MiB "
                  + "are dropped before the plugin sees them; berth refuses such requests)",
              "upgrade dockerd to 29.3.1 or newer"));
    }
    if (out.isEmpty()) {
      out.add(Finding.ok(NAME, version + ": no known authorization plugin bypass"));
    }
    return out;
  }

  private static boolean affected41110(int[] v) {
    if (v[0] < 23) {
      return true;
    }
    if (v[0] == 23) {
      return before(v, 23, 0, 15);
    }
    if (v[0] == 24 || v[0] == 25) {
      return true; // no upstream fix on these branches
    }
    if (v[0] == 26) {
      return before(v, 26, 1, 5);
    }
    return v[0] == 27 && before(v, 27, 1, 1);
  }

  private static boolean before(int[] v, int major, int minor, int patch) {
    int[] w = {major, minor, patch};
    for (int i = 0; i < 3; i++) {
      if (v[i] != w[i]) {
        return v[i] < w[i];
      }
    }
    return false;
  }

  /** {@code 20.10.24+dfsg1} → {20, 10, 24}; missing parts are 0. */
  static int[] parse(String version) {
    int[] v = new int[3];
    String[] parts = version.split("[^0-9]+", -1);
    int n = 0;
    for (String p : parts) {
      if (n == 3 || (n > 0 && p.isEmpty())) {
        break;
      }
      if (!p.isEmpty()) {
        v[n++] = Integer.parseInt(p.length() > 6 ? p.substring(0, 6) : p);
      }
    }
    return v;
  }
}
