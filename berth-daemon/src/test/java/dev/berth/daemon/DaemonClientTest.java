package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The lookup client against a small fake daemon that counts its connections. */
class DaemonClientTest {
  @TempDir Path dir;

  private ServerSocketChannel server;
  private MultiThreadIoEventLoopGroup group;
  private final AtomicInteger connections = new AtomicInteger();
  private final List<String> requests = new CopyOnWriteArrayList<>();

  /** The header lines of each request. */
  private final List<String> headers = new CopyOnWriteArrayList<>();

  /** The status and body the fake daemon answers a pull ({@code POST /images/create}) with. */
  private volatile String pullStatus = "200 OK";

  private volatile String pullBody = "";

  /**
   * How many progress lines the fake daemon sends a pull, {@link #pullPause} apart, before it falls
   * silent with the answer unfinished; 0: it sends {@link #pullBody} whole.
   */
  private volatile int pullLinesThenSilence;

  private volatile Duration pullPause = Duration.ZERO;

  /** The progress lines the fake daemon sent before its silence. */
  private final AtomicInteger linesSent = new AtomicInteger();

  /** Whether the fake daemon closes each connection after its first answer, unannounced. */
  private volatile boolean closeAfterAnswer;

  private DomainSocketAddress address;
  private DaemonClient client;

  @BeforeEach
  void start() throws IOException {
    Path socket = dir.resolve("d.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread.ofPlatform().daemon().start(this::accept);
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    address = new DomainSocketAddress(socket.toString());
    client = new DaemonClient(group, address);
  }

  @AfterEach
  void stop() throws IOException {
    group.shutdownGracefully();
    server.close();
  }

  private void accept() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        connections.incrementAndGet();
        Thread.ofPlatform().daemon().start(() -> serve(c));
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Answers each request head (bodies are only sent by POSTs with Content-Length). */
  private void serve(SocketChannel c) {
    try (c) {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(c), StandardCharsets.ISO_8859_1));
      OutputStream out = Channels.newOutputStream(c);
      String line;
      while ((line = in.readLine()) != null) {
        String head = line;
        int length = 0;
        boolean close = false;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
          String lower = line.toLowerCase(Locale.ROOT);
          if (lower.startsWith("content-length:")) {
            length = Integer.parseInt(lower.substring(15).trim());
          }
          close |= lower.equals("connection: close");
          headers.add(line);
        }
        in.skip(length); // ISO-8859-1: one char per byte
        requests.add(head);
        boolean pull = head.startsWith("POST /images/create");
        if (pull && pullLinesThenSilence > 0) {
          stallAfterProgress(in, out);
          return;
        }
        String body = pull ? pullBody : "{\"n\":" + requests.size() + "}";
        out.write(
            ("HTTP/1.1 "
                    + (pull ? pullStatus : "200 OK")
                    + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length()
                    + "\r\n"
                    + (close ? "Connection: close\r\n" : "")
                    + "\r\n"
                    + body)
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        if (close || closeAfterAnswer) {
          return; // after closeAfterAnswer without saying so, as a daemon that restarts would
        }
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  /**
   * Answers a pull with {@link #pullLinesThenSilence} progress lines of a longer body, then sends
   * nothing more until the client closes the connection.
   */
  private void stallAfterProgress(BufferedReader in, OutputStream out) throws IOException {
    out.write(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
    for (int i = 0; i < pullLinesThenSilence; i++) {
      out.write("{\"status\":\"Downloading\"}\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      linesSent.incrementAndGet();
      try {
        Thread.sleep(pullPause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    while (in.read() != -1) {
      // silent until the client goes away
    }
  }

  @Test
  void progress_pullWithoutError_emptyAndTheCredentialsSent() throws IOException {
    pullBody = "{\"status\":\"Pulling from x\"}\n{\"status\":\"Downloaded newer image\"}\n";
    assertThat(
            client.progress("/images/create?fromImage=x&tag=1", Map.of("X-Registry-Auth", "e30")))
        .isEmpty();
    assertThat(requests).containsExactly("POST /images/create?fromImage=x&tag=1 HTTP/1.1");
    assertThat(headers).contains("X-Registry-Auth: e30");
  }

  @Test
  void progress_registryErrorInTheStream_itsMessage() throws IOException {
    pullBody =
        "{\"status\":\"Pulling from x\"}\nnot json\n"
            + "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"other\"}\n"
            + "{\"error\":\"last words\"}";
    assertThat(client.progress("/images/create?fromImage=x&tag=1", Map.of()))
        .hasValue("last words");
    pullBody = "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"other\"}\n";
    assertThat(client.progress("/images/create?fromImage=x&tag=1", Map.of()))
        .hasValue("manifest unknown");
  }

  @Test
  void progress_errorAnswer_itsMessageOrItsText() throws IOException {
    pullStatus = "404 Not Found";
    pullBody = "{\"message\":\"pull access denied for x\"}\n";
    assertThat(client.progress("/images/create?fromImage=x&tag=1", Map.of()))
        .hasValue("pull access denied for x");
    pullStatus = "500 Internal Server Error";
    pullBody = "plain words";
    assertThat(client.progress("/images/create?fromImage=x&tag=1", Map.of()))
        .hasValue("plain words");
    pullBody = "{}";
    assertThat(client.progress("/images/create?fromImage=x&tag=1", Map.of()))
        .hasValue("the daemon refused the pull");
  }

  /**
   * A daemon that falls silent fails the pull after the idle time; each progress line before it
   * starts the idle time again, so a pull longer than it does not fail early.
   */
  @Test
  @Timeout(60)
  void progress_daemonSilentAfterProgress_failsAfterTheIdleTimeNotBefore() {
    client = new DaemonClient(group, address, Duration.ofSeconds(2));
    pullLinesThenSilence = 12;
    pullPause = Duration.ofMillis(250);
    assertThatThrownBy(() -> client.progress("/images/create?fromImage=x&tag=1", Map.of()))
        .isInstanceOf(IOException.class)
        .hasMessage("the daemon sent no progress for 2 s");
    assertThat(linesSent).as("the connection stayed open for every line").hasValue(12);
  }

  @Test
  void call_successiveGets_shareOneKeptAliveConnection() throws IOException {
    assertThat(client.call("GET", "/images/a/json", null).status()).isEqualTo(200);
    assertThat(client.call("GET", "/volumes/v", null).body())
        .asString(StandardCharsets.UTF_8)
        .isEqualTo("{\"n\":2}");
    assertThat(connections).hasValue(1);
  }

  @Test
  void call_post_onAFreshConnectionThatCloses() throws IOException {
    client.call("GET", "/images/a/json", null);
    client.call("POST", "/volumes/create", "{}".getBytes(StandardCharsets.UTF_8));
    client.call("GET", "/images/a/json", null);
    assertThat(connections).hasValue(2);
    assertThat(requests)
        .containsExactly(
            "GET /images/a/json HTTP/1.1",
            "POST /volumes/create HTTP/1.1",
            "GET /images/a/json HTTP/1.1");
  }

  @Test
  void call_pooledConnectionClosedByTheDaemon_getSentOnceMoreAfresh() throws Exception {
    closeAfterAnswer = true;
    client.call("GET", "/images/a/json", null);
    Thread.sleep(200); // the daemon's close arrives while the connection is idle
    assertThat(client.call("GET", "/images/b/json", null).status()).isEqualTo(200);
    assertThat(requests)
        .containsExactly("GET /images/a/json HTTP/1.1", "GET /images/b/json HTTP/1.1");
  }
}
