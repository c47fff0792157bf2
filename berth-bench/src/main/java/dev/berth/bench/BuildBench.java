package dev.berth.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Wall time of two commands run in turn, for {@code docker build} through berth against the
 * daemon's own socket (issue 14, item 6), JDK only.
 *
 * <p>Each round runs the direct command, then the berth command (the order alternates every round,
 * so neither side always runs on a warmer machine), each through {@code sh -c}, and times it from
 * start to exit ({@link System#nanoTime}). Warm-up rounds are run and not counted. A command that
 * fails or runs past the timeout ends the benchmark with its output: a failed build has no
 * meaningful time.
 *
 * <p>Output: a human summary on stderr and one {@code key=value} line on stdout: {@code label=
 * rounds= direct_median_ms= berth_median_ms= ratio_median= direct_sum_ms= berth_sum_ms=
 * ratio_sum=}; ratio = berth / direct (above 1: berth is slower).
 */
public final class BuildBench {
  private BuildBench() {}

  public static void main(String[] args) throws Exception {
    String direct = null;
    String berth = null;
    String label = "build";
    int rounds = 5;
    int warmup = 1;
    long timeoutSeconds = 600;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--direct" -> direct = value;
        case "--berth" -> berth = value;
        case "--label" -> label = value;
        case "--rounds" -> rounds = Integer.parseInt(value);
        case "--warmup" -> warmup = Integer.parseInt(value);
        case "--timeout" -> timeoutSeconds = Long.parseLong(value);
        default -> usage("unknown option " + args[i]);
      }
      i++;
    }
    if (direct == null || berth == null || rounds < 1 || warmup < 0) {
      usage("--direct and --berth are required; --rounds >= 1");
      return;
    }
    for (int i = 0; i < warmup; i++) {
      time(direct, timeoutSeconds);
      time(berth, timeoutSeconds);
    }
    long[] d = new long[rounds];
    long[] b = new long[rounds];
    for (int i = 0; i < rounds; i++) {
      if (i % 2 == 0) {
        d[i] = time(direct, timeoutSeconds);
        b[i] = time(berth, timeoutSeconds);
      } else {
        b[i] = time(berth, timeoutSeconds);
        d[i] = time(direct, timeoutSeconds);
      }
      System.err.printf(
          Locale.ROOT, "%s round %d: direct %d ms, berth %d ms%n", label, i + 1, d[i], b[i]);
    }
    long dm = median(d);
    long bm = median(b);
    long ds = Arrays.stream(d).sum();
    long bs = Arrays.stream(b).sum();
    System.out.printf(
        Locale.ROOT,
        "label=%s rounds=%d direct_median_ms=%d berth_median_ms=%d "
            + "ratio_median=%.3f direct_sum_ms=%d berth_sum_ms=%d ratio_sum=%.3f%n",
        label,
        rounds,
        dm,
        bm,
        (double) bm / dm,
        ds,
        bs,
        (double) bs / ds);
  }

  private static void usage(String problem) {
    System.err.println("build-bench: " + problem);
    System.err.println(
        "usage: java -cp berth-bench.jar "
            + BuildBench.class.getName()
            + " "
            + """
         --direct CMD --berth CMD
                 [--label NAME] [--rounds N (5)] [--warmup N (1)] [--timeout SECONDS (600)]
          CMD is run with sh -c; direct and berth alternate, their order swapped every round""");
    System.exit(2);
  }

  /** Milliseconds from start to exit of {@code command}; exits the benchmark if it fails. */
  private static long time(String command, long timeoutSeconds)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("build-bench", ".log");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(List.of("sh", "-c", command))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      long start = System.nanoTime();
      Process p = pb.start();
      boolean exited = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      if (!exited || p.exitValue() != 0) {
        p.destroyForcibly();
        System.err.println(
            "build-bench: failed ("
                + (exited ? "exit " + p.exitValue() : "timed out")
                + "): "
                + command
                + "\n"
                + Files.readString(log));
        System.exit(1);
      }
      return ms;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
