package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.berth.audit.Anchor;
import dev.berth.audit.AuditFiles;
import dev.berth.audit.AuditVerifier;
import dev.berth.testing.FakeDockerd;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The audit trail of the real {@code berth serve}. It survives {@code kill -9} in the middle of a
 * load of state-changing requests: every request the daemon received has its allow record on disk,
 * the chain verifies across the files rotated during the load, the anchors berth wrote match it,
 * and a restarted berth continues the chain. And when rotation fails, changes are refused and
 * berth's log says why.
 *
 * <p>Needs no Docker daemon: a {@link FakeDockerd} stands in for it, so this runs in every build
 * that runs berth-it, whatever {@code BERTH_IT_DOCKER_HOST} says. It does need the {@code ./berth}
 * launcher's jar ({@code mvn package}), as every test of this module.
 */
class AuditTrailIT {
  private static final int CLIENTS = 8;

  /** Requests the daemon must have answered before the kill, so that the kill lands mid-load. */
  private static final int BEFORE_KILL = 1500;

  private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(60);

  private Path dir;
  private FakeDockerd upstream;

  @BeforeEach
  void fakeDaemon() throws IOException {
    dir = Files.createTempDirectory(Path.of("/tmp"), "bcrash-");
    upstream = new FakeDockerd(dir.resolve("up.sock"));
  }

  @AfterEach
  void stopFakeDaemon() throws IOException {
    upstream.close();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(dir);
  }

  @Test
  void killNine_underLoad_everyChangeTheDaemonReceivedIsRecorded() throws Exception {
    Path anchors = dir.resolve("anchors.log");
    try (BerthServer berth =
        BerthServer.start(
            upstream.url(),
            List.of(
                "--audit-max-size",
                "64k",
                "--audit-anchors",
                anchors.toString(),
                "--audit-anchor-interval",
                "100ms"))) {
      Load load = new Load(berth.socket());
      load.awaitAnswered(BEFORE_KILL, berth);
      berth.kill();
      load.join();
      Set<String> received = upstream.received();

      assertThat(load.unexpected).as("answers other than 204 before the kill").isEmpty();
      assertThat(received)
          .as("requests the daemon received")
          .hasSizeGreaterThanOrEqualTo(BEFORE_KILL);
      List<Path> files = AuditFiles.inChainOrder(List.of(berth.dir()));
      assertThat(files).as("the load rotated the trail").hasSizeGreaterThan(2);
      AuditVerifier.Result chain = AuditVerifier.verify(files, anchors(anchors));
      assertThat(chain.ok()).as(chain.problem() + " " + chain.anchors()).isTrue();
      assertThat(chain.fromGenesis()).isTrue();
      assertThat(chain.anchors()).as("anchors written before the kill").isNotEmpty();
      Set<String> allowed = allowedPaths(files);
      assertThat(new HashSet<>(received))
          .as("forwarded without an allow record on disk")
          .isSubsetOf(allowed);

      // berth starts again on the trail a crash left behind, and continues the chain
      berth.restart();
      assertThat(post(berth.socket(), "/containers/after-restart/stop")).isEqualTo(204);
      berth.stop();
      AuditVerifier.Result after = AuditVerifier.verify(List.of(berth.dir()), anchors(anchors));
      assertThat(after.ok()).as(after.problem() + " " + after.anchors()).isTrue();
      assertThat(after.headSeq()).isGreaterThan(chain.headSeq());
      assertThat(allowedPaths(AuditFiles.inChainOrder(List.of(berth.dir()))))
          .contains("/containers/after-restart/stop");
    }
  }

  @Test
  void rotationFails_changesRefusedAndLogged_thenResumed() throws Exception {
    try (BerthServer berth =
        BerthServer.start(
            upstream.url(), List.of("--audit-max-size", "1", "--audit-anchors", "none"))) {
      assertThat(post(berth.socket(), "/containers/first/stop")).isEqualTo(204);
      // every batch rotates (--audit-max-size 1): once the result of that request (seq 2) is in
      // the active file, the next record will rotate it to the name its first record gives it
      JsonNode result = awaitFirstRecord(berth.auditLog(), 2);
      Path obstacle =
          berth
              .dir()
              .resolve(
                  "audit-"
                      + DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'")
                          .withZone(ZoneOffset.UTC)
                          .format(Instant.parse(result.path("time").asText()))
                      + "-2.jsonl");
      Files.writeString(obstacle, "not berth's\n");

      assertThat(post(berth.socket(), "/containers/refused/stop")).isEqualTo(503);
      assertThat(upstream.received()).doesNotContain("/containers/refused/stop");
      assertThat(berth.logs())
          .contains(
              "audit record not written; request refused",
              "cannot rotate the audit trail",
              obstacle.getFileName().toString());

      Files.delete(obstacle);
      assertThat(post(berth.socket(), "/containers/resumed/stop")).isEqualTo(204);
      berth.stop();
      AuditVerifier.Result r = AuditVerifier.verify(List.of(berth.dir()), List.of());
      assertThat(r.ok()).as(r.problem()).isTrue();
      assertThat(allowedPaths(AuditFiles.inChainOrder(List.of(berth.dir()))))
          .contains("/containers/first/stop", "/containers/resumed/stop");
    }
  }

