package dev.berth.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Child processes with a hard time limit: a process that outlives its limit is killed (with its
 * descendants) and reported as timed out, so a hang fails one test instead of stalling the build.
 */
final class Proc {
  private Proc() {}

  /** How a finished (or killed) process ended. */
  record Result(
      List<String> command,
      int exitCode,
      String stdout,
      String stderr,
      boolean timedOut,
      Duration elapsed) {

    boolean ok() {
      return !timedOut && exitCode == 0;
    }

    /** A multi-line description for assertion messages. */
    String describe() {
      return "command: "
          + String.join(" ", command)
          + "\nexit: "
          + exitCode
          + (timedOut ? " (KILLED after timeout)" : "")
          + " after "
          + elapsed.toMillis()
          + " ms"
          + "\n--- stdout ---\n"
          + tail(stdout)
          + "\n--- stderr ---\n"
          + tail(stderr);
    }

    private static String tail(String s) {
      return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    }
  }

  /** Runs {@code command} to completion, feeding {@code stdin} (may be null) and closing it. */
  static Result run(List<String> command, byte[] stdin, Duration timeout) {
    try (Running r = start(command)) {
      if (stdin != null) {
        r.write(stdin);
      }
      r.closeStdin();
      return r.waitFor(timeout);
    }
  }

  static Result run(List<String> command) {
    return run(command, null, ItEnvironment.PROCESS_TIMEOUT);
  }

  /** Starts {@code command} with its stdin left open; the caller writes, waits and kills. */
  static Running start(List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    try {
      return new Running(command, pb.start());
    } catch (IOException e) {
      throw new AssertionError("cannot start " + command + ": " + e.getMessage(), e);
    }
  }

  /** A started process whose output is collected as it arrives. */
  static final class Running implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    private final long started = System.nanoTime();
    private final Object lock = new Object();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread outReader;
    private final Thread errReader;
    private boolean stdinClosed;
    private volatile boolean killed;

    private Running(List<String> command, Process process) {
      this.command = List.copyOf(command);
      this.process = process;
      this.outReader = Thread.ofVirtual().start(() -> pump(process.getInputStream(), out));
      this.errReader = Thread.ofVirtual().start(() -> pump(process.getErrorStream(), err));
    }

    private void pump(InputStream in, ByteArrayOutputStream sink) {
      byte[] buf = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buf)) > 0) {
          synchronized (lock) {
            sink.write(buf, 0, n);
            lock.notifyAll();
          }
        }
      } catch (IOException e) {
        // the process went away; what was read so far stays
      }
    }

    long pid() {
      return process.pid();
    }

    boolean isAlive() {
      return process.isAlive();
    }

    /** Writes to the process's stdin; a process that has closed its stdin is ignored. */
    void write(byte[] data) {
      try {
        OutputStream os = process.getOutputStream();
        os.write(data);
        os.flush();
      } catch (IOException e) {
        // broken pipe: the process does not read (any more); its output tells the story
      }
    }

    void write(String text) {
      write(text.getBytes(StandardCharsets.UTF_8));
    }

    void closeStdin() {
      if (stdinClosed) {
        return;
      }
      stdinClosed = true;
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        // already gone
      }
    }

    String stdout() {
      synchronized (lock) {
        return out.toString(StandardCharsets.UTF_8);
      }
    }

    String stderr() {
      synchronized (lock) {
        return err.toString(StandardCharsets.UTF_8);
      }
    }

    /**
     * Waits until stdout contains {@code needle}.
     *
     * @return whether it appeared within {@code timeout}
     */
    boolean awaitStdout(String needle, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lock) {
        while (!out.toString(StandardCharsets.UTF_8).contains(needle)) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(lock, Math.min(left, 100_000_000L));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        }
        return true;
      }
    }

    /** Waits for the process to exit; kills it (and its descendants) after {@code timeout}. */
    Result waitFor(Duration timeout) {
      boolean exited;
      try {
        exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exited = false;
      }
      if (!exited) {
        kill();
      }
      return result(!exited);
    }

    /** Kills the process and its descendants with SIGKILL and collects what it wrote. */
    Result kill() {
      if (process.isAlive()) {
        killed = true;
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return result(killed);
    }

    private Result result(boolean timedOut) {
      closeStdin();
      joinQuietly(outReader);
      joinQuietly(errReader);
      int code = process.isAlive() ? -1 : process.exitValue();
      return new Result(
          command,
          code,
          stdout(),
          stderr(),
          timedOut,
          Duration.ofNanos(System.nanoTime() - started));
    }

    private static void joinQuietly(Thread t) {
      try {
        // A grandchild that inherited the pipe could keep it open; do not wait forever for it.
        t.join(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        kill();
      }
    }
  }
}
