package dev.berth.cli.systemd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The listening socket systemd passed to this process ({@code sd_listen_fds(3)}), as {@code
 * berth.socket} does: {@code LISTEN_PID} names this process and {@code LISTEN_FDS} counts the
 * sockets, which start at fd 3.
 *
 * <p>berth serves one socket, so exactly one is accepted; more is a configuration error. The fd is
 * switched to non-blocking mode (Netty's epoll loop must never block in {@code accept}) and
 * close-on-exec, whatever the unit's {@code NonBlocking=} says.
 */
public final class SocketActivation {
  /** The first passed fd ({@code SD_LISTEN_FDS_START}). */
  public static final int FIRST_FD = 3;

  private static final int F_GETFD = 1;
  private static final int F_SETFD = 2;
  private static final int F_GETFL = 3;
  private static final int F_SETFL = 4;
  private static final int FD_CLOEXEC = 1;
  private static final int O_NONBLOCK = 0x800;

  private SocketActivation() {}

  /**
   * The passed listening socket, or empty when this process was not socket-activated (no {@code
   * LISTEN_FDS}, or a {@code LISTEN_PID} of another process, which inherited the variables from its
   * parent).
   *
   * @throws IllegalArgumentException when the variables are malformed or pass more than one socket
   */
  public static OptionalInt listenFd(Map<String, String> env, long pid) {
    String fds = env.get("LISTEN_FDS");
    String listenPid = env.get("LISTEN_PID");
    if (fds == null || listenPid == null) {
      return OptionalInt.empty();
    }
    try {
      if (Long.parseLong(listenPid.strip()) != pid) {
        return OptionalInt.empty();
      }
      int n = Integer.parseInt(fds.strip());
      if (n == 0) {
        return OptionalInt.empty();
      }
      if (n != 1) {
        throw new IllegalArgumentException(
            "LISTEN_FDS="
                + fds
                + ": berth serves exactly one "
                + "socket; give the socket unit one ListenStream=");
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "LISTEN_FDS=" + fds + ", LISTEN_PID=" + listenPid + ": not numbers", e);
    }
    return OptionalInt.of(FIRST_FD);
  }

  /**
   * The socket passed to this process, made non-blocking and close-on-exec.
   *
   * @throws IOException when the fd's flags cannot be set (it is not open)
   */
  public static OptionalInt inherited() throws IOException {
    OptionalInt fd = listenFd(System.getenv(), ProcessHandle.current().pid());
    if (fd.isPresent()) {
      prepare(fd.getAsInt());
    }
    return fd;
  }

  private static void prepare(int fd) throws IOException {
    ServiceManager.Native c = ServiceManager.Native.INSTANCE;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment errno = arena.allocate(ServiceManager.Native.CALL_STATE);
      int flags = (int) c.fcntl.invokeExact(errno, fd, F_GETFL, 0);
      if (flags < 0 || (int) c.fcntl.invokeExact(errno, fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        throw new IOException(
            "fcntl("
                + fd
                + ", O_NONBLOCK): errno "
                + ServiceManager.Native.errno(errno)
                + "; was the socket passed?");
      }
      int fdFlags = (int) c.fcntl.invokeExact(errno, fd, F_GETFD, 0);
      if (fdFlags < 0 || (int) c.fcntl.invokeExact(errno, fd, F_SETFD, fdFlags | FD_CLOEXEC) < 0) {
        throw new IOException(
            "fcntl(" + fd + ", FD_CLOEXEC): errno " + ServiceManager.Native.errno(errno));
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("calling the C library: " + t, t);
    }
  }
}
