package dev.berth.cli.systemd;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NormalizedParameters;
import org.slf4j.spi.LoggingEventAware;

/**
 * A logger that writes for journald's stdout/stderr stream: every line starts with the syslog
 * priority ({@code <3>} error, {@code <4>} warning, {@code <6>} info, {@code <7>} debug), which
 * journald turns into the entry's {@code PRIORITY}; the event's key-values follow the message as
 * logfmt pairs ({@code listen=/run/berth/docker.sock reason="a b"}), then {@code logger=}.
 *
 * <p>No timestamp or level word: journald records both. A message or stack trace of several lines
 * becomes several journal entries, each with the event's priority. One event is written with one
 * {@code print} call, so events from different threads do not interleave.
 */
final class JournalLogger extends LegacyAbstractLogger implements LoggingEventAware {
  private static final long serialVersionUID = 1L;

  private final transient PrintStream out;
  private final int threshold;
  private final String shortName;

  JournalLogger(String name, Level threshold, PrintStream out) {
    this.name = name;
    this.threshold = threshold.toInt();
    this.out = out;
    this.shortName = name.substring(name.lastIndexOf('.') + 1);
  }

  private boolean enabled(int level) {
    return level >= threshold;
  }

  @Override
  public boolean isTraceEnabled() {
    return enabled(Level.TRACE.toInt());
  }

  @Override
  public boolean isDebugEnabled() {
    return enabled(Level.DEBUG.toInt());
  }

  @Override
  public boolean isInfoEnabled() {
    return enabled(Level.INFO.toInt());
  }

  @Override
  public boolean isWarnEnabled() {
    return enabled(Level.WARN.toInt());
  }

  @Override
  public boolean isErrorEnabled() {
    return enabled(Level.ERROR.toInt());
  }

  @Override
  protected @Nullable String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] arguments, Throwable t) {
    write(level, MessageFormatter.basicArrayFormat(pattern, arguments), List.of(), t);
  }

  @Override
  public void log(LoggingEvent event) {
    if (!enabled(event.getLevel().toInt())) {
      return;
    }
    NormalizedParameters p = NormalizedParameters.normalize(event);
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    write(
        event.getLevel(),
        MessageFormatter.basicArrayFormat(p.getMessage(), p.getArguments()),
        pairs == null ? List.of() : pairs,
        p.getThrowable());
  }

  private void write(Level level, String message, List<KeyValuePair> pairs, Throwable t) {
    out.print(format(level, message, pairs, shortName, t));
    out.flush();
  }

  /** The text of one event: one or more lines, each with the priority prefix. */
  static String format(
      Level level, String message, List<KeyValuePair> pairs, String logger, Throwable t) {
    String prefix = "<" + priority(level) + ">";
    StringBuilder first = new StringBuilder(String.valueOf(message));
    int end = first.indexOf("\n");
    String rest = end < 0 ? "" : first.substring(end + 1);
    if (end >= 0) {
      first.setLength(end);
    }
    for (KeyValuePair kv : pairs) {
      first.append(' ').append(kv.key).append('=').append(value(kv.value));
    }
    first.append(" logger=").append(logger);
    StringBuilder text = new StringBuilder(prefix).append(first).append('\n');
    if (!rest.isEmpty()) {
      rest.lines().forEach(line -> text.append(prefix).append(line).append('\n'));
    }
    if (t != null) {
      StringWriter trace = new StringWriter();
      t.printStackTrace(new PrintWriter(trace));
      trace.toString().lines().forEach(line -> text.append(prefix).append(line).append('\n'));
    }
    return text.toString();
  }

  /** {@code sd-daemon(3)} priorities. */
  static int priority(Level level) {
    return switch (level) {
      case ERROR -> 3;
      case WARN -> 4;
      case INFO -> 6;
      case DEBUG, TRACE -> 7;
    };
  }

  /** A logfmt value: bare when it has no space, quote, equals sign or control character. */
  static String value(Object v) {
    String s = String.valueOf(v);
    boolean bare =
        !s.isEmpty()
            && s.chars().noneMatch(c -> c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f);
    if (bare) {
      return s;
    }
    StringBuilder q = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\r' -> q.append("\\r");
        case '\t' -> q.append("\\t");
        default -> {
          if (c < ' ' || c == 0x7f) {
            q.append(String.format("\\u%04x", (int) c));
          } else {
            q.append(c);
          }
        }
      }
    }
    return q.append('"').toString();
  }
}
