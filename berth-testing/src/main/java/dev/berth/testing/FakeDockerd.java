package dev.berth.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A stand-in for dockerd on a unix socket, for tests that need no real daemon: it answers {@code
 * 204 No Content} to every request that changes something, an empty JSON list to every {@code GET}
 * (enough for {@code docker ps}), keeps connections alive, and remembers the path of each request
 * it received, before it answers. A test scripts other answers with {@link #answer(String,
 * String)}.
 */
public final class FakeDockerd implements AutoCloseable {
  private static final byte[] NO_CONTENT =
      "HTTP/1.1 204 No Content\r\nApi-Version: 1.47\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY_LIST =
      ("HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\n"
              + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n[]")
          .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HEAD_OK =
      ("HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\n" + "Content-Length: 0\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII);

  private final Path socket;
  private final ServerSocketChannel server;
  private final Set<String> received = ConcurrentHashMap.newKeySet();
  private final Map<String, byte[]> scripted = new ConcurrentHashMap<>();

  /** Listens on {@code socket} (replacing a stale one) until {@link #close()}. */
  public FakeDockerd(Path socket) throws IOException {
    this.socket = socket;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread.ofPlatform().name("fake-dockerd").daemon().start(this::acceptLoop);
  }

  /** The {@code unix://} URL of the socket, for {@code --upstream}. */
  public String url() {
    return "unix://" + socket;
  }

  /** The paths of every request received so far. */
  public Set<String> received() {
    return Set.copyOf(received);
  }

  /**
   * Answers requests whose request line is {@code requestLine} (such as {@code "GET
   * /v1.47/containers/json?all=1 HTTP/1.1"}) with {@code response}, a whole HTTP/1.1 response as it
   * goes on the wire, instead of the default answer.
   */
  public FakeDockerd answer(String requestLine, String response) {
    scripted.put(requestLine, response.getBytes(StandardCharsets.ISO_8859_1));
    return this;
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        Thread.ofVirtual().start(() -> serve(c));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(SocketChannel c) {
    try (c;
        InputStream in = new BufferedInputStream(Channels.newInputStream(c));
        OutputStream out = Channels.newOutputStream(c)) {
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        String[] lines = head.split("\r\n");
        received.add(lines[0].split(" ")[1]);
        long length = 0;
        boolean chunked = false;
        for (String line : lines) {
          String l = line.toLowerCase(Locale.ROOT);
          if (l.startsWith("content-length:")) {
            length = Long.parseLong(l.substring(15).strip());
          } else if (l.startsWith("transfer-encoding:") && l.contains("chunked")) {
            chunked = true;
          }
        }
        if (chunked) {
          skipChunks(in);
        } else {
          in.skipNBytes(length);
        }
        byte[] script = scripted.get(lines[0]);
        out.write(
            script != null
                ? script
                : lines[0].startsWith("GET ")
                    ? EMPTY_LIST
                    : lines[0].startsWith("HEAD ") ? HEAD_OK : NO_CONTENT);
        out.flush();
      }
    } catch (IOException | RuntimeException e) {
      // the connection ends (berth closed it, or was killed)
    }
  }

  /**
   * The start line and headers of an HTTP/1.1 message, without the blank line; null at the end of
   * the stream. Reads byte by byte (use a buffered stream), so nothing after the head is taken.
   */
  public static @Nullable String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == 4) {
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
      }
    }
    return null;
  }

  private static void skipChunks(InputStream in) throws IOException {
    while (true) {
      int n = Integer.parseInt(readLine(in).split(";")[0].strip(), 16);
      if (n == 0) {
        while (!readLine(in).isEmpty()) {
          // trailers, up to the blank line
        }
        return;
      }
      in.skipNBytes(n + 2);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        throw new IOException("the stream ended in a chunked body");
      }
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }

  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
  }
}
