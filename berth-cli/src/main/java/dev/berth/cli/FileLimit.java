package dev.berth.cli;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * berth's own limit on open files, raised at start-up: every client connection holds a descriptor
 * and every relayed one a second, so the usual soft limit of 1024 (or the JVM's raise to the hard
 * limit) would let a few hundred connections starve everyone. As root, berth raises both limits to
 * the kernel's ceiling ({@code fs.nr_open}); otherwise the soft limit to the hard one. Through
 * {@code getrlimit(2)}/{@code setrlimit(2)} with the FFM API, as berth's other system calls.
 */
final class FileLimit {
  private static final int RLIMIT_NOFILE = 7; // Linux, every architecture berth builds for
  private static final Linker LINKER = Linker.nativeLinker();
  private static final FunctionDescriptor RLIMIT_CALL =
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS);

  private FileLimit() {}

  /** Raises the limit as far as this process may; returns the soft limit now in force. */
  static long raise() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment limit = arena.allocate(16);
      call("getrlimit", limit);
      long soft = limit.get(JAVA_LONG, 0);
      long hard = limit.get(JAVA_LONG, 8);
      long target = Math.max(hard, ceiling());
      if (soft >= target) {
        return soft;
      }
      limit.set(JAVA_LONG, 0, target);
      limit.set(JAVA_LONG, 8, Math.max(hard, target));
      if (!tryCall("setrlimit", limit)) {
        limit.set(JAVA_LONG, 0, hard); // not root: as far as the hard limit
        limit.set(JAVA_LONG, 8, hard);
        tryCall("setrlimit", limit);
      }
      call("getrlimit", limit);
      return limit.get(JAVA_LONG, 0);
    }
  }

  /** The most the kernel allows one process, {@code fs.nr_open}. */
  private static long ceiling() {
    try {
      return Long.parseLong(Files.readString(Path.of("/proc/sys/fs/nr_open")).strip());
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  private static void call(String name, MemorySegment limit) {
    if (!tryCall(name, limit)) {
      throw new IllegalStateException(name + "(RLIMIT_NOFILE) failed");
    }
  }

  private static boolean tryCall(String name, MemorySegment limit) {
    MethodHandle h =
        LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), RLIMIT_CALL);
    try {
      return (int) h.invokeExact(RLIMIT_NOFILE, limit) == 0;
    } catch (Throwable t) {
      throw new IllegalStateException(name + " could not be called", t);
    }
  }
}
