package dev.berth.cli.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceManagerTest {
  @TempDir Path dir;

  @Test
  void fromEnvironment_noNotifySocket_empty() {
    assertThat(ServiceManager.fromEnvironment(Map.of())).isEmpty();
  }

  @Test
  void fromEnvironment_relativePath_refused() {
    assertThatThrownBy(() -> ServiceManager.fromEnvironment(Map.of("NOTIFY_SOCKET", "notify")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void notify_pathSocket_datagramArrives() throws Throwable {
    Path socket = dir.resolve("notify");
    try (Receiver receiver = new Receiver(socket)) {
      ServiceManager.fromEnvironment(Map.of("NOTIFY_SOCKET", socket.toString()))
          .orElseThrow()
          .notify("READY=1\nSTATUS=serving");

      assertThat(receiver.receive()).isEqualTo("READY=1\nSTATUS=serving");
    }
  }

  @Test
  void notify_nobodyListening_ioException() {
    ServiceManager manager =
        ServiceManager.fromEnvironment(Map.of("NOTIFY_SOCKET", dir.resolve("absent").toString()))
            .orElseThrow();

    assertThatThrownBy(() -> manager.notify("READY=1"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("errno");
  }

  /** systemd's side: a bound AF_UNIX datagram socket (the JDK has none). */
  private static final class Receiver implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    private final Arena arena = Arena.ofConfined();
    private final int fd;

    Receiver(Path path) throws Throwable {
      fd =
          (int)
              handle(
                      "socket",
                      FunctionDescriptor.of(
                          ValueLayout.JAVA_INT,
                          ValueLayout.JAVA_INT,
                          ValueLayout.JAVA_INT,
                          ValueLayout.JAVA_INT))
                  .invokeExact(1, 2, 0);
      MemorySegment addr = arena.allocate(110);
      addr.set(ValueLayout.JAVA_SHORT, 0, (short) 1);
      addr.asSlice(2).setString(0, path.toString());
      int rc =
          (int)
              handle(
                      "bind",
                      FunctionDescriptor.of(
                          ValueLayout.JAVA_INT,
                          ValueLayout.JAVA_INT,
                          ValueLayout.ADDRESS,
                          ValueLayout.JAVA_INT))
                  .invokeExact(fd, addr, 110);
      assertThat(fd).isPositive();
      assertThat(rc).isZero();
    }

    String receive() throws Throwable {
      MemorySegment buf = arena.allocate(4096);
      long n =
          (long)
              handle(
                      "recv",
                      FunctionDescriptor.of(
                          ValueLayout.JAVA_LONG,
                          ValueLayout.JAVA_INT,
                          ValueLayout.ADDRESS,
                          ValueLayout.JAVA_LONG,
                          ValueLayout.JAVA_INT))
                  .invokeExact(fd, buf, 4096L, 0x40 /* MSG_DONTWAIT */);
      assertThat(n).isPositive();
      return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
      return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
    }

    @Override
    public void close() {
      try {
        int ignored =
            (int)
                handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT))
                    .invokeExact(fd);
      } catch (Throwable t) {
        throw new AssertionError(t);
      } finally {
        arena.close();
      }
    }
  }
}
