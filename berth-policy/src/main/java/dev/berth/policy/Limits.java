package dev.berth.policy;

import java.util.Map;

/**
 * Resource limits of a role: what a container gets when its creator asks for nothing, and the most
 * they may ask for. A zero means "not set" (no default, or no maximum).
 *
 * @param memoryDefault bytes
 * @param memoryMax bytes
 * @param nanoCpusDefault CPUs times 10^9, as Docker's {@code NanoCpus}
 * @param nanoCpusMax CPUs times 10^9
 * @param pidsDefault processes
 * @param pidsMax processes
 * @param shmDefault bytes of {@code /dev/shm} ({@code ShmSize})
 * @param shmMax bytes
 * @param tmpfsDefault bytes of each tmpfs mount
 * @param tmpfsMax bytes
 * @param ulimits the ulimits a container may set (lower-case names such as {@code nofile}), each
 *     with the most its soft and hard values may be ({@link #UNLIMITED} for no maximum); a ulimit
 *     not listed may not be set, and the daemon's own defaults apply to what is not set
 */
public record Limits(
    long memoryDefault,
    long memoryMax,
    long nanoCpusDefault,
    long nanoCpusMax,
    long pidsDefault,
    long pidsMax,
    long shmDefault,
    long shmMax,
    long tmpfsDefault,
    long tmpfsMax,
    Map<String, Long> ulimits) {

  /** A ulimit maximum that lets any value through ({@code -1}, as Docker writes "unlimited"). */
  public static final long UNLIMITED = -1;

  /** No limits at all. */
  public static final Limits NONE = new Limits(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Map.of());

  public Limits {
    check("memory", memoryDefault, memoryMax);
    check("cpus", nanoCpusDefault, nanoCpusMax);
    check("pids", pidsDefault, pidsMax);
    check("shm", shmDefault, shmMax);
    check("tmpfs", tmpfsDefault, tmpfsMax);
    ulimits = Map.copyOf(ulimits);
  }

  private static void check(String what, long def, long max) {
    if (def < 0 || max < 0) {
      throw new IllegalArgumentException(what + " limits must not be negative");
    }
    if (max > 0 && def > max) {
      throw new IllegalArgumentException(what + " default exceeds its maximum");
    }
  }
}
