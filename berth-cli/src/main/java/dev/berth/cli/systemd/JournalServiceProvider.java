package dev.berth.cli.systemd;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J back end berth uses under systemd: {@link JournalLogger}s writing to standard error
 * with syslog priority prefixes. Chosen by {@link JournalLogging#select} through the {@code
 * slf4j.provider} system property, never by service discovery (slf4j-simple stays the back end
 * everywhere else). Levels come from the same {@code simplelogger.properties} as slf4j-simple's
 * ({@code defaultLogLevel} and {@code log.<logger prefix>}), system properties first, so {@code
 * -Dorg.slf4j.simpleLogger.log.dev.berth=debug} works in both.
 */
public final class JournalServiceProvider implements SLF4JServiceProvider {
  private static final String PREFIX = "org.slf4j.simpleLogger.";

  private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new NOPMDCAdapter();
  private final Properties levels = new Properties();

  @Override
  public ILoggerFactory getLoggerFactory() {
    return name ->
        loggers.computeIfAbsent(name, n -> new JournalLogger(n, threshold(n), System.err));
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }

  @Override
  public void initialize() {
    try (InputStream in =
        JournalServiceProvider.class
            .getClassLoader()
            .getResourceAsStream("simplelogger.properties")) {
      if (in != null) {
        levels.load(in);
      }
    } catch (IOException e) {
      System.err.println("<4>berth: simplelogger.properties unreadable; logging at info: " + e);
    }
  }

  /** The level of the longest configured prefix of {@code name}, else the default, else info. */
  Level threshold(String name) {
    String n = name;
    while (true) {
      String level = setting("log." + n);
      if (level != null) {
        return parse(level);
      }
      int dot = n.lastIndexOf('.');
      if (dot < 0) {
        break;
      }
      n = n.substring(0, dot);
    }
    String level = setting("defaultLogLevel");
    return level == null ? Level.INFO : parse(level);
  }

  private String setting(String key) {
    String v = System.getProperty(PREFIX + key);
    return v != null ? v : levels.getProperty(PREFIX + key);
  }

  private static Level parse(String level) {
    return switch (level.strip().toLowerCase(Locale.ROOT)) {
      case "trace" -> Level.TRACE;
      case "debug" -> Level.DEBUG;
      case "warn" -> Level.WARN;
      case "error", "off" -> Level.ERROR;
      default -> Level.INFO;
    };
  }
}
