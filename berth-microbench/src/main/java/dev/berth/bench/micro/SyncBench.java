package dev.berth.bench.micro;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * What one durable audit batch costs the writer, by how it is made durable: the writer's system
 * calls alone (a positioned write of one 450-byte record, then a force), on a file that grows with
 * every batch or on one preallocated with zeros, forced with {@code fdatasync} ({@code
 * force(false)}) or {@code fsync} ({@code force(true)}). The four variants run in rotating order in
 * each round; it reports the median of the per-round ratios to the growing file with {@code
 * fdatasync} (the writer before preallocation), wall and CPU time per batch. A benchmark, not a
 * test. Usage: {@code java -cp ... dev.berth.bench.micro.SyncBench [batches] [rounds] [dir]}.
 */
public final class SyncBench {
  private static final int RECORD = 450;
  private static final int CHUNK = 1 << 20;

  private enum Variant {
    GROW_FDATASYNC(false, false),
    GROW_FSYNC(false, true),
    PREALLOCATED_FDATASYNC(true, false),
    PREALLOCATED_FSYNC(true, true);

    final boolean preallocated;
    final boolean metadata;

    Variant(boolean preallocated, boolean metadata) {
      this.preallocated = preallocated;
      this.metadata = metadata;
    }
  }

  private record Cost(double wallMicros, double cpuMicros) {}

  private SyncBench() {}

  public static void main(String[] args) throws Exception {
    int batches = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    boolean ownDir = args.length <= 2;
    Path dir = ownDir ? Files.createTempDirectory("berth-sync-bench") : Path.of(args[2]);
    Variant[] variants = Variant.values();
    double[][] wall = new double[variants.length][rounds];
    double[][] cpu = new double[variants.length][rounds];
    double[][] ratio = new double[variants.length][rounds];
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < variants.length; i++) {
        Variant v = variants[(r + i) % variants.length];
        Cost c = run(v, batches, dir.resolve("sync-bench-" + v));
        wall[v.ordinal()][r] = c.wallMicros();
        cpu[v.ordinal()][r] = c.cpuMicros();
      }
      for (Variant v : variants) {
        ratio[v.ordinal()][r] = wall[v.ordinal()][r] / wall[Variant.GROW_FDATASYNC.ordinal()][r];
      }
    }
    System.out.printf(
        "durable batches of one %d-byte record, %s: %d batches x %d rounds, medians%n",
        RECORD, dir, batches, rounds);
    System.out.printf(
        "%-24s %12s %12s %18s%n", "variant", "wall us", "cpu us", "wall / grow+fdatasync");
    for (Variant v : variants) {
      System.out.printf(
          "%-24s %12.0f %12.0f %18.2f%n",
          v.name().toLowerCase(Locale.ROOT).replace('_', '+'),
          median(wall[v.ordinal()]),
          median(cpu[v.ordinal()]),
          median(ratio[v.ordinal()]));
    }
    if (ownDir) {
      Files.delete(dir);
    }
  }

  private static Cost run(Variant v, int batches, Path file) throws IOException {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    byte[] record = new byte[RECORD];
    Arrays.fill(record, (byte) 'x');
    record[RECORD - 1] = '\n';
    Files.deleteIfExists(file);
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            StandardOpenOption.READ)) {
      long allocated = 0;
      long at = 0;
      long cpu0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      for (int i = 0; i < batches; i++) {
        at += write(ch, ByteBuffer.wrap(record), at);
        if (v.preallocated && at > allocated) { // as ActiveFile does: zeros after the batch
          allocated = at + write(ch, ByteBuffer.allocate(CHUNK), at);
        }
        ch.force(v.metadata);
      }
      double wallMicros = (System.nanoTime() - t0) / 1e3 / batches;
      double cpuMicros = (threads.getCurrentThreadCpuTime() - cpu0) / 1e3 / batches;
      return new Cost(wallMicros, cpuMicros);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static int write(FileChannel ch, ByteBuffer buf, long at) throws IOException {
    int n = 0;
    while (buf.hasRemaining()) {
      n += ch.write(buf, at + n);
    }
    return n;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
