package dev.berth.bench.micro;

import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditLog;
import dev.berth.audit.AuditVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Durable audit records per second under concurrent load: W writer threads each append records and
 * wait until their own record is on disk, as the proxy does before forwarding a change; the group
 * commit shares each fsync among all records queued meanwhile. A benchmark, not a test. Usage:
 * {@code java -cp ... dev.berth.bench.micro.AuditBench [writers] [records-per-writer] [dir]}.
 */
public final class AuditBench {
  private AuditBench() {}

  public static void main(String[] args) throws Exception {
    int writers = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    int perWriter = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
    boolean ownDir = args.length <= 2;
    Path dir = ownDir ? Files.createTempDirectory("berth-audit-bench") : Path.of(args[2]);
    Path file = dir.resolve("audit-bench.jsonl");
    Files.deleteIfExists(file);
    AuditEvent event =
        new AuditEvent(
            "bench",
            "allow",
            "container_create",
            "",
            1001,
            "alice",
            1001,
            4242,
            -1,
            "container_create",
            "POST",
            "/containers/create",
            List.of("User set to 1001:1001", "HostConfig.CapDrop set to [ALL]"),
            "0".repeat(64));
    double seconds;
    try (AuditLog log = AuditLog.open(file)) {
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      long start = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perWriter; i++) {
                    log.append(event).join();
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      seconds = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
    }
    long records = (long) writers * perWriter;
    AuditVerifier.Result r = AuditVerifier.verify(file);
    System.out.printf(
        "audit trail, %s: %d writers x %d records, each awaiting its fsync%n",
        file, writers, perWriter);
    System.out.printf(
        "durable records/s %.0f  (%d records in %.2f s; chain verified: %s)%n",
        records / seconds, records, seconds, r.ok() && r.records() == records);
    Files.deleteIfExists(file);
    if (ownDir) {
      Files.delete(dir);
    }
  }
}
