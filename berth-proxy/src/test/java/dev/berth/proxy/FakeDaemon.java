package dev.berth.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for dockerd on a unix socket: answers every request with {@code 200 OK} and a small
 * JSON body naming the request it received, so tests can see exactly what berth forwarded. It goes
 * away in the middle of {@code GET /events} (after one event) and before answering {@code POST
 * /containers/{id}/wait}.
 */
final class FakeDaemon implements AutoCloseable {
  final Path socket;

  /** Request line and body of every request, in order. */
  final List<String> received = new CopyOnWriteArrayList<>();

  /** The complete head (request line and headers) of every request, in order. */
  final List<String> heads = new CopyOnWriteArrayList<>();

  private final ServerSocketChannel server;
  private final Thread acceptor;

  /** The id of every exec this daemon creates. */
  static final String EXEC_ID = "e0c" + "0".repeat(61);

  /** The uid named as owner of every container berth asks about. */
  private final int ownerUid;

  FakeDaemon(Path socket, int ownerUid) throws IOException {
    this.socket = socket;
    this.ownerUid = ownerUid;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = Thread.ofPlatform().daemon().start(this::acceptLoop);
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        Thread.ofPlatform().daemon().start(() -> serve(c));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SocketChannel c) {
    try (c) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(65536);
      while (true) {
        String text = buf.toString(StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end >= 0) {
          String head = text.substring(0, end);
          int length = 0;
          for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
              length = Integer.parseInt(line.substring(15).trim());
            }
          }
          if (text.length() >= end + 4 + length) {
            String body = text.substring(end + 4, end + 4 + length);
            String line = head.split("\r\n")[0];
            byte[] rest = buf.toByteArray();
            buf.reset();
            buf.write(rest, end + 4 + length, rest.length - end - 4 - length);
            String json;
            if (line.matches("GET /v[0-9.]+/events.*")) {
              // one event, then the daemon goes away mid-stream (a restart, a crash)
              received.add(line);
              String event = "{\"status\":\"start\"}\n";
              c.write(
                  ByteBuffer.wrap(
                      ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              + "Transfer-Encoding: chunked\r\n\r\n"
                              + Integer.toHexString(event.length())
                              + "\r\n"
                              + event
                              + "\r\n")
                          .getBytes(StandardCharsets.ISO_8859_1)));
              return;
            }
            if (line.matches("POST /v[0-9.]+/containers/[^/]+/wait.*")) {
              received.add(line);
              return; // the daemon goes away before it answers
            }
            if (head.toLowerCase().contains("\r\nuser-agent: berth")) {
              json = lookup(line); // berth asking who owns an object: not part of "received"
            } else {
              received.add(line + (body.isEmpty() ? "" : " " + body));
              heads.add(head);
              json =
                  head.startsWith("POST /containers/create")
                      ? "{\"Id\":\"c0ffee\",\"Warnings\":[]}"
                      : line.matches("POST /containers/[^/]+/exec .*")
                          ? "{\"Id\":\"" + EXEC_ID + "\"}"
                          : "{\"ok\":true}";
            }
            c.write(
                ByteBuffer.wrap(
                    ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            + "Content-Length: "
                            + json.length()
                            + "\r\n\r\n"
                            + json)
                        .getBytes(StandardCharsets.ISO_8859_1)));
            continue;
          }
        }
        in.clear();
        int n = c.read(in);
        if (n < 0) {
          return;
        }
        buf.write(in.array(), 0, n);
      }
    } catch (IOException | RuntimeException e) {
      // the connection ends
    }
  }

  /** Every container is {@code ownerUid}'s, its full id the reference padded with zeros. */
  private String lookup(String requestLine) {
    String path = requestLine.split(" ")[1];
    String ref = path.split("/")[2];
    String id = (ref + "0".repeat(64)).substring(0, 64);
    return path.startsWith("/exec/")
        ? "{\"ID\":\"" + id + "\"}"
        : "{\"Id\":\""
            + id
            + "\",\"Name\":\"/"
            + ref
            + "\",\"Config\":{\"Labels\":"
            + "{\"dev.berth.owner.uid\":\""
            + ownerUid
            + "\"}}}";
  }

  @Override
  public void close() throws IOException {
    server.close();
    acceptor.interrupt();
    Files.deleteIfExists(socket);
  }
}
