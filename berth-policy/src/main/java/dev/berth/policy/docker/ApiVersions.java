package dev.berth.policy.docker;

/** Docker API versions ({@code 1.24}, {@code 1.51}): dotted numbers, compared numerically. */
public final class ApiVersions {
  /** Oldest API version berth judges; older ones had other body shapes (HostConfig on start). */
  public static final String MIN = "1.24";

  private ApiVersions() {}

  /** Compares dotted API versions numerically ({@code 1.9 < 1.24}). */
  public static int compare(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      long p = i < x.length ? Long.parseLong(x[i]) : 0;
      long q = i < y.length ? Long.parseLong(y[i]) : 0;
      if (p != q) {
        return Long.compare(p, q);
      }
    }
    return 0;
  }
}
