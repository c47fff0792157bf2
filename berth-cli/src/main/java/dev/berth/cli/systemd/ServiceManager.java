package dev.berth.cli.systemd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * The service manager's notification socket ({@code sd_notify(3)}): tells systemd when berth is
 * ready ({@code READY=1}), reloading and stopping.
 *
 * <p>Design note. {@code $NOTIFY_SOCKET} names an {@code AF_UNIX} datagram socket (a path, or an
 * abstract name when it starts with {@code @}). The JDK's unix-domain channels are stream only, so
 * the datagram goes out through the C library over FFM: {@code socket}, {@code sendto} and {@code
 * close}, one short-lived socket per message, as {@code sd_notify} itself does. A process that
 * systemd did not start has no {@code $NOTIFY_SOCKET}; {@link #fromEnvironment} is then empty and
 * callers notify nobody. Thread-safe: every call has its own socket and arena.
 */
public final class ServiceManager {
  private static final int AF_UNIX = 1;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int MSG_NOSIGNAL = 0x4000;
  private static final int SUN_PATH_MAX = 108;

  // struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }
  private static final StructLayout SOCKADDR_UN =
      MemoryLayout.structLayout(
          ValueLayout.JAVA_SHORT.withName("sun_family"),
          MemoryLayout.sequenceLayout(SUN_PATH_MAX, ValueLayout.JAVA_BYTE).withName("sun_path"));
  private static final long SUN_PATH =
      SOCKADDR_UN.byteOffset(MemoryLayout.PathElement.groupElement("sun_path"));

  private final byte[] address;
  private final String name;

  private ServiceManager(String name, byte[] address) {
    this.name = name;
    this.address = address;
  }

  /**
   * The notification socket systemd gave this process, if any.
   *
   * @throws IllegalArgumentException when {@code NOTIFY_SOCKET} is set but is neither an absolute
   *     path nor an abstract name, or is too long for a unix socket address
   */
  public static Optional<ServiceManager> fromEnvironment(Map<String, String> env) {
    String socket = env.get("NOTIFY_SOCKET");
    if (socket == null || socket.isEmpty()) {
      return Optional.empty();
    }
    byte[] path = socket.getBytes(StandardCharsets.UTF_8);
    if (path[0] == '@') {
      path[0] = 0; // abstract namespace: no trailing NUL, the length says where it ends
    } else if (path[0] != '/') {
      throw new IllegalArgumentException(
          "NOTIFY_SOCKET is neither a path nor an abstract " + "socket name: " + socket);
    }
    if (path.length >= SUN_PATH_MAX) {
      throw new IllegalArgumentException("NOTIFY_SOCKET is too long for a unix socket: " + socket);
    }
    return Optional.of(new ServiceManager(socket, path));
  }

  /** The socket from this process's environment; empty outside systemd. */
  public static Optional<ServiceManager> fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * Sends one notification, such as {@code "READY=1\nSTATUS=serving"}.
   *
   * @throws IOException when the datagram cannot be sent (the message names the errno)
   */
  public void notify(String state) throws IOException {
    requireNonNull(state, "state");
    Native c = Native.INSTANCE;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment errno = arena.allocate(Native.CALL_STATE);
      int fd = (int) c.socket.invokeExact(errno, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        throw new IOException("socket(AF_UNIX, SOCK_DGRAM): errno " + Native.errno(errno));
      }
      try {
        MemorySegment addr = arena.allocate(SOCKADDR_UN);
        addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(address, 0, addr, ValueLayout.JAVA_BYTE, SUN_PATH, address.length);
        // A path socket's length counts its NUL; an abstract name's does not.
        long length = SUN_PATH + address.length + (address[0] == 0 ? 0 : 1);
        byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
        MemorySegment message = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
        long sent =
            (long)
                c.sendto.invokeExact(
                    errno, fd, message, (long) bytes.length, MSG_NOSIGNAL, addr, (int) length);
        if (sent < 0) {
          throw new IOException("sendto " + name + ": errno " + Native.errno(errno));
        }
      } finally {
        int ignored = (int) c.close.invokeExact(errno, fd);
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("calling the C library: " + t, t);
    }
  }

  @Override
  public String toString() {
    return "ServiceManager[" + name + "]";
  }

  /** The C library functions, bound once. */
  static final class Native {
    static final Native INSTANCE = new Native();
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
        CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    final MethodHandle socket;
    final MethodHandle sendto;
    final MethodHandle close;
    final MethodHandle fcntl;

    private Native() {
      Linker linker = Linker.nativeLinker();
      Linker.Option errno = Linker.Option.captureCallState("errno");
      socket =
          linker.downcallHandle(
              find(linker, "socket"),
              FunctionDescriptor.of(
                  ValueLayout.JAVA_INT,
                  ValueLayout.JAVA_INT,
                  ValueLayout.JAVA_INT,
                  ValueLayout.JAVA_INT),
              errno);
      sendto =
          linker.downcallHandle(
              find(linker, "sendto"),
              FunctionDescriptor.of(
                  ValueLayout.JAVA_LONG,
                  ValueLayout.JAVA_INT,
                  ValueLayout.ADDRESS,
                  ValueLayout.JAVA_LONG,
                  ValueLayout.JAVA_INT,
                  ValueLayout.ADDRESS,
                  ValueLayout.JAVA_INT),
              errno);
      close =
          linker.downcallHandle(
              find(linker, "close"),
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
              errno);
      // int fcntl(int fd, int cmd, ...): the third argument is variadic.
      fcntl =
          linker.downcallHandle(
              find(linker, "fcntl"),
              FunctionDescriptor.of(
                  ValueLayout.JAVA_INT,
                  ValueLayout.JAVA_INT,
                  ValueLayout.JAVA_INT,
                  ValueLayout.JAVA_INT),
              errno,
              Linker.Option.firstVariadicArg(2));
    }

    static int errno(MemorySegment state) {
      return (int) ERRNO.get(state, 0L);
    }

    private static MemorySegment find(Linker linker, String symbol) {
      return linker
          .defaultLookup()
          .find(symbol)
          .orElseThrow(() -> new IllegalStateException("the C library has no " + symbol));
    }
  }
}
