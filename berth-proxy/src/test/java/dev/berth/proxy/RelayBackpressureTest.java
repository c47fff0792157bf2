package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.HostPaths;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streams through a real berth on unix sockets, with a reader that stops reading: berth stops
 * taking bytes from the writer once its buffer for that reader is full, so what the writer gets rid
 * of is bounded (berth's high water mark plus one read, and the kernel's socket buffers), however
 * much it has to send. Without backpressure the writer would hand over everything it has.
 */
class RelayBackpressureTest {
  /** Far above what the bound lets through (berth's 512 KiB plus a few socket buffers). */
  private static final long BOUND = 8L << 20;

  private static Path dir;
  private static FakeDaemon daemon;
  private static ProxyServer proxy;
  private static Path socket;
  private static AuditLog audit;

  @BeforeAll
  static void start() throws IOException {
    dir = Files.createTempDirectory("berth-backpressure-test");
    daemon = new FakeDaemon(dir.resolve("d.sock"), TestCallers.currentUid());
    daemon.stallUploads = true;
    socket = dir.resolve("b.sock");
    UserDirectory users = TestCallers.everyUidIsAlice();
    PolicyEngine engine = new PolicyEngine(PolicyDefaults.policy(), HostPaths.local());
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    proxy =
        ProxyServer.start(
            new ProxyConfig(socket, daemon.socket, ProxyConfig.DEFAULT_MODE, null, 1),
            () -> engine,
            users,
            audit,
            OwnerStore.open(dir.resolve("state")));
  }

  @AfterAll
  static void stop() throws IOException {
    proxy.close();
    audit.close();
    daemon.close();
  }

  private static SocketChannel connect() throws IOException {
    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
    c.connect(UnixDomainSocketAddress.of(socket));
    return c;
  }

  /** Waits until {@code progress} stops growing for a second (at most 30 s), then returns it. */
  private static long settled(LongSupplier progress) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long last = -1;
    long since = System.nanoTime();
    while (System.nanoTime() < deadline) {
      long now = progress.getAsLong();
      if (now != last) {
        last = now;
        since = System.nanoTime();
      } else if (System.nanoTime() - since > Duration.ofSeconds(1).toNanos()) {
        break;
      }
      Thread.sleep(20);
    }
    return last;
  }

  @Test
  void logsStream_clientStopsReading_daemonHeldBackAtABoundedAmount() throws Exception {
    try (SocketChannel c = connect()) {
      c.write(
          ByteBuffer.wrap(
              "GET /v1.51/containers/abc/logs?follow=1&stdout=1 HTTP/1.1\r\nHost: d\r\n\r\n"
                  .getBytes(StandardCharsets.ISO_8859_1)));
      ByteBuffer first = ByteBuffer.allocate(64);
      c.read(first); // the answer has begun; from now on the client reads nothing
      assertThat(new String(first.array(), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
      long streamed = settled(daemon.streamed::get);
      assertThat(streamed).as("bytes the daemon got rid of").isPositive().isLessThan(BOUND);
    }
  }

  @Test
  void upload_daemonStopsReading_clientHeldBackAtABoundedAmount() throws Exception {
    long size = 64L << 20; // a 64 MiB file in a plain tar, as docker cp sends it
    try (SocketChannel c = connect()) {
      c.write(
          ByteBuffer.wrap(
              ("PUT /v1.51/containers/abc/archive?path=%2Ftmp HTTP/1.1\r\nHost: d\r\n"
                      + "Content-Type: application/x-tar\r\nContent-Length: "
                      + (512 + size + 1024)
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1)));
      c.write(ByteBuffer.wrap(header("big", size)));
      c.configureBlocking(false);
      ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
      long[] sent = {0};
      Thread writer =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      while (sent[0] < size) {
                        zeros.clear();
                        int n = c.write(zeros);
                        synchronized (sent) {
                          sent[0] += n;
                        }
                        if (n == 0) {
                          Thread.sleep(5);
                        }
                      }
                    } catch (IOException e) {
                      // berth closed: what was sent stands
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  });
      long taken =
          settled(
              () -> {
                synchronized (sent) {
                  return sent[0];
                }
              });
      writer.interrupt();
      writer.join();
      assertThat(daemon.received).anyMatch(r -> r.startsWith("PUT ") && r.contains("/archive?"));
      assertThat(taken).as("bytes the client got rid of").isPositive().isLessThan(BOUND);
    }
  }

  /** A ustar header block of a regular file {@code name} of {@code size} bytes. */
  private static byte[] header(String name, long size) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, "0000644");
    put(h, 108, "0000000");
    put(h, 116, "0000000");
    put(h, 124, String.format("%011o", size));
    put(h, 136, String.format("%011o", 0));
    h[156] = '0';
    put(h, 257, "ustar");
    put(h, 263, "00");
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xff;
    }
    put(h, 148, String.format("%06o", sum));
    h[155] = ' ';
    return h;
  }

  private static void put(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }
}
