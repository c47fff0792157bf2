package dev.berth.audit;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Sends anchors to syslog (journald on systemd hosts) through the C library's {@code openlog},
 * {@code syslog} and {@code closelog}, called with the FFM API: identifier {@code berth-audit},
 * facility {@code LOG_AUTHPRIV} (kept with root-only permissions by default: {@code
 * /var/log/auth.log}, the journal), priority {@code LOG_NOTICE}, and the pid.
 *
 * <p>Design note. The message is passed as the argument of a constant {@code "%s"} format, never as
 * the format itself. {@code openlog} keeps the identifier's pointer, so it lives in an arena that
 * is closed only after {@code closelog}. The C library sends each message as one datagram to {@code
 * /dev/log} and, when nothing listens there, drops it without an error: {@link #write} cannot
 * report a missing syslog daemon, which is why {@code berth serve} checks for {@code /dev/log} at
 * startup. The send may block while journald is stalled, which is why anchors are written on a
 * thread of their own ({@link AnchorWriter}), never on the audit writer.
 */
public final class SyslogAnchorSink implements AnchorSink {
  /** The syslog identifier (tag). */
  private static final String IDENTIFIER = "berth-audit";

  /** {@code LOG_PID}: add the pid to each message. */
  private static final int LOG_PID = 0x01;

  /** {@code LOG_NDELAY}: connect at {@code openlog}, before any privileges could change. */
  private static final int LOG_NDELAY = 0x08;

  /** {@code LOG_AUTHPRIV} from {@code <syslog.h>}: facility 10. */
  private static final int LOG_AUTHPRIV = 10 << 3;

  /** {@code LOG_NOTICE}. */
  private static final int LOG_NOTICE = 5;

  private final Arena arena = Arena.ofShared();
  private final MethodHandle syslog;
  private final MethodHandle closelog;
  private final MemorySegment format;

  public SyslogAnchorSink() {
    Linker linker = Linker.nativeLinker();
    SymbolLookup libc = linker.defaultLookup();
    MethodHandle openlog =
        linker.downcallHandle(
            find(libc, "openlog"),
            FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    syslog =
        linker.downcallHandle(
            find(libc, "syslog"),
            FunctionDescriptor.ofVoid(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS),
            Linker.Option.firstVariadicArg(2));
    closelog = linker.downcallHandle(find(libc, "closelog"), FunctionDescriptor.ofVoid());
    format = arena.allocateFrom("%s");
    try {
      openlog.invokeExact(arena.allocateFrom(IDENTIFIER), LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
    } catch (Throwable t) {
      arena.close();
      throw new IllegalStateException("openlog failed: " + t, t);
    }
  }

  @Override
  public void write(Anchor anchor) throws IOException {
    try (Arena call = Arena.ofConfined()) {
      syslog.invokeExact(LOG_AUTHPRIV | LOG_NOTICE, format, call.allocateFrom(anchor.line()));
    } catch (Throwable t) {
      throw new IOException("syslog failed: " + t, t);
    }
  }

  @Override
  public void close() {
    try {
      closelog.invokeExact();
    } catch (Throwable t) {
      throw new IllegalStateException("closelog failed: " + t, t);
    } finally {
      arena.close();
    }
  }

  private static MemorySegment find(SymbolLookup lookup, String symbol) {
    return lookup
        .find(symbol)
        .orElseThrow(() -> new IllegalStateException("the C library has no " + symbol));
  }
}
