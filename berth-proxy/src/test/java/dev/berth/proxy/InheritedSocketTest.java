package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.HostPaths;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Socket activation: the proxy serves a listening socket it was handed (as systemd's berth.socket
 * hands it over), including connections queued before berth started, and leaves the socket file to
 * its owner when it stops.
 */
class InheritedSocketTest {
  private static final Linker LINKER = Linker.nativeLinker();

  @TempDir Path dir;

  @Test
  void inheritedFd_connectionQueuedBeforeStart_servedAndSocketKept() throws Throwable {
    Path socket = dir.resolve("activated.sock");
    int fd = listen(socket);
    try (FakeDaemon daemon = new FakeDaemon(dir.resolve("d.sock"), TestCallers.currentUid());
        AuditLog audit = AuditLog.open(dir.resolve("audit.jsonl"));
        SocketChannel early = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      early.connect(UnixDomainSocketAddress.of(socket)); // in the backlog: nobody accepts yet
      early.write(
          ByteBuffer.wrap(
              "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
      early.shutdownOutput();

      PolicyEngine engine = new PolicyEngine(PolicyDefaults.policy(), HostPaths.local());
      ProxyServer proxy =
          ProxyServer.start(
              new ProxyConfig(
                  socket,
                  daemon.socket,
                  ProxyConfig.DEFAULT_MODE,
                  null,
                  1,
                  null,
                  OptionalInt.of(fd),
                  ClientBounds.DEFAULT),
              () -> engine,
              TestCallers.everyUidIsAlice(),
              audit,
              OwnerStore.open(dir.resolve("state")));
      try {
        assertThat(readAll(early)).startsWith("HTTP/1.1 200 OK");
      } finally {
        proxy.close();
      }
      assertThat(socket).as("systemd removes its own socket").exists();
    }
  }

  /** What systemd does for ListenStream=: a bound, listening AF_UNIX stream socket. */
  private static int listen(Path path) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      int fd =
          (int)
              handle("socket", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT)
                  .invokeExact(1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0);
      MemorySegment addr = arena.allocate(110);
      addr.set(ValueLayout.JAVA_SHORT, 0, (short) 1);
      addr.asSlice(2).setString(0, path.toString());
      int bound =
          (int)
              handle("bind", ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT)
                  .invokeExact(fd, addr, 110);
      int listening =
          (int) handle("listen", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT).invokeExact(fd, 16);
      // systemd passes it blocking unless NonBlocking=yes; berth's cli sets O_NONBLOCK first.
      int flags = (int) fcntl().invokeExact(fd, 3 /* F_GETFL */, 0);
      int set = (int) fcntl().invokeExact(fd, 4 /* F_SETFL */, flags | 0x800 /* O_NONBLOCK */);
      assertThat(List.of(fd >= 0, bound, listening, set)).containsExactly(true, 0, 0, 0);
      return fd;
    }
  }

  private static MethodHandle handle(String name, ValueLayout... args) {
    return LINKER.downcallHandle(
        LINKER.defaultLookup().find(name).orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, args));
  }

  private static MethodHandle fcntl() {
    return LINKER.downcallHandle(
        LINKER.defaultLookup().find("fcntl").orElseThrow(),
        FunctionDescriptor.of(
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
        Linker.Option.firstVariadicArg(2));
  }

  private static String readAll(SocketChannel c) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(8192);
    while (c.read(buf.clear()) >= 0) {
      out.write(buf.array(), 0, buf.position());
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }
}
