package dev.berth.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * Closed-loop HTTP/1.1 load generator over a unix domain socket, JDK only.
 *
 * <p>C connections, one platform thread each. Every thread sends {@code GET PATH} on its own
 * keep-alive connection, reads the whole response (status line, headers, then a Content-Length,
 * chunked or read-to-close body), and sends the next request at once: one request in flight per
 * connection, no pipelining. A warm-up phase (JIT, connection pools) is followed by a measured
 * phase of fixed length; a request counts in the measurement when it <em>completes</em> inside the
 * measured window, and its latency (write of the request to last byte of the body, from {@link
 * System#nanoTime}) goes into a per-thread log-linear histogram that is merged at the end.
 *
 * <p>Bounded: threads stop at the end of the measured phase; a watchdog closes any connection whose
 * request has been in flight longer than the per-request timeout (counted as a timeout), so a
 * hanging server cannot keep the run going.
 *
 * <p>Output: a human summary on stderr and one {@code key=value} line on stdout (for scripts):
 * {@code label= path= connections= seconds= requests= rps= p50_us= p90_us= p99_us= max_us= mean_us=
 * errors= io_errors= timeouts= bad_status= unmeasured_errors= body_bytes_avg= last_bad_status=}.
 * {@code errors} counts failures inside the measured window (I/O errors, timeouts, unexpected
 * statuses); {@code unmeasured_errors} those in the warm-up or of the last request of a connection,
 * which completed after the window. Exit status 0 when the run completed (even with errors; they
 * are reported), 2 on bad usage.
 */
public final class SocketBench {
  private SocketBench() {}

  // ---- options --------------------------------------------------------------------------------

  static final class Options {
    @Nullable String socket;
    String path = "/v1.41/_ping";
    int connections = 4;
    double warmupSeconds = 3;
    double measureSeconds = 10;
    double timeoutSeconds = 10;
    String label = "run";
    String host = "docker";
    int expectStatus = 200;
    String method = "GET";

    /** A file of request bodies, one per line, sent in turn; null for no body. */
    @Nullable String bodies;

    /** Measured requests per connection after which it stops (0: until the window ends). */
    long count;
  }

  private static void usage(@Nullable String problem) {
    if (problem != null) {
      System.err.println("socket-bench: " + problem);
    }
    System.err.println(
        """
        usage: java -jar berth-bench.jar --socket PATH [options]
          --socket PATH        unix socket to connect to (a unix:// prefix is accepted)
          --path PATH          request target (default /v1.41/_ping)
          --connections N      concurrent keep-alive connections, one thread each (default 4)
          --warmup SECONDS     warm-up before measuring (default 3)
          --duration SECONDS   measured phase (default 10)
          --timeout SECONDS    per-request timeout; a request in flight longer is aborted and
                               counted as a timeout (default 10)
          --label NAME         label echoed in the result line (default run)
          --host NAME          Host header (default docker)
          --expect-status N    status that counts as success (default 200)
          --method NAME        request method (default GET)
          --bodies FILE        request bodies, one per line, sent in turn (JSON); each
                               connection starts at a different line
          --count N            stop a connection after N measured requests (for requests
                               that create something); rps is then over the time taken""");
    System.exit(2);
  }

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        v = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      if (a.equals("-h") || a.equals("--help")) {
        usage(null);
      }
      if (v == null) {
        if (i + 1 >= args.length) {
          usage("missing value for " + a);
        }
        v = args[++i];
      }
      try {
        switch (a) {
          case "--socket" -> o.socket = v.startsWith("unix://") ? v.substring(7) : v;
          case "--path" -> o.path = v;
          case "--connections", "-c" -> o.connections = Integer.parseInt(v);
          case "--warmup" -> o.warmupSeconds = Double.parseDouble(v);
          case "--duration", "-d" -> o.measureSeconds = Double.parseDouble(v);
          case "--timeout" -> o.timeoutSeconds = Double.parseDouble(v);
          case "--label" -> o.label = v;
          case "--host" -> o.host = v;
          case "--expect-status" -> o.expectStatus = Integer.parseInt(v);
          case "--method" -> o.method = v;
          case "--bodies" -> o.bodies = v;
          case "--count" -> o.count = Long.parseLong(v);
          default -> usage("unknown option " + a);
        }
      } catch (NumberFormatException e) {
        usage("bad number for " + a + ": " + v);
      }
    }
    if (o.socket == null) {
      usage("--socket is required");
    }
    if (o.connections < 1 || o.connections > 4096) {
      usage("--connections must be 1..4096");
    }
    if (o.warmupSeconds < 0 || o.measureSeconds <= 0 || o.timeoutSeconds <= 0) {
      usage("durations must be positive");
    }
    if (!o.path.startsWith("/") || o.path.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
      usage("--path must start with / and contain no spaces or control characters");
    }
    return o;
  }

  // ---- latency histogram ----------------------------------------------------------------------

  /**
   * Fixed log-linear buckets over nanoseconds: exact below 128 ns, then 128 sub-buckets per power
   * of two (relative error under 0.8 %), up to 2^40 ns (about 18 minutes). Not thread-safe: one per
   * thread, merged after the threads have stopped.
   */
  static final class Histogram {
    static final int SUB_BITS = 7;
    static final int SUB = 1 << SUB_BITS;
    static final int MAX_EXP = 40;
    static final long MAX_VALUE = (1L << MAX_EXP) - 1;
    static final int BUCKETS = (MAX_EXP - SUB_BITS + 1) * SUB;

    final long[] counts = new long[BUCKETS];
    long total;
    long sum;
    long min = Long.MAX_VALUE;
    long max;

    static int index(long v) {
      if (v < SUB) {
        return (int) Math.max(v, 0);
      }
      if (v > MAX_VALUE) {
        v = MAX_VALUE;
      }
      int exp = 63 - Long.numberOfLeadingZeros(v);
      int shift = exp - SUB_BITS;
      return (shift + 1) * SUB + (int) ((v >>> shift) - SUB);
    }

    static long lowerBound(int index) {
      if (index < SUB) {
        return index;
      }
      int shift = index / SUB - 1;
      return ((long) (SUB + index % SUB)) << shift;
    }

    static long width(int index) {
      return index < SUB ? 1 : 1L << (index / SUB - 1);
    }

    void record(long nanos) {
      counts[index(nanos)]++;
      total++;
      sum += nanos;
      if (nanos < min) {
        min = nanos;
      }
      if (nanos > max) {
        max = nanos;
      }
    }

    void add(Histogram o) {
      for (int i = 0; i < BUCKETS; i++) {
        counts[i] += o.counts[i];
      }
      total += o.total;
      sum += o.sum;
      min = Math.min(min, o.min);
      max = Math.max(max, o.max);
    }

    /** The value at quantile q (0..1): the midpoint of its bucket, clamped to [min, max]. */
    long quantile(double q) {
      if (total == 0) {
        return 0;
      }
      long rank = Math.max(1, (long) Math.ceil(q * total));
      long seen = 0;
      for (int i = 0; i < BUCKETS; i++) {
        seen += counts[i];
        if (seen >= rank) {
          long mid = lowerBound(i) + width(i) / 2;
          return Math.min(Math.max(mid, min), max);
        }
      }
      return max;
    }
  }

  // ---- HTTP/1.1 client on a blocking SocketChannel --------------------------------------------

  /** Thrown for a response that is not valid HTTP/1.1 as this client understands it. */
  static final class ProtocolException extends IOException {
    ProtocolException(String message) {
      super(message);
    }
  }

  /** One connection; reads into a reusable heap buffer and parses without allocating per byte. */
  static final class HttpConnection implements AutoCloseable {
    private static final byte[] CONTENT_LENGTH =
        "content-length".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRANSFER_ENCODING =
        "transfer-encoding".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION = "connection".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED = "chunked".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "close".getBytes(StandardCharsets.US_ASCII);

    final SocketChannel channel;
    private final byte[] buf = new byte[64 * 1024];
    private final ByteBuffer bb = ByteBuffer.wrap(buf);
    private int pos;
    private int lim;

    // Result of the last response.
    int status;
    long bodyBytes;
    boolean mustClose;

    HttpConnection(Path socket) throws IOException {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      this.channel = ch;
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }

    void write(ByteBuffer request) throws IOException {
      request.clear();
      while (request.hasRemaining()) {
        channel.write(request);
      }
    }

    /** Reads more bytes after {@code lim}; compacts first when the buffer is full. */
    private void fill() throws IOException {
      if (pos == lim) {
        pos = lim = 0;
      } else if (lim == buf.length) {
        if (pos == 0) {
          throw new ProtocolException("header line longer than " + buf.length + " bytes");
        }
        System.arraycopy(buf, pos, buf, 0, lim - pos);
        lim -= pos;
        pos = 0;
      }
      bb.limit(buf.length).position(lim);
      int n = channel.read(bb);
      if (n < 0) {
        throw new EOFException("connection closed by server");
      }
      lim += n;
    }

    /**
     * Finds the next line; returns the index of its '\n' (the line is buf[pos, end), with an
     * optional '\r' before the '\n'). Advance with {@code pos = end + 1}.
     */
    private int lineEnd() throws IOException {
      int scan = pos;
      while (true) {
        for (int i = scan; i < lim; i++) {
          if (buf[i] == '\n') {
            return i;
          }
        }
        // No '\n' in [pos, lim): read more. fill() may move the unread bytes to the front, so
        // remember how far we got relative to pos and continue from there.
        int scanned = lim - pos;
        fill();
        scan = pos + scanned;
      }
    }

    /** End of line content, excluding a trailing '\r'. */
    private int contentEnd(int nl) {
      return nl > pos && buf[nl - 1] == '\r' ? nl - 1 : nl;
    }

    private boolean headerNameIs(int start, int colon, byte[] lowerName) {
      int end = colon;
      while (end > start && (buf[end - 1] == ' ' || buf[end - 1] == '\t')) {
        end--;
      }
      if (end - start != lowerName.length) {
        return false;
      }
      for (int i = 0; i < lowerName.length; i++) {
        int c = buf[start + i];
        if (c >= 'A' && c <= 'Z') {
          c += 'a' - 'A';
        }
        if (c != lowerName[i]) {
          return false;
        }
      }
      return true;
    }

    private boolean valueContains(int start, int end, byte[] lowerToken) {
      outer:
      for (int i = start; i + lowerToken.length <= end; i++) {
        for (int j = 0; j < lowerToken.length; j++) {
          int c = buf[i + j];
          if (c >= 'A' && c <= 'Z') {
            c += 'a' - 'A';
          }
          if (c != lowerToken[j]) {
            continue outer;
          }
        }
        return true;
      }
      return false;
    }

    private long parseDecimal(int start, int end) throws ProtocolException {
      while (start < end && (buf[start] == ' ' || buf[start] == '\t')) {
        start++;
      }
      while (end > start && (buf[end - 1] == ' ' || buf[end - 1] == '\t')) {
        end--;
      }
      if (start == end || end - start > 18) {
        throw new ProtocolException("bad Content-Length");
      }
      long v = 0;
      for (int i = start; i < end; i++) {
        int d = buf[i] - '0';
        if (d < 0 || d > 9) {
          throw new ProtocolException("bad Content-Length");
        }
        v = v * 10 + d;
      }
      return v;
    }

    private long parseChunkSize(int start, int end) throws ProtocolException {
      long v = 0;
      int digits = 0;
      for (int i = start; i < end; i++) {
        int c = buf[i];
        int d;
        if (c >= '0' && c <= '9') {
          d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
          d = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
          d = c - 'A' + 10;
        } else if (c == ';' || c == ' ' || c == '\t') {
          break; // chunk extension
        } else {
          throw new ProtocolException("bad chunk size");
        }
        if (++digits > 15) {
          throw new ProtocolException("chunk size too large");
        }
        v = (v << 4) | d;
      }
      if (digits == 0) {
        throw new ProtocolException("empty chunk size line");
      }
      return v;
    }

    /** Consumes and discards n body bytes. */
    private void skip(long n) throws IOException {
      bodyBytes += n;
      while (n > 0) {
        if (pos == lim) {
          fill();
        }
        int take = (int) Math.min(n, lim - pos);
        pos += take;
        n -= take;
      }
    }

    /** Reads (and discards) everything until the server closes the connection. */
    private void skipToEof() throws IOException {
      bodyBytes += lim - pos;
      pos = lim = 0;
      while (true) {
        bb.limit(buf.length).position(0);
        int n = channel.read(bb);
        if (n < 0) {
          return;
        }
        bodyBytes += n;
      }
    }

    /** Reads one complete response to a GET; sets status, bodyBytes, mustClose. */
    void readResponse() throws IOException {
      bodyBytes = 0;
      mustClose = false;
      while (true) {
        readHead();
        if (status >= 100 && status < 200 && status != 101) {
          continue; // interim response (100 Continue, 103 Early Hints): the real one follows
        }
        return;
      }
    }

    private void readHead() throws IOException {
      // Status line: HTTP/1.x SP 3DIGIT SP reason
      int nl = lineEnd();
      int end = contentEnd(nl);
      if (end - pos < 12
          || buf[pos] != 'H'
          || buf[pos + 1] != 'T'
          || buf[pos + 2] != 'T'
          || buf[pos + 3] != 'P'
          || buf[pos + 4] != '/'
          || buf[pos + 8] != ' ') {
        throw new ProtocolException(
            "bad status line: "
                + new String(buf, pos, Math.min(end - pos, 80), StandardCharsets.ISO_8859_1));
      }
      boolean http10 = buf[pos + 5] == '1' && buf[pos + 7] == '0';
      int s = 0;
      for (int i = pos + 9; i < pos + 12; i++) {
        int d = buf[i] - '0';
        if (d < 0 || d > 9) {
          throw new ProtocolException("bad status code");
        }
        s = s * 10 + d;
      }
      status = s;
      pos = nl + 1;

      long contentLength = -1;
      boolean chunked = false;
      boolean close = http10;
      while (true) {
        nl = lineEnd();
        end = contentEnd(nl);
        if (end == pos) {
          pos = nl + 1;
          break;
        }
        int colon = -1;
        for (int i = pos; i < end; i++) {
          if (buf[i] == ':') {
            colon = i;
            break;
          }
        }
        if (colon <= pos) {
          throw new ProtocolException("bad header line");
        }
        if (headerNameIs(pos, colon, CONTENT_LENGTH)) {
          long cl = parseDecimal(colon + 1, end);
          if (contentLength >= 0 && cl != contentLength) {
            throw new ProtocolException("conflicting Content-Length headers");
          }
          contentLength = cl;
        } else if (headerNameIs(pos, colon, TRANSFER_ENCODING)) {
          chunked = valueContains(colon + 1, end, CHUNKED);
        } else if (headerNameIs(pos, colon, CONNECTION)) {
          close |= valueContains(colon + 1, end, CLOSE);
        }
        pos = nl + 1;
      }
      mustClose = close;

      if ((status >= 100 && status < 200) || status == 204 || status == 304) {
        return; // no body by definition (GET requests only, so no HEAD special case)
      }
      if (chunked) {
        readChunked();
      } else if (contentLength >= 0) {
        skip(contentLength);
      } else {
        skipToEof();
        mustClose = true;
      }
    }

    private void readChunked() throws IOException {
      while (true) {
        int nl = lineEnd();
        long size = parseChunkSize(pos, contentEnd(nl));
        pos = nl + 1;
        if (size == 0) {
          // Trailer section, ended by an empty line.
          while (true) {
            nl = lineEnd();
            boolean empty = contentEnd(nl) == pos;
            pos = nl + 1;
            if (empty) {
              return;
            }
          }
        }
        skip(size);
        nl = lineEnd();
        if (contentEnd(nl) != pos) {
          throw new ProtocolException("missing CRLF after chunk data");
        }
        pos = nl + 1;
      }
    }
  }

  // ---- workers --------------------------------------------------------------------------------

  static final class Worker implements Runnable {
    final int id;
    final Path socket;
    final byte[][] toSend;
    final int expectStatus;
    final long count;

    /** nanoTime at which this worker stopped early (its count reached), or 0. */
    volatile long doneAt;

    final CountDownLatch ready;
    final CountDownLatch go;
    final Histogram histogram = new Histogram();

    // Phase boundaries (System.nanoTime), set before go is released.
    volatile long measureStart;
    volatile long measureEnd;

    /** nanoTime at which the current request started, or 0 when idle (read by the watchdog). */
    volatile long inFlightSince;

    volatile @Nullable HttpConnection conn;
    volatile boolean abortedByWatchdog;

    long requests; // completed OK inside the measured window
    long ioErrors;
    long timeouts;
    long badStatus;
    long unmeasuredErrors;
    long bodyBytes;
    int lastBadStatus;
    @Nullable String firstError;

    Worker(
        int id,
        Path socket,
        byte[][] requests,
        int expectStatus,
        long count,
        CountDownLatch ready,
        CountDownLatch go) {
      this.id = id;
      this.count = count;
      this.socket = socket;
      this.toSend = requests;
      this.expectStatus = expectStatus;
      this.ready = ready;
      this.go = go;
    }

    @Override
    public void run() {
      int next = id;
      try {
        conn = new HttpConnection(socket);
      } catch (IOException e) {
        noteError("connect: " + e);
      }
      ready.countDown();
      try {
        go.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      final long mStart = measureStart;
      final long mEnd = measureEnd;
      int consecutiveFailures = 0;
      while (true) {
        long t0 = System.nanoTime();
        if (t0 >= mEnd) {
          break;
        }
        boolean ok = false;
        String error = null;
        int status = 0;
        long body = 0;
        inFlightSince = t0;
        try {
          HttpConnection c = conn;
          if (c == null) {
            c = new HttpConnection(socket);
            conn = c;
          }
          c.write(ByteBuffer.wrap(toSend[next++ % toSend.length]));
          c.readResponse();
          status = c.status;
          body = c.bodyBytes;
          ok = true;
          if (c.mustClose) {
            c.close();
            conn = null;
          }
        } catch (IOException | RuntimeException e) {
          error =
              e instanceof ClosedChannelException && abortedByWatchdog ? "timeout" : e.toString();
          HttpConnection c = conn;
          if (c != null) {
            c.close();
            conn = null;
          }
        }
        long t1 = System.nanoTime();
        inFlightSince = 0;
        boolean timedOut = abortedByWatchdog;
        abortedByWatchdog = false;
        boolean measured = t1 >= mStart && t1 < mEnd;
        if (ok && status == expectStatus) {
          consecutiveFailures = 0;
          if (measured) {
            requests++;
            bodyBytes += body;
            histogram.record(t1 - t0);
            if (count > 0 && requests >= count) {
              doneAt = t1;
              break;
            }
          }
          continue;
        }
        // Failure of one kind or another.
        consecutiveFailures++;
        if (!measured) {
          unmeasuredErrors++;
        } else if (timedOut) {
          timeouts++;
        } else if (ok) {
          badStatus++;
          lastBadStatus = status;
        } else {
          ioErrors++;
        }
        noteError(
            timedOut
                ? "request timed out (aborted by watchdog)"
                : ok ? "unexpected status " + status : error);
        if (consecutiveFailures > 3) {
          try {
            Thread.sleep(Math.min(100, consecutiveFailures * 5L)); // don't spin on a dead server
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      HttpConnection c = conn;
      if (c != null) {
        c.close();
      }
    }

    private void noteError(@Nullable String e) {
      if (firstError == null) {
        firstError = e;
      }
    }
  }

  private static byte[][] buildRequests(Options o) throws IOException {
    if (o.bodies == null) {
      return new byte[][] {buildRequest(o, null)};
    }
    List<String> lines =
        Files.readAllLines(Path.of(o.bodies), StandardCharsets.UTF_8).stream()
            .filter(l -> !l.isBlank())
            .toList();
    if (lines.isEmpty()) {
      usage("--bodies " + o.bodies + " has no lines");
    }
    byte[][] out = new byte[lines.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = buildRequest(o, lines.get(i).getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  private static byte[] buildRequest(Options o, byte @Nullable [] body) {
    String r =
        o.method
            + " "
            + o.path
            + " HTTP/1.1\r\n"
            + "Host: "
            + o.host
            + "\r\n"
            + "User-Agent: berth-bench/1\r\n"
            + "Accept: */*\r\n"
            + (body == null
                ? ""
                : "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n")
            + "\r\n";
    byte[] head = r.getBytes(StandardCharsets.US_ASCII);
    if (body == null) {
      return head;
    }
    byte[] all = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }

  /** One request before the run, bounded by the timeout, so a dead or hanging server shows. */
  private static void probe(Options o, Path socket, byte[] request) throws InterruptedException {
    HttpConnection[] holder = new HttpConnection[1];
    String[] outcome = new String[1];
    Thread t =
        Thread.ofPlatform()
            .name("bench-probe")
            .daemon(true)
            .start(
                () -> {
                  try (HttpConnection probe = new HttpConnection(socket)) {
                    synchronized (holder) {
                      holder[0] = probe;
                    }
                    probe.write(ByteBuffer.wrap(request));
                    probe.readResponse();
                    outcome[0] = "-> " + probe.status + " (" + probe.bodyBytes + " body bytes)";
                  } catch (IOException | RuntimeException e) {
                    outcome[0] = "failed: " + e;
                  }
                });
    t.join((long) (o.timeoutSeconds * 1000));
    if (t.isAlive()) {
      synchronized (holder) {
        if (holder[0] != null) {
          holder[0].close();
        }
      }
      t.join(1000);
      outcome[0] = "timed out after " + o.timeoutSeconds + " s";
    }
    System.err.printf(Locale.ROOT, "socket-bench[%s]: probe %s %s%n", o.label, o.path, outcome[0]);
  }

  // ---- main -----------------------------------------------------------------------------------

  public static void main(String[] args) throws Exception {
    Options o = parse(args);
    Path socket = Path.of(o.socket);
    byte[][] toSend = buildRequests(o);

    probe(o, socket, toSend[0]);

    CountDownLatch ready = new CountDownLatch(o.connections);
    CountDownLatch go = new CountDownLatch(1);
    List<Worker> workers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < o.connections; i++) {
      Worker w = new Worker(i, socket, toSend, o.expectStatus, o.count, ready, go);
      workers.add(w);
      Thread t = Thread.ofPlatform().name("bench-" + i).daemon(true).unstarted(w);
      threads.add(t);
      t.start();
    }
    ready.await();

    long warmupNs = (long) (o.warmupSeconds * 1e9);
    long measureNs = (long) (o.measureSeconds * 1e9);
    long timeoutNs = (long) (o.timeoutSeconds * 1e9);
    long start = System.nanoTime();
    long mStart = start + warmupNs;
    long mEnd = mStart + measureNs;
    for (Worker w : workers) {
      w.measureStart = mStart;
      w.measureEnd = mEnd;
    }
    go.countDown();

    // Watchdog: abort requests in flight for longer than the timeout; wait for all threads.
    long hardDeadline = mEnd + timeoutNs + 5_000_000_000L;
    while (true) {
      boolean alive = false;
      for (Thread t : threads) {
        alive |= t.isAlive();
      }
      if (!alive) {
        break;
      }
      long now = System.nanoTime();
      for (Worker w : workers) {
        long since = w.inFlightSince;
        HttpConnection c = w.conn;
        if (since != 0 && now - since > timeoutNs && c != null && !w.abortedByWatchdog) {
          w.abortedByWatchdog = true;
          c.close(); // the blocked read or write fails with AsynchronousCloseException
        }
      }
      if (now > hardDeadline) {
        System.err.printf(
            Locale.ROOT,
            "socket-bench[%s]: threads still running %.1f s after "
                + "the end; giving up on them%n",
            o.label,
            (now - mEnd) / 1e9);
        break;
      }
      Thread.sleep(50);
    }

    Histogram all = new Histogram();
    long requests = 0;
    long ioErrors = 0;
    long timeouts = 0;
    long badStatus = 0;
    long unmeasuredErrors = 0;
    long bodyBytes = 0;
    int lastBadStatus = 0;
    List<String> errorSamples = new ArrayList<>();
    for (Worker w : workers) {
      all.add(w.histogram);
      requests += w.requests;
      ioErrors += w.ioErrors;
      timeouts += w.timeouts;
      badStatus += w.badStatus;
      unmeasuredErrors += w.unmeasuredErrors;
      bodyBytes += w.bodyBytes;
      if (w.lastBadStatus != 0) {
        lastBadStatus = w.lastBadStatus;
      }
      if (w.firstError != null && errorSamples.size() < 5 && !errorSamples.contains(w.firstError)) {
        errorSamples.add(w.firstError);
      }
    }
    long errors = ioErrors + timeouts + badStatus;
    double seconds = measureNs / 1e9;
    if (o.count > 0) {
      long last = mStart;
      boolean allDone = true;
      for (Worker w : workers) {
        allDone &= w.doneAt != 0;
        last = Math.max(last, w.doneAt);
      }
      if (allDone) {
        seconds = (last - mStart) / 1e9;
      }
    }
    double rps = requests / seconds;
    double p50 = all.quantile(0.50) / 1e3;
    double p90 = all.quantile(0.90) / 1e3;
    double p99 = all.quantile(0.99) / 1e3;
    double max = all.max / 1e3;
    double mean = all.total == 0 ? 0 : all.sum / (double) all.total / 1e3;
    long bodyAvg = requests == 0 ? 0 : bodyBytes / requests;

    System.err.printf(
        Locale.ROOT,
        "socket-bench[%s]: %s x%d  %.0f req/s  p50 %.0f us  p90 %.0f us  p99 %.0f us  "
            + "max %.0f us  errors %d (io %d, timeouts %d, status %d; outside the window %d)  "
            + "body %d B/resp%n",
        o.label,
        o.path,
        o.connections,
        rps,
        p50,
        p90,
        p99,
        max,
        errors,
        ioErrors,
        timeouts,
        badStatus,
        unmeasuredErrors,
        bodyAvg);
    for (String e : errorSamples) {
      System.err.printf(Locale.ROOT, "socket-bench[%s]:   error sample: %s%n", o.label, e);
    }
    System.out.printf(
        Locale.ROOT,
        "label=%s path=%s connections=%d seconds=%.3f requests=%d rps=%.1f p50_us=%.1f "
            + "p90_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f errors=%d io_errors=%d "
            + "timeouts=%d bad_status=%d unmeasured_errors=%d body_bytes_avg=%d last_bad_status=%d%n",
        o.label,
        o.path,
        o.connections,
        seconds,
        requests,
        rps,
        p50,
        p90,
        p99,
        max,
        mean,
        errors,
        ioErrors,
        timeouts,
        badStatus,
        unmeasuredErrors,
        bodyAvg,
        lastBadStatus);
    System.out.flush();
    System.exit(0);
  }
}
