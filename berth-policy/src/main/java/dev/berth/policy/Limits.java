package dev.berth.policy;

/**
 * Resource limits of a role: what a container gets when its creator asks for nothing, and the
 * most they may ask for. A zero means "not set" (no default, or no maximum).
 *
 * @param memoryDefault bytes
 * @param memoryMax bytes
 * @param nanoCpusDefault CPUs times 10^9, as Docker's {@code NanoCpus}
 * @param nanoCpusMax CPUs times 10^9
 * @param pidsDefault processes
 * @param pidsMax processes
 */
public record Limits(long memoryDefault, long memoryMax, long nanoCpusDefault, long nanoCpusMax,
    long pidsDefault, long pidsMax) {

  /** No limits at all. */
  public static final Limits NONE = new Limits(0, 0, 0, 0, 0, 0);

  public Limits {
    check("memory", memoryDefault, memoryMax);
    check("cpus", nanoCpusDefault, nanoCpusMax);
    check("pids", pidsDefault, pidsMax);
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
