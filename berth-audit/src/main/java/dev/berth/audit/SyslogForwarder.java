package dev.berth.audit;

import static java.util.Objects.requireNonNull;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Copies every durable record and every anchor to a central syslog collector: RFC 5424 messages
 * over TLS (RFC 5425), octet-counted, the way sites already collect logs (rsyslog's {@code imtcp}
 * with the {@code gtls} driver, syslog-ng's {@code network(transport("tls"))}).
 *
 * <p>Design note. The audit writer hands over each batch once it is on disk ({@link #records});
 * this only puts the lines in a bounded queue and returns, so a slow, full or absent collector can
 * never hold up or fail a durable write: when the queue is full the message is dropped and counted.
 * One thread of its own connects (TLS with the collector's name checked against its certificate,
 * optionally a client certificate), sends the queue in order, and on any failure closes the
 * connection, waits (1 s doubling to 10 s) and reconnects, sending the message it was holding
 * again. A failure is logged once per outage, and again on reconnection.
 *
 * <p>Each record is one message whose MSG is the record's line exactly as stored, so the
 * collector's copy of the bodies is a trail that {@code berth audit verify} checks: a record lost
 * on the way (queue overflow, or bytes in flight when a connection broke: syslog over TLS has no
 * acknowledgements) shows as a gap in the seqs, a changed one as a broken link; the local trail
 * holds every record. Anchors are messages of their own (MSGID {@code anchor}). Facility authpriv,
 * severity notice, APP-NAME {@code berth-audit}, MSGID {@code record} or {@code anchor}, no
 * structured data.
 */
public final class SyslogForwarder implements TrailForwarder {
  /** {@code LOG_AUTHPRIV | LOG_NOTICE}. */
  private static final int PRI = 10 * 8 + 5;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  /**
   * A collector's address, from {@code syslog+tls://HOST:PORT}.
   *
   * @param host the name or address to connect to, checked against its certificate
   * @param port the TCP port (RFC 5425's is 6514)
   */
  public record Target(String host, int port) {
    public Target {
      requireNonNull(host, "host");
      if (host.isEmpty() || port < 1 || port > 65535) {
        throw new IllegalArgumentException("not a collector address: " + host + ":" + port);
      }
    }

    /** Reads {@code syslog+tls://HOST:PORT}. */
    public static Target parse(String url) {
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("expected syslog+tls://HOST:PORT, got " + url, e);
      }
      if (!"syslog+tls".equals(uri.getScheme())
          || uri.getHost() == null
          || uri.getPort() < 0
          || !(uri.getPath() == null || uri.getPath().isEmpty())
          || uri.getQuery() != null
          || uri.getUserInfo() != null) {
        throw new IllegalArgumentException("expected syslog+tls://HOST:PORT, got " + url);
      }
      String host = uri.getHost();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return new Target(host, uri.getPort());
    }

    @Override
    public String toString() {
      return "syslog+tls://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  private final Target target;
  private final SSLSocketFactory tls;
  private final String header;
  private final InstantSource clock;
  private final Consumer<String> problems;
  private final BlockingQueue<byte[]> queue;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final Thread thread;
  private volatile boolean closed;

  /** The open connection, or null. */
  private volatile @Nullable Connection connection;

  private record Connection(SSLSocket socket, OutputStream out) {}

  /**
   * Starts forwarding.
   *
   * @param target the collector
   * @param tls makes the TLS connections (trusting the collector's CA; with a client key when the
   *     collector asks for one)
   * @param capacity how many messages may wait; more are dropped and counted
   * @param hostname the HOSTNAME of the messages (this host's name)
   * @param pid the PROCID of the messages
   * @param clock the TIMESTAMP of the messages
   * @param problems told when the collector cannot be reached, and when it can again
   */
  public SyslogForwarder(
      Target target,
      SSLSocketFactory tls,
      int capacity,
      String hostname,
      long pid,
      InstantSource clock,
      Consumer<String> problems) {
    this.target = requireNonNull(target, "target");
    this.tls = requireNonNull(tls, "tls");
    this.clock = requireNonNull(clock, "clock");
    this.problems = requireNonNull(problems, "problems");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.header = header(hostname, pid);
    this.thread = Thread.ofPlatform().name("berth-audit-forward").daemon().start(this::run);
  }

  /** Printable US-ASCII without spaces, as RFC 5424 header fields must be, or "-". */
  private static String printable(String s, int max) {
    String clean = s.replaceAll("[^\\x21-\\x7e]", "");
    return clean.isEmpty() ? "-" : clean.substring(0, Math.min(max, clean.length()));
  }

  @Override
  public void records(List<String> lines) {
    for (String line : lines) {
      offer("record", line);
    }
  }

  @Override
  public void anchor(Anchor anchor) {
    offer("anchor", anchor.line());
  }

  @Override
  public Counters counters() {
    return new Counters(
        true, connection != null, queue.size(), sent.get(), dropped.get(), failures.get());
  }

  private void offer(String msgid, String body) {
    if (closed) {
      dropped.incrementAndGet();
      return;
    }
    byte[] framed = frame(clock.instant(), header, msgid, body);
    if (!queue.offer(framed)) {
      dropped.incrementAndGet();
    }
  }

  /**
   * One octet-counted RFC 5424 message: {@code LEN SP <85>1 TIMESTAMP HOSTNAME APP-NAME PROCID
   * MSGID - MSG}, the timestamp in microseconds (RFC 5424 allows six fraction digits).
   */
  static byte[] frame(Instant time, String header, String msgid, String body) {
    byte[] message =
        ("<" + PRI + ">1 " + time.truncatedTo(ChronoUnit.MICROS) + header + msgid + " - " + body)
            .getBytes(StandardCharsets.UTF_8);
    byte[] length = (message.length + " ").getBytes(StandardCharsets.US_ASCII);
    byte[] framed = new byte[length.length + message.length];
    System.arraycopy(length, 0, framed, 0, length.length);
    System.arraycopy(message, 0, framed, length.length, message.length);
    return framed;
  }

  /** The header fields between TIMESTAMP and MSGID, with the spaces around them. */
  static String header(String hostname, long pid) {
    return " " + printable(hostname, 255) + " berth-audit " + pid + " ";
  }

  private void run() {
    Duration backoff = Duration.ofSeconds(1);
    boolean reported = false;
    byte[] holding = null;
    while (true) {
      try {
        if (holding == null) {
          holding = queue.poll(200, TimeUnit.MILLISECONDS);
          if (holding == null) {
            if (closed) {
              return;
            }
            continue;
          }
        }
        Connection c = connection;
        if (c == null) {
          c = connect();
          connection = c;
          if (reported) {
            problems.accept("audit forward: connected to " + target + " again");
            reported = false;
          }
          backoff = Duration.ofSeconds(1);
        }
        OutputStream out = c.out();
        out.write(holding);
        sent.incrementAndGet();
        holding = null;
        byte[] next;
        while ((next = queue.poll()) != null) {
          holding = next;
          out.write(next);
          sent.incrementAndGet();
          holding = null;
        }
        out.flush();
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        failures.incrementAndGet();
        disconnect();
        if (closed) {
          return;
        }
        if (!reported) {
          problems.accept(
              "audit forward: cannot send to "
                  + target
                  + ": "
                  + e.getMessage()
                  + "; retrying, records wait in a queue of "
                  + (queue.size() + queue.remainingCapacity())
                  + " and are dropped (counted) when it is full; the "
                  + "local trail has them all");
          reported = true;
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          return;
        }
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
      }
    }
  }

  private Connection connect() throws IOException {
    Socket plain = new Socket();
    try {
      plain.connect(
          new InetSocketAddress(target.host(), target.port()), (int) CONNECT_TIMEOUT.toMillis());
      SSLSocket s = (SSLSocket) tls.createSocket(plain, target.host(), target.port(), true);
      SSLParameters params = s.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS"); // the name must match its certificate
      s.setSSLParameters(params);
      plain.setSoTimeout((int) CONNECT_TIMEOUT.toMillis());
      s.startHandshake();
      plain.setSoTimeout(0);
      return new Connection(s, new BufferedOutputStream(s.getOutputStream(), 1 << 16));
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  private void disconnect() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.socket().close();
      } catch (IOException ignored) {
        // the connection is gone either way
      }
    }
  }

  /** Sends what is queued for up to {@link #CLOSE_TIMEOUT}, then disconnects. */
  @Override
  public void close() {
    closed = true;
    try {
      thread.join(CLOSE_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      problems.accept(
          "audit forward: " + queue.size() + " messages not sent to " + target + " at shutdown");
      thread.interrupt();
    }
    disconnect();
  }
}
