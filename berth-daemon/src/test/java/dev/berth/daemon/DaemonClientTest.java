package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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

  /** Whether the fake daemon closes each connection after its first answer, unannounced. */
  private volatile boolean closeAfterAnswer;

  private DaemonClient client;

  @BeforeEach
  void start() throws IOException {
    Path socket = dir.resolve("d.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread.ofPlatform().daemon().start(this::accept);
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    client = new DaemonClient(group, new DomainSocketAddress(socket.toString()));
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
