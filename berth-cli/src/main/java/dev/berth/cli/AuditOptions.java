package dev.berth.cli;

import dev.berth.audit.AnchorSink;
import dev.berth.audit.AuditLog;
import dev.berth.audit.FileAnchorSink;
import dev.berth.audit.SyslogAnchorSink;
import dev.berth.audit.TrailForwarder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of {@code berth serve} and {@code berth plugin} that rotate, anchor and forward the
 * audit trail.
 */
final class AuditOptions {
  private static final Logger LOG = LoggerFactory.getLogger("dev.berth.audit");

  /** Where the C library sends syslog messages. */
  private static final Path DEV_LOG = Path.of("/dev/log");

  @Option(
      names = "--audit-max-size",
      paramLabel = "SIZE",
      defaultValue = "100m",
      converter = SizeConverter.class,
      description =
          "Rotate the audit file before a write would take it past SIZE: bytes, or "
              + "with k, m or g (default: ${DEFAULT-VALUE}).")
  long maxSize;

  @Option(
      names = "--audit-max-age",
      paramLabel = "DURATION",
      defaultValue = "1d",
      converter = DurationConverter.class,
      description =
          "Rotate the audit file once its first record is DURATION old: a number "
              + "with ms, s, m, h or d (default: ${DEFAULT-VALUE}). An idle trail is rotated with "
              + "its next record.")
  Duration maxAge;

  @Option(
      names = "--audit-anchors",
      paramLabel = "syslog|FILE|none",
      defaultValue = "syslog",
      description =
          "Where anchors of the chain head go (on start, rotation, shutdown, and "
              + "every interval when it changed): syslog (identifier berth-audit, facility "
              + "authpriv), a file (./syslog for a file of that name), or none (default: "
              + "${DEFAULT-VALUE}).")
  String anchors;

  @Option(
      names = "--audit-anchor-interval",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description =
          "How often the chain head is anchored when it changed (default: " + "${DEFAULT-VALUE}).")
  Duration anchorInterval;

  @CommandLine.Mixin AuditForwardOptions forward;

  /** Opens the trail whose active file is {@code file} with these options. */
  AuditLog open(Path file) throws IOException {
    TrailForwarder forwarder =
        forward.open(problem -> LOG.atWarn().addKeyValue("problem", problem).log("audit forward"));
    AuditLog.Options options =
        AuditLog.Options.defaults()
            .withRotation(maxSize, maxAge)
            .withAnchors(
                sink(),
                anchorInterval,
                problem -> LOG.atWarn().addKeyValue("problem", problem).log("audit anchor"))
            .withForwarder(forwarder);
    return AuditLog.open(file, options);
  }

  private AnchorSink sink() throws IOException {
    return switch (anchors) {
      case "none" -> AnchorSink.NONE;
      case "syslog" -> {
        if (!Files.exists(DEV_LOG, LinkOption.NOFOLLOW_LINKS)) {
          // the C library drops messages silently when nothing listens
          LOG.atWarn()
              .addKeyValue("socket", DEV_LOG)
              .log(
                  "no syslog daemon listens: audit "
                      + "anchors are lost; run rsyslog or journald, or use --audit-anchors FILE");
        }
        yield new SyslogAnchorSink();
      }
      default -> new FileAnchorSink(Path.of(anchors));
    };
  }

  /** {@code 100m}, {@code 512k}, {@code 1g} or a number of bytes; k is 1024. */
  static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})([kmg]?)");

    @Override
    public Long convert(String value) {
      Matcher m = SIZE.matcher(value.strip().toLowerCase(Locale.ROOT));
      if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
        throw new CommandLine.TypeConversionException(
            "expected a size such as 100m, 512k, 1g or a number of bytes, got " + value);
      }
      int shift =
          switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
          };
      return Long.parseLong(m.group(1)) << shift;
    }
  }

  /** {@code 1d}, {@code 12h}, {@code 30m}, {@code 60s}, {@code 500ms}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
      Matcher m = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
      if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
        throw new CommandLine.TypeConversionException(
            "expected a duration such as 1d, 12h, 30m, 60s or 500ms, got " + value);
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
  }
}
