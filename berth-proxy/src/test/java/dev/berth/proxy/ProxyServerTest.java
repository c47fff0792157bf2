package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditLog;
import dev.berth.audit.AuditVerifier;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.HostPaths;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxy over real unix sockets, in front of a {@link FakeDaemon}. The test process is root, but
 * the user directory names uid 0 "alice", so requests are judged as an ordinary user's.
 */
class ProxyServerTest {
  private static Path dir;
  private static FakeDaemon daemon;
  private static ProxyServer proxy;
  private static Path socket;
  private static AuditLog audit;

  @BeforeAll
  static void start() throws IOException {
    dir = Files.createTempDirectory("berth-proxy-test");
    daemon = new FakeDaemon(dir.resolve("d.sock"), TestCallers.currentUid());
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
    // every decision of every test was recorded, and the chain holds
    AuditVerifier.Result r = AuditVerifier.verify(dir.resolve("audit.jsonl"));
    assertThat(r.ok()).isTrue();
    assertThat(r.records()).isGreaterThan(20);
    daemon.close();
    assertThat(socket).doesNotExist();
  }

  /** Sends raw bytes, half-closes, and returns everything berth answered until it closed. */
  private static String exchange(String request) throws IOException {
    return exchange(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static String exchange(byte[] request) throws IOException {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      c.write(ByteBuffer.wrap(request));
      c.shutdownOutput();
      return readToEnd(c);
    }
  }

  /** Everything the proxy sends until it closes (at most 10 s). */
  private static String readToEnd(SocketChannel c) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(8192);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      buf.clear();
      int n = c.read(buf);
      if (n < 0) {
        break;
      }
      out.write(buf.array(), 0, n);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** Sends raw bytes without half-closing; reads until {@code responses} status lines arrived. */
  private static String pipelined(String request, int responses) throws IOException {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      c.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
      c.configureBlocking(false);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(8192);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline
          && out.toString(StandardCharsets.ISO_8859_1).split("HTTP/1.1 ", -1).length <= responses) {
        buf.clear();
        int n = c.read(buf);
        if (n < 0) {
          break;
        }
        out.write(buf.array(), 0, n);
        if (n == 0) {
          Thread.onSpinWait();
        }
      }
      return out.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void allowedChange_recordedBeforeForwarding() throws Exception {
    String exec = "{\"Cmd\":[\"id\"]}";
    assertThat(
            exchange(
                "POST /containers/audited/exec HTTP/1.1\r\nHost: d\r\n"
                    + "Content-Type: application/json\r\nContent-Length: "
                    + exec.length()
                    + "\r\n\r\n"
                    + exec))
        .startsWith("HTTP/1.1 200 OK");
    // forwarded only after its record was forced to disk: the record is there now
    assertThat(Files.readString(dir.resolve("audit.jsonl")))
        .contains("\"path\":\"/containers/audited/exec\"")
        .contains("\"decision\":\"allow\"")
        .contains("User set to 0:0");
  }

  @Test
  void allowedCreate_resultRecordedWithObjectId() throws Exception {
    String body =
        "{\"Image\":\"x\",\"Labels\":{\"test\":\"result-record\"},"
            + "\"HostConfig\":{\"NetworkMode\":\"none\"}}";
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                    + "Content-Type: application/json\r\nContent-Length: "
                    + body.length()
                    + "\r\n\r\n"
                    + body))
        .startsWith("HTTP/1.1 200 OK")
        .contains("c0ffee");
    String log = "";
    for (int i = 0; i < 50 && !log.contains("\"objectId\":\"c0ffee\""); i++) {
      Thread.sleep(20); // the result record is queued, not awaited
      log = Files.readString(dir.resolve("audit.jsonl"));
    }
    assertThat(log).contains("\"objectId\":\"c0ffee\"").contains("\"status\":200");
  }

  @Test
  void ping_relayedToDaemon() throws IOException {
    assertThat(exchange("GET /v1.51/_ping HTTP/1.1\r\nHost: d\r\n\r\n"))
        .startsWith("HTTP/1.1 200 OK")
        .contains("{\"ok\":true}");
  }

  @Test
  void contentLengthAndChunked_badRequest() throws IOException {
    // PROTO-02
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n0\r\n\r\n"))
        .startsWith("HTTP/1.1 400")
        .doesNotContain("200 OK");
  }

  @Test
  void http10WithTransferEncoding_badRequest() throws IOException {
    // PROTO-04
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.0\r\nContent-Length: 2\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n{}"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  void obfuscatedTransferEncoding_badRequest() throws IOException {
    // PROTO-05
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                    + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                    + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  void bareLineFeeds_badRequest() throws IOException {
    // PROTO-06
    assertThat(exchange("POST /containers/create HTTP/1.1\nHost: d\nContent-Length: 2\n\n{}"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  void duplicateContentLength_badRequest() throws IOException {
    // PROTO-08
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n"
                    + "Content-Length: 3\r\n\r\n{}x"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  void duplicateSecurityHeaders_badRequest() throws IOException {
    // AUTHZ-04: Go takes the first value of a repeated header
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                    + "Content-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                    + "\r\n{}"))
        .startsWith("HTTP/1.1 400")
        .contains("more than once");
    assertThat(
            exchange(
                "GET /_ping HTTP/1.1\r\nHost: d\r\nX-Registry-Auth: a\r\n"
                    + "X-Registry-Auth: b\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  void pipelinedPrivilegedCreate_judgedOnItsOwn() throws IOException {
    // PROTO-03: the second request of one write is judged, not relayed with the first
    String body =
        "{\"Image\":\"alpine\",\"HostConfig\":{\"Privileged\":true,\"Binds\":[\"/:/host\"]}}";
    String answer =
        pipelined(
            "GET /_ping HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n"
                + "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + body.length()
                + "\r\n\r\n"
                + body,
            2);
    assertThat(answer)
        .startsWith("HTTP/1.1 200 OK")
        .contains("HTTP/1.1 403")
        .contains("privileged containers are not allowed");
    assertThat(daemon.received).noneMatch(r -> r.contains("Privileged\":true"));
  }

  @Test
  void chunkedPrivilegedCreate_dechunkedAndJudged() throws IOException {
    // PROTO-01: a chunked body is read whole and judged like any other
    String body = "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true}}";
    String half = body.substring(0, 10);
    String rest = body.substring(10);
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(half.length())
                    + "\r\n"
                    + half
                    + "\r\n"
                    + Integer.toHexString(rest.length())
                    + "\r\n"
                    + rest
                    + "\r\n0\r\n\r\n"))
        .startsWith("HTTP/1.1 403")
        .contains("privileged containers are not allowed");
  }

  @Test
  void upgradeRequestWithoutUpgradeResponse_nextRequestStillJudged() throws IOException {
    // PROTO-09: the tunnel opens on the daemon's 101, never on the client's Upgrade header
    String execCreate = "{\"Cmd\":[\"id\"]}";
    assertThat(
            exchange(
                "POST /containers/abc/exec HTTP/1.1\r\nHost: d\r\n"
                    + "Content-Type: application/json\r\nContent-Length: "
                    + execCreate.length()
                    + "\r\n\r\n"
                    + execCreate))
        .contains(FakeDaemon.EXEC_ID); // claimed as the caller's
    String exec = "{\"Detach\":false,\"Tty\":false}";
    String create = "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true}}";
    String answer =
        pipelined(
            "POST /exec/e0c/start HTTP/1.1\r\nHost: d\r\n"
                + "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + exec.length()
                + "\r\n\r\n"
                + exec
                + "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + create.length()
                + "\r\n\r\n"
                + create,
            2);
    assertThat(answer).startsWith("HTTP/1.1 200 OK").contains("HTTP/1.1 403");
    assertThat(daemon.received).noneMatch(r -> r.contains("Privileged\":true"));
  }

  @Test
  void expectContinue_bodyConsumedBeforeNextRequest() throws IOException {
    // PROTO-14: the declared body is read whole; the bytes after it are the next request
    String exec = "{\"Cmd\":[\"id\"]}";
    String answer =
        pipelined(
            "POST /containers/abc/exec HTTP/1.1\r\nHost: d\r\n"
                + "Expect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: "
                + exec.length()
                + "\r\n\r\n"
                + exec
                + "GET /nope HTTP/1.1\r\nHost: d\r\n\r\n",
            3);
    assertThat(answer)
        .startsWith("HTTP/1.1 100 Continue")
        .contains("HTTP/1.1 200 OK")
        .contains("HTTP/1.1 403");
  }

  @Test
  void nonJsonContentType_bodyStillJudged() throws IOException {
    // AUTHZ-03 / JSON-10: a JSON endpoint's body is judged whatever Content-Type says
    String body = "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true}}";
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                    + "Content-Type: text/plain\r\nContent-Length: "
                    + body.length()
                    + "\r\n\r\n"
                    + body))
        .startsWith("HTTP/1.1 403");
  }

  @Test
  void clientGoneMidStream_upstreamNotReusedWithPartialRequest() throws IOException {
    // PROTO-13: a half-sent streamed body never prefixes another client's request
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      c.write(
          ByteBuffer.wrap(
              ("PUT /containers/abc/archive?path=%2Ftmp HTTP/1.1\r\nHost: d\r\n"
                      + "Content-Length: 100000\r\n\r\nPOST /containers/create HTTP/1.1\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1)));
    }
    assertThat(exchange("GET /v1.51/containers/json HTTP/1.1\r\nHost: d\r\n\r\n"))
        .startsWith("HTTP/1.1 200 OK");
    assertThat(daemon.received)
        .filteredOn(r -> r.contains("containers/json"))
        .allMatch(r -> r.startsWith("GET /v1.51/containers/json"));
  }

  @Test
  void spaceBeforeColonAndSignedLength_badRequest() throws IOException {
    // PROTO-05, PROTO-08 variants
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\n"
                    + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
    assertThat(
            exchange(
                "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: +2\r\n" + "\r\n{}"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  void http2Preface_refused() throws IOException {
    // PROTO-11
    assertThat(exchange("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).doesNotContain("200 OK");
  }

  @Test
  void upgradeH2c_refused() throws IOException {
    // PROTO-12
    assertThat(
            exchange(
                "GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\n"
                    + "Upgrade: h2c\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  void absoluteFormTarget_badRequest() throws IOException {
    // PROTO-16
    assertThat(
            exchange(
                "POST http://docker/containers/create HTTP/1.1\r\nHost: d\r\n"
                    + "Content-Length: 2\r\n\r\n{}"))
        .startsWith("HTTP/1.1 400")
        .contains("origin-form");
  }

  @Test
  void formEncodedBody_badRequest() throws IOException {
    // dockerd would read form fields of a POST body as query parameters
    assertThat(
            exchange(
                "POST /images/create?fromImage=x HTTP/1.1\r\nHost: d\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\n\r\n"
                    + "fromSrc=http"))
        .startsWith("HTTP/1.1 400");
  }

  @Test
  void unknownRoute_forbiddenInDockerFormat() throws IOException {
    assertThat(exchange("GET /nope HTTP/1.1\r\nHost: d\r\n\r\n"))
        .startsWith("HTTP/1.1 403")
        .contains("{\"message\":\"berth: GET /nope is not an endpoint");
  }

  @Test
  void unknownRoute_keepAlive_nextPipelinedRequestAnswered() throws IOException {
    String answer =
        pipelined(
            "GET /nope HTTP/1.1\r\nHost: d\r\n\r\n" + "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n", 2);
    assertThat(answer).startsWith("HTTP/1.1 403").contains("HTTP/1.1 200 OK");
  }

  @Test
  void oversizeJsonBody_tooLarge() throws IOException {
    int size = BodyHandler.MAX_JSON_BODY + 10;
    String head =
        "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json"
            + "\r\nContent-Length: "
            + size
            + "\r\n\r\n";
    byte[] req = new byte[head.length() + size];
    System.arraycopy(head.getBytes(StandardCharsets.ISO_8859_1), 0, req, 0, head.length());
    assertThat(exchange(req)).startsWith("HTTP/1.1 413");
  }

  @Test
  void metrics_refusedToOrdinaryUsers() throws IOException {
    // the test caller is "alice" (role user): the counters of everyone's requests are not hers
    assertThat(exchange("GET /berth/metrics HTTP/1.1\r\nHost: d\r\n\r\n"))
        .startsWith("HTTP/1.1 403")
        .contains("metrics are for administrators");
    assertThat(daemon.received).noneMatch(r -> r.contains("/berth/metrics"));
  }

  @Test
  void refusedUpload_answeredThenRestOfBodyDrained_noBrokenPipe() throws Exception {
    // docker cp/load/plugin create: the client streams a body berth refuses at the head. Closing at
    // once made
    // the client's next write fail (EPIPE) and the user saw "broken pipe", not the reason.
    int total = 4 * 1024 * 1024;
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      c.write(
          ByteBuffer.wrap(
              ("POST /plugins/create?name=x HTTP/1.1\r\nHost: d\r\nContent-Type: "
                      + "application/x-tar\r\nContent-Length: "
                      + total
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1)));
      byte[] chunk = new byte[64 * 1024];
      for (int sent = 0; sent < total; sent += chunk.length) {
        c.write(ByteBuffer.wrap(chunk)); // throws IOException (broken pipe) if berth closed
      }
      assertThat(readToEnd(c)).startsWith("HTTP/1.1 403").contains("is not granted");
    }
    assertThat(daemon.received).noneMatch(r -> r.contains("/plugins/create"));
  }

  @Test
  void requestHeaders_onlyAllowlistedForwarded() throws IOException {
    int uid = TestCallers.currentUid();
    exchange(
        "GET /v1.51/containers/json?all=%31 HTTP/1.1\r\nHost: d\r\nX-Evil: 1\r\nUser-Agent: t\r\n"
            + "Connection: keep-alive, X-Evil\r\n\r\n");
    assertThat(daemon.heads)
        .filteredOn(h -> h.startsWith("GET /v1.51/containers/json"))
        .singleElement()
        .satisfies(
            h -> {
              // re-serialised, narrowed to the caller's containers
              assertThat(h)
                  .startsWith(
                      "GET /v1.51/containers/json?all=1&filters=%7B%22label%22%3A"
                          + "%7B%22dev.berth.owner.uid%3D"
                          + uid
                          + "%22%3Atrue%7D%7D HTTP/1.1");
              assertThat(h).contains("user-agent: t").doesNotContainIgnoringCase("x-evil");
            });
  }

  @Test
  void randomGarbage_neverCrashesOrLeaksThreads() throws IOException {
    Random random = new Random(7);
    int threadsBefore = Thread.activeCount();
    for (int i = 0; i < 200; i++) {
      byte[] junk = new byte[random.nextInt(2048)];
      random.nextBytes(junk);
      if (i % 2 == 0 && junk.length > 20) {
        byte[] start = "POST /containers/create HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(start, 0, junk, 0, Math.min(start.length, junk.length));
      }
      assertThat(exchange(junk)).doesNotContain("200 OK");
    }
    assertThat(exchange("GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n")).startsWith("HTTP/1.1 200 OK");
    assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore + 2);
  }

  /** Sends without half-closing; everything until berth closes, or null if it did not in 10 s. */
  private static String untilClosed(String request) throws IOException {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      c.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
      c.configureBlocking(false);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(8192);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline) {
        buf.clear();
        int n = c.read(buf);
        if (n < 0) {
          return out.toString(StandardCharsets.ISO_8859_1);
        }
        out.write(buf.array(), 0, n);
        if (n == 0) {
          Thread.onSpinWait();
        }
      }
      return null;
    }
  }

  @Test
  void eventStream_daemonGoesMidStream_clientGetsLastEventThenEndOfFile() throws IOException {
    // issue 18 item 1: docker events through berth ends as it does directly ("unexpected EOF")
    String answer = untilClosed("GET /v1.51/events HTTP/1.1\r\nHost: d\r\n\r\n");
    assertThat(answer)
        .as("berth kept the stream open after the daemon went")
        .isNotNull()
        .startsWith("HTTP/1.1 200 OK")
        .contains("{\"status\":\"start\"}")
        .doesNotContain("\r\n0\r\n\r\n"); // not a clean end of the chunked stream
  }

  @Test
  void pendingRequest_daemonGoesBeforeAnswering_badGatewayInDockerFormat() throws IOException {
    String answer =
        untilClosed(
            "POST /v1.51/containers/abc/wait HTTP/1.1\r\nHost: d\r\n"
                + "Content-Length: 0\r\n\r\n");
    assertThat(answer)
        .as("berth kept the request pending after the daemon went")
        .isNotNull()
        .startsWith("HTTP/1.1 502")
        .contains("{\"message\":\"berth: the Docker daemon closed");
  }
}
