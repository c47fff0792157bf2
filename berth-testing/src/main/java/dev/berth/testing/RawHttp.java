package dev.berth.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The one hand-written HTTP/1.1 client of berth's tests: bytes over a unix socket, for the framing
 * cases that no real client sends (smuggling, pipelining, oversized or half-sent bodies). Runs as
 * the test JVM's user.
 */
public final class RawHttp {
  private RawHttp() {}

  /**
   * What came back on a connection.
   *
   * @param text everything the server sent, as ISO-8859-1
   * @param closedByServer whether the server closed the connection (EOF) before the wait ended
   */
  public record Response(String text, boolean closedByServer) {
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 [1-5][0-9]{2} ");

    /** The status line of the first response, or "" when none arrived. */
    public String statusLine() {
      int i = text.indexOf("\r\n");
      return i < 0 ? text : text.substring(0, i);
    }

    /** How many HTTP responses start in the text. */
    public int responseCount() {
      return (int) STATUS_LINE.matcher(text).results().count();
    }

    /** The text split where each response's status line starts. */
    public List<String> responses() {
      List<Integer> starts = STATUS_LINE.matcher(text).results().map(MatchResult::start).toList();
      List<String> out = new ArrayList<>();
      for (int i = 0; i < starts.size(); i++) {
        out.add(
            text.substring(
                starts.get(i), i + 1 < starts.size() ? starts.get(i + 1) : text.length()));
      }
      return out;
    }

    public String describe() {
      return (closedByServer ? "[closed by server]" : "[still open when the wait ended]")
          + "\n"
          + text;
    }
  }

  /** A request head (request line plus headers, {@code Host: docker} added) with no body. */
  public static byte[] request(String requestLine, String... headers) {
    StringBuilder sb = new StringBuilder(requestLine).append("\r\nHost: docker\r\n");
    for (String h : headers) {
      sb.append(h).append("\r\n");
    }
    return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /**
   * Sends {@code bytes} in one write and reads until the server closes the connection or {@code
   * wait} has passed.
   */
  public static Response exchange(Path socket, byte[] bytes, Duration wait) throws IOException {
    AtomicBoolean sent = new AtomicBoolean();
    return exchange(socket, () -> sent.getAndSet(true) ? null : ByteBuffer.wrap(bytes), wait);
  }

  /**
   * Sends what {@code body} supplies (a writer thread keeps writing buffers until it returns null
   * or the server stops reading) while reading the answer, until EOF or {@code wait}.
   */
  public static Response exchange(Path socket, Supplier<@Nullable ByteBuffer> body, Duration wait)
      throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
      Thread writer =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      for (ByteBuffer b = body.get(); b != null; b = body.get()) {
                        while (b.hasRemaining()) {
                          ch.write(b);
                        }
                      }
                    } catch (IOException e) {
                      // the server closed its side (e.g. after refusing an oversized body)
                    }
                  });
      AtomicBoolean expired = new AtomicBoolean();
      Thread watchdog =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      Thread.sleep(wait);
                      expired.set(true);
                      ch.close(); // unblocks the read below
                    } catch (InterruptedException | IOException e) {
                      // finished in time
                    }
                  });
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      boolean eof = false;
      try {
        while (true) {
          buf.clear();
          int n = ch.read(buf);
          if (n < 0) {
            eof = true;
            break;
          }
          out.write(buf.array(), 0, n);
        }
      } catch (AsynchronousCloseException e) {
        // the wait ended
      } catch (IOException e) {
        eof = !expired.get(); // ECONNRESET counts as closed by the server
      } finally {
        watchdog.interrupt();
        writer.interrupt();
      }
      return new Response(out.toString(StandardCharsets.ISO_8859_1), eof && !expired.get());
    } finally {
      ch.close();
    }
  }
}
