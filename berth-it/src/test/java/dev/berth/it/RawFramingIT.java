package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.testing.RawHttp;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP framing that a smuggling or desync attack would use, written by hand on the raw socket.
 * These connect as root (berth's administrator), which does not matter for framing: the checks run
 * before any policy. The pipelining test connects as alice, because there the policy must judge the
 * second request.
 */
class RawFramingIT extends ItBase {
  private static final Duration WAIT = Duration.ofSeconds(5);

  /** How long to wait when the connection is expected to stay open. */
  private static final Duration KEEP_ALIVE_WAIT = Duration.ofSeconds(2);

  private RawHttp.Response send(byte[] bytes, Duration wait) throws IOException {
    return RawHttp.exchange(berth().socket(), bytes, wait);
  }

  private static void assertRefused(RawHttp.Response r, int status, String message) {
    assertThat(r.statusLine())
        .as(r.describe())
        .isEqualTo(
            "HTTP/1.1 "
                + status
                + " "
                + switch (status) {
                  case 400 -> "Bad Request";
                  case 403 -> "Forbidden";
                  case 413 -> "Request Entity Too Large";
                  default -> throw new IllegalArgumentException("status " + status);
                });
    assertThat(r.text())
        .as(r.describe())
        .containsIgnoringCase("content-type: application/json")
        .contains("{\"message\":\"berth: ")
        .contains(message);
  }

  @Test
  void contentLengthWithTransferEncoding_isRefusedWith400AndClosed() throws IOException {
    String body = "{\"Image\":\"x\"}";
    byte[] req =
        ("POST /containers/create HTTP/1.1\r\nHost: docker\r\n"
                + "Content-Type: application/json\r\nContent-Length: 4\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(body.length())
                + "\r\n"
                + body
                + "\r\n0\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    RawHttp.Response r = send(req, WAIT);
    assertRefused(r, 400, "Transfer-Encoding");
    assertThat(r.closedByServer()).as(r.describe()).isTrue();
    assertThat(r.responseCount()).as(r.describe()).isEqualTo(1);
  }

  /** The status line the daemon itself gives the same bytes (sent as root, straight to it). */
  private static String daemonsStatus(byte[] bytes) throws IOException {
    RawHttp.Response direct =
        RawHttp.exchange(ItEnvironment.upstreamSocket(), bytes, KEEP_ALIVE_WAIT);
    return direct.statusLine().replaceAll("^(HTTP/1\\.1 [0-9]{3}).*", "$1");
  }

  @ParameterizedTest(name = "Content-Length: {0}")
  @ValueSource(strings = {"abc", "95, 95", "-1"})
  void malformedContentLength_answeredInDockerFormatWithTheDaemonsStatus(String length)
      throws IOException {
    // issue 18: these closed the connection with no answer and no audit record
    byte[] req =
        ("POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: "
                + "application/json\r\nContent-Length: "
                + length
                + "\r\n\r\n{\"Image\":\"x\"}")
            .getBytes(StandardCharsets.ISO_8859_1);
    RawHttp.Response r = send(req, WAIT);
    assertRefused(r, 400, "Content-Length");
    assertThat(r.closedByServer()).as(r.describe()).isTrue();
    assertThat(daemonsStatus(req)).isEqualTo("HTTP/1.1 400");
  }

  @Test
  void expectOtherThanContinue_answered417InDockerFormatAsTheDaemonDoes() throws IOException {
    byte[] req =
        ("POST /containers/create HTTP/1.1\r\nHost: docker\r\nExpect: foo\r\n"
                + "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"Image\":\"x\"}")
            .getBytes(StandardCharsets.ISO_8859_1);
    RawHttp.Response r = send(req, WAIT);
    assertThat(r.statusLine()).as(r.describe()).isEqualTo("HTTP/1.1 417 Expectation Failed");
    assertThat(r.text()).as(r.describe()).contains("{\"message\":\"berth: unsupported Expect");
    assertThat(daemonsStatus(req)).isEqualTo("HTTP/1.1 417");
  }

  @Test
  void createSentAsTextPlain_answeredWithTheDaemonsOwn400NotForwarded() throws IOException {
    String name = container("textplain");
    String body = "{\"Image\":\"" + image + "\"}";
    byte[] req =
        ("POST /containers/create?name="
                + name
                + " HTTP/1.1\r\nHost: docker\r\n"
                + "Content-Type: text/plain\r\nContent-Length: "
                + body.length()
                + "\r\n\r\n"
                + body)
            .getBytes(StandardCharsets.ISO_8859_1);
    RawHttp.Response r = send(req, WAIT);
    assertThat(r.statusLine()).as(r.describe()).isEqualTo("HTTP/1.1 400 Bad Request");
    assertThat(r.text())
        .as(r.describe())
        .contains("(text/plain)")
        .contains("must be 'application/json'");
    assertThat(existsUpstream(name)).as("created through berth").isFalse();
    assertThat(daemonsStatus(req)).isEqualTo("HTTP/1.1 400");
    assertThat(existsUpstream(name)).as("created by the daemon itself").isFalse();
  }

  @Test
  void upgradeH2c_isRefusedWith400AndClosed() throws IOException {
    RawHttp.Response r =
        send(
            RawHttp.request(
                "GET /_ping HTTP/1.1",
                "Connection: Upgrade, HTTP2-Settings",
                "Upgrade: h2c",
                "HTTP2-Settings: AAMAAABkAAQAAP__"),
            WAIT);
    assertRefused(r, 400, "Upgrade");
    assertThat(r.closedByServer()).as(r.describe()).isTrue();
  }

  @Test
  void http2Preface_isNotSpokenAndClosed() throws IOException {
    RawHttp.Response r =
        send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), WAIT);
    assertThat(r.closedByServer()).as(r.describe()).isTrue();
    if (!r.text().isEmpty()) {
      assertRefused(r, 400, "berth: ");
    }
    assertThat(r.text()).as(r.describe()).doesNotContain("HTTP/2");
  }

  @Test
  void absoluteFormTarget_isRefusedWith400() throws IOException {
    RawHttp.Response r = send(RawHttp.request("GET http://docker/_ping HTTP/1.1"), WAIT);
    assertRefused(r, 400, "origin-form");
    assertThat(r.closedByServer()).as(r.describe()).isTrue();
  }

  @Test
  void dotDotSegment_isRefusedWith400() throws IOException {
    RawHttp.Response r = send(RawHttp.request("GET /containers/../_ping HTTP/1.1"), WAIT);
    assertRefused(r, 400, "'..'");
    assertThat(r.closedByServer()).as(r.describe()).isTrue();
  }

  @Test
  void emptySegment_isRefusedWith400() throws IOException {
    RawHttp.Response r = send(RawHttp.request("GET //_ping HTTP/1.1"), WAIT);
    assertRefused(r, 400, "empty segments");
    assertThat(r.closedByServer()).as(r.describe()).isTrue();
  }

  @Test
  void encodedSlash_isRefusedWith400() throws IOException {
    RawHttp.Response r =
        send(RawHttp.request("GET /containers/a%2F..%2F..%2Finfo/json HTTP/1.1"), WAIT);
    assertRefused(r, 400, "encoded");
  }

  @Test
  void http10_isRefusedWith400() throws IOException {
    RawHttp.Response r =
        send("GET /_ping HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), WAIT);
    assertRefused(r, 400, "HTTP/1.1");
  }

  @Test
  void unknownRoute_isRefusedWith403DockerJson() throws IOException {
    RawHttp.Response r = send(RawHttp.request("GET /nope HTTP/1.1", "Connection: close"), WAIT);
    assertRefused(r, 403, "GET /nope is not an endpoint of the Docker API");
    assertThat(r.text())
        .as(r.describe())
        .endsWith(
            "{\"message\":\"berth: GET /nope is not an endpoint of the Docker API that "
                + "berth allows\"}\n");
  }

  /**
   * A refusal that does not say {@code Connection: close} promises that the connection stays
   * usable, so the next pipelined request must be answered.
   */
  @Test
  void unknownRoute_onKeepAliveConnection_nextPipelinedRequestIsStillAnswered() throws IOException {
    RawHttp.Response r =
        send(
            RawHttp.concat(
                RawHttp.request("GET /nope HTTP/1.1"),
                RawHttp.request("GET /_ping HTTP/1.1", "Connection: close")),
            WAIT);
    assertRefused(r, 403, "GET /nope");
    boolean promisedKeepAlive = !r.text().toLowerCase().contains("connection: close");
    if (promisedKeepAlive) {
      assertThat(r.responseCount())
          .as(
              "BERTH BUG: the 403 for an unknown route was sent without 'Connection: close', "
                  + "but berth then closed the connection without answering the pipelined GET "
                  + "/_ping. (Seen before 13ec853: a refusal at request-head time went back to READY "
                  + "with the request's empty LastHttpContent still unread, which then closed the "
                  + "connection.)\n%s",
              r.describe())
          .isEqualTo(2);
      assertThat(r.text()).as(r.describe()).contains("HTTP/1.1 200 OK").endsWith("OK");
    } else {
      assertThat(r.closedByServer()).as(r.describe()).isTrue();
    }
  }

  @Test
  void oversizedCreateBody_isRefusedWith413() throws IOException {
    int total = 5 * 1024 * 1024;
    byte[] head =
        ("POST /containers/create HTTP/1.1\r\nHost: docker\r\n"
                + "Content-Type: application/json\r\nContent-Length: "
                + total
                + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    byte[] chunk = new byte[64 * 1024];
    Arrays.fill(chunk, (byte) ' '); // only the size matters: berth counts before it parses
    AtomicInteger sent = new AtomicInteger(-1);
    RawHttp.Response r =
        RawHttp.exchange(
            berth().socket(),
            () -> {
              int n = sent.getAndIncrement();
              if (n < 0) {
                return ByteBuffer.wrap(head);
              }
              return (long) n * chunk.length >= total ? null : ByteBuffer.wrap(chunk);
            },
            Duration.ofSeconds(15));
    assertRefused(r, 413, "request body larger than");
    assertThat(r.closedByServer()).as(r.describe()).isTrue();
  }

  /**
   * PROTO-03: an allowed request and a forbidden one in a single write on one connection, as alice.
   * The second must be judged on its own (403 with berth's reason), not ride on the first.
   */
  @Test
  void pipelinedPingThenPrivilegedCreate_asAlice_secondIsJudgedAndDenied() throws IOException {
    String name = container("pipelined");
    String body =
        "{\"Image\":\"" + image + "\",\"Cmd\":[\"id\"]," + "\"HostConfig\":{\"Privileged\":true}}";
    byte[] bytes =
        RawHttp.concat(
            RawHttp.request("GET /_ping HTTP/1.1"),
            ("POST /v1.41/containers/create?name="
                    + name
                    + " HTTP/1.1\r\nHost: docker\r\n"
                    + "Content-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n"
                    + body)
                .getBytes(StandardCharsets.UTF_8));
    RawHttp.Response r = exchangeAs(alice, bytes);

    assertThat(r.responseCount()).as(r.describe()).isEqualTo(2);
    assertThat(r.statusLine()).as(r.describe()).isEqualTo("HTTP/1.1 200 OK");
    String second = r.responses().get(1);
    assertRefused(new RawHttp.Response(second, r.closedByServer()), 403, "HostConfig.Privileged");
    assertThat(existsUpstream(name)).as("the privileged container was created").isFalse();
  }

  /** Runs a tiny client as {@code user}: one write of {@code bytes}, then read until EOF/idle. */
  private RawHttp.Response exchangeAs(ItEnvironment.UnixUser user, byte[] bytes)
      throws IOException {
    Path python = Path.of("/usr/bin/python3");
    if (!Files.isExecutable(python)) {
      ItEnvironment.unavailable("/usr/bin/python3 is needed to connect as " + user.name());
    }
    Path script = Files.createTempFile(Path.of("/tmp"), "bit-raw-", ".py");
    try {
      Files.writeString(
          script,
          """
          import socket, sys
          data = sys.stdin.buffer.read()
          s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
          s.connect(sys.argv[1])
          s.sendall(data)
          s.settimeout(float(sys.argv[2]))
          out, eof = b"", False
          try:
              while True:
                  b = s.recv(65536)
                  if not b:
                      eof = True
                      break
                  out += b
          except socket.timeout:
              pass
          sys.stdout.buffer.write(out)
          sys.stdout.buffer.write(b"\\n<<EOF>>" if eof else b"\\n<<OPEN>>")
          """);
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
      Proc.Result p =
          Proc.run(
              docker.asUser(
                  user,
                  List.of(
                      python.toString(),
                      script.toString(),
                      berth().socket().toString(),
                      Long.toString(KEEP_ALIVE_WAIT.toSeconds()))),
              bytes,
              Duration.ofSeconds(30));
      assertThat(p.exitCode()).as(p.describe()).isZero();
      boolean eof = p.stdout().endsWith("\n<<EOF>>");
      String text = p.stdout().substring(0, p.stdout().lastIndexOf("\n<<"));
      return new RawHttp.Response(text, eof);
    } finally {
      Files.deleteIfExists(script);
    }
  }
}
