package dev.berth.cli.systemd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Picks the log format: journald's when standard error is the journal stream systemd gave this
 * process, slf4j-simple's (timestamped lines) otherwise.
 *
 * <p>systemd sets {@code JOURNAL_STREAM=<device>:<inode>} for a service whose output goes to the
 * journal; a child whose standard error was redirected inherits the variable, so it counts only
 * when standard error is still that stream ({@code sd_journal_stream_fd(3)}'s rule).
 */
public final class JournalLogging {
  private JournalLogging() {}

  /** Chooses {@link JournalServiceProvider} when logging to the journal. Call first in main. */
  public static void select() {
    if (System.getProperty("slf4j.provider") == null
        && toJournal(System.getenv(), Path.of("/proc/self/fd/2"))) {
      System.setProperty("slf4j.provider", JournalServiceProvider.class.getName());
      // SLF4J announces an explicitly chosen provider at INFO; that line would carry no prefix.
      System.setProperty("slf4j.internal.verbosity", "WARN");
    }
  }

  /** Whether {@code stderr} (a {@code /proc/self/fd} link) is the stream in {@code env}. */
  static boolean toJournal(Map<String, String> env, Path stderr) {
    String stream = env.get("JOURNAL_STREAM");
    if (stream == null) {
      return false;
    }
    int colon = stream.indexOf(':');
    if (colon < 0) {
      return false;
    }
    try {
      long dev = Long.parseUnsignedLong(stream.substring(0, colon));
      long ino = Long.parseUnsignedLong(stream.substring(colon + 1));
      return dev == (Long) Files.getAttribute(stderr, "unix:dev")
          && ino == (Long) Files.getAttribute(stderr, "unix:ino");
    } catch (NumberFormatException | IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