  /** One {@code POST} on a connection of its own; the status. */
  static int post(Path socket, String path) throws IOException {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      return Load.exchange(c, new BufferedInputStream(Channels.newInputStream(c)), path);
    }
  }

  /** Waits until the first record of {@code file} has sequence number {@code seq}. */
  private static JsonNode awaitFirstRecord(Path file, long seq) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      List<String> lines;
      try {
        lines = AuditFiles.records(file);
      } catch (NoSuchFileException e) {
        lines = List.of(); // between a rotation's rename and the new file: look again
      }
      if (!lines.isEmpty()) {
        JsonNode first = JsonMapper.builder().build().readTree(lines.getFirst());
        if (first.path("seq").asLong() == seq) {
          return first;
        }
      }
      Thread.sleep(10);
    }
    throw new AssertionError("record " + seq + " did not start " + file);
  }

  private static List<Anchor> anchors(Path file) throws IOException {
    return Files.readAllLines(file).stream().map(l -> Anchor.parse(l).orElseThrow()).toList();
  }

  /** The paths of every allow record in the trail. */
  private static Set<String> allowedPaths(List<Path> files) throws IOException {
    var json = JsonMapper.builder().build();
    Set<String> paths = new HashSet<>();
    for (Path f : files) {
      for (String line : AuditFiles.records(f)) {
        JsonNode n = json.readTree(line);
        if (n.path("decision").asText().equals("allow")) {
          paths.add(n.path("path").asText());
        }
      }
    }
    return paths;
  }

  /** Clients that POST {@code /containers/c<N>/stop} with unique N until berth goes away. */
  private static final class Load {
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger answered = new AtomicInteger();
    final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Thread> clients = new ArrayList<>();

    Load(Path socket) {
      for (int i = 0; i < CLIENTS; i++) {
        clients.add(Thread.ofPlatform().name("load-" + i).start(() -> run(socket)));
      }
    }

    private void run(Path socket) {
      try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        c.connect(UnixDomainSocketAddress.of(socket));
        InputStream in = new BufferedInputStream(Channels.newInputStream(c));
        while (!stop.get()) {
          String path = "/containers/c" + next.incrementAndGet() + "/stop";
          int status = exchange(c, in, path);
          if (status < 0) {
            return; // berth is gone
          }
          if (status != 204) {
            unexpected.add(path + ": " + status);
          }
          answered.incrementAndGet();
        }
      } catch (IOException e) {
        // berth was killed mid-exchange
      }
    }

    /** One keep-alive request; the status, or -1 when the connection ended. */
    private static int exchange(SocketChannel c, InputStream in, String path) throws IOException {
      ByteBuffer request =
          ByteBuffer.wrap(
              ("POST " + path + " HTTP/1.1\r\nHost: docker\r\n" + "Content-Length: 0\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      while (request.hasRemaining()) {
        c.write(request);
      }
      String head = FakeDockerd.readHead(in);
      if (head == null) {
        return -1;
      }
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          in.skipNBytes(Long.parseLong(line.substring(15).strip()));
        }
      }
      return Integer.parseInt(head.substring(9, 12));
    }

    void awaitAnswered(int count, BerthServer berth) throws InterruptedException {
      long deadline = System.nanoTime() + LOAD_TIMEOUT.toNanos();
      while (answered.get() < count) {
        if (System.nanoTime() > deadline
            || !berth.isAlive()
            || clients.stream().noneMatch(Thread::isAlive)) {
          stop.set(true);
          throw new AssertionError(
              "only "
                  + answered.get()
                  + " of "
                  + count
                  + " requests "
                  + "answered within "
                  + LOAD_TIMEOUT.toSeconds()
                  + " s; unexpected answers: "
                  + unexpected
                  + "\n"
                  + berth.logs());
        }
        Thread.sleep(5);
      }
    }

    void join() throws InterruptedException {
      for (Thread t : clients) {
        t.join(Duration.ofSeconds(20));
      }
      stop.set(true);
    }
  }
}
