package dev.berth.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Anchors of the chain head: when they are written, and what verifying against them finds. */
class AuditAnchorTest {
  private static final Instant T0 = Instant.parse("2026-11-24T22:44:45Z");
  private static final String HASH = "ab".repeat(32);

  @TempDir Path dir;
  final TestClock clock = new TestClock(T0);
  final List<String> problems = new CopyOnWriteArrayList<>();

  private Path active() {
    return dir.resolve("audit.jsonl");
  }

  private Path anchorFile() {
    return dir.resolve("anchors.log");
  }

  private AuditLog open(AnchorSink sink, long maxBytes, Duration interval) throws IOException {
    return AuditLog.open(
        active(),
        AuditLog.Options.defaults()
            .withClock(clock)
            .withRotation(maxBytes, Duration.ofDays(1))
            .withAnchors(sink, interval, problems::add));
  }

  private static void append(AuditLog log, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      log.append(AuditLogTest.event("alice", "/c/" + i)).get();
    }
  }

  private List<Anchor> anchors() throws IOException {
    return Files.readAllLines(anchorFile()).stream()
        .map(l -> Anchor.parse(l).orElseThrow())
        .toList();
  }

  /** Writes a trail of {@code n} records with an anchor of its head, and returns the anchors. */
  private List<Anchor> trailWithAnchors(int n) throws Exception {
    try (AuditLog log = open(new FileAnchorSink(anchorFile()), 1L << 30, Duration.ofHours(1))) {
      append(log, n);
    }
    return anchors();
  }

  private AuditVerifier.Result verify(List<Anchor> anchors) throws IOException {
    return AuditVerifier.verify(List.of(active()), anchors);
  }

  @Test
  void anchors_onCloseAndOnRotation_matchTheTrail() throws Exception {
    try (AuditLog log = open(new FileAnchorSink(anchorFile()), 1, Duration.ofHours(1))) {
      append(log, 3);
    }
    List<Anchor> anchors = anchors();
    assertThat(Files.readAllLines(anchorFile()))
        .allSatisfy(
            l ->
                assertThat(l)
                    .startsWith("berth-audit anchor seq=")
                    .contains(" time=2026-11-24T22:44:45Z"));
    // rotation anchors name the rotated file that now holds the head; close names the head
    assertThat(anchors)
        .extracting(a -> a.seq() + " " + a.file())
        .contains("1 audit-20261124T224445Z-1.jsonl", "2 audit-20261124T224445Z-2.jsonl");
    assertThat(anchors.getLast().seq()).isEqualTo(3);
    assertThat(anchors.getLast().file()).isEqualTo("audit.jsonl");
    AuditVerifier.Result r = AuditVerifier.verify(List.of(dir), anchors);
    assertThat(r.ok()).isTrue();
    assertThat(r.anchors())
        .isNotEmpty()
        .allSatisfy(c -> assertThat(c.status()).isEqualTo(AuditVerifier.AnchorStatus.MATCHES));
    assertThat(problems).isEmpty();
  }

  @Test
  void anchors_periodic_onlyWhenTheHeadChanged() throws Exception {
    try (AuditLog log = open(new FileAnchorSink(anchorFile()), 1L << 30, Duration.ofMillis(20))) {
      append(log, 2);
      awaitAnchorOf(2);
      Thread.sleep(300); // about 15 intervals without a new record
      assertThat(anchors()).extracting(Anchor::seq).containsOnlyOnce(2L);
      append(log, 1);
      awaitAnchorOf(3);
    }
    assertThat(anchors()).extracting(Anchor::seq).doesNotHaveDuplicates().contains(2L, 3L);
  }

  private void awaitAnchorOf(long seq) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (anchors().stream().noneMatch(a -> a.seq() == seq)) {
      assertThat(System.nanoTime()).as("an anchor of seq " + seq).isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void anchors_onStart_anchorTheHeadFound() throws Exception {
    try (AuditLog log = AuditLog.open(active())) {
      append(log, 4);
    }
    try (AuditLog log = open(new FileAnchorSink(anchorFile()), 1L << 30, Duration.ofHours(1))) {
      awaitAnchorOf(4);
    }
    assertThat(anchors()).hasSize(1);
  }

  @Test
  void anchors_sinkFails_reportedAndRecordsStillWritten() throws Exception {
    AnchorSink broken =
        anchor -> {
          throw new IOException("syslog is gone");
        };
    try (AuditLog log = open(broken, 1L << 30, Duration.ofHours(1))) {
      append(log, 2);
    }
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("syslog is gone"));
    assertThat(AuditVerifier.verify(active()).records()).isEqualTo(2);
  }

  @Test
  void anchors_fileNameWithBlanks_stillOneParsableLine() throws Exception {
    Path odd = dir.resolve("audit trail.jsonl");
    try (AuditLog log =
        AuditLog.open(
            odd,
            AuditLog.Options.defaults()
                .withClock(clock)
                .withAnchors(
                    new FileAnchorSink(anchorFile()), Duration.ofHours(1), problems::add))) {
      append(log, 1);
    }
    assertThat(problems).isEmpty();
    assertThat(anchors()).singleElement().extracting(Anchor::file).isEqualTo("audit_trail.jsonl");
    assertThat(AuditVerifier.verify(List.of(odd), anchors()).ok()).isTrue();
  }

  @Test
  void verify_truncatedTail_detectedAgainstAnAnchor() throws Exception {
    List<Anchor> anchors = trailWithAnchors(10);
    List<String> lines = Files.readAllLines(active());
    Files.write(active(), lines.subList(0, 7));
    AuditVerifier.Result r = verify(anchors);
    assertThat(r.chainOk()).as("a cut-off tail leaves a valid chain").isTrue();
    assertThat(r.ok()).isFalse();
    AuditVerifier.AnchorCheck check = r.anchors().getLast();
    assertThat(check.anchor().seq()).isEqualTo(10);
    assertThat(check.status()).isEqualTo(AuditVerifier.AnchorStatus.CUT_OFF);
    assertThat(check.detail()).contains("ends at seq 7", "records 8 to 10 were cut off");
  }

  @Test
  void verify_rewrittenAndRehashedTail_detectedAgainstAnAnchor() throws Exception {
    List<Anchor> anchors = trailWithAnchors(10);
    List<String> lines = new ArrayList<>(Files.readAllLines(active()));
    // the attacker changes record 8 and recomputes every link after it
    lines.set(7, lines.get(7).replace("alice", "mallory"));
    rehashFrom(lines, 8);
    Files.write(active(), lines);
    AuditVerifier.Result r = verify(anchors);
    assertThat(r.chainOk()).as("the rewritten chain links up").isTrue();
    assertThat(r.ok()).isFalse();
    AuditVerifier.AnchorCheck check = r.anchors().getLast();
    assertThat(check.status()).isEqualTo(AuditVerifier.AnchorStatus.REWRITTEN);
    assertThat(check.detail()).contains("rewritten at or before seq 10");
  }

  @Test
  void verify_cutAndExtendedTail_detectedAgainstAnAnchor() throws Exception {
    List<Anchor> anchors = trailWithAnchors(5);
    List<String> lines = new ArrayList<>(Files.readAllLines(active()));
    // cut at 3, then forge records 4 to 6 that link up
    List<String> forged = new ArrayList<>(lines.subList(0, 3));
    for (int i = 3; i < 6; i++) {
      forged.add(lines.get(2).replace("\"seq\":3,", "\"seq\":" + (i + 1) + ","));
    }
    rehashFrom(forged, 3);
    Files.write(active(), forged);
    AuditVerifier.Result r = verify(anchors);
    assertThat(r.chainOk()).isTrue();
    assertThat(r.anchors().getLast().status()).isEqualTo(AuditVerifier.AnchorStatus.REWRITTEN);
  }

  @Test
  void verify_anchorBeforeTheFilesGiven_notAFailure() throws Exception {
    try (AuditLog log = open(new FileAnchorSink(anchorFile()), 1, Duration.ofHours(1))) {
      append(log, 3);
    }
    AuditVerifier.Result r = verify(anchors());
    assertThat(r.ok()).isTrue();
    assertThat(r.anchors())
        .extracting(AuditVerifier.AnchorCheck::status)
        .contains(AuditVerifier.AnchorStatus.BEFORE_START, AuditVerifier.AnchorStatus.MATCHES);
  }

  @Test
  void verify_brokenChain_laterAnchorsUnchecked() throws Exception {
    List<Anchor> anchors = trailWithAnchors(4);
    List<String> lines = new ArrayList<>(Files.readAllLines(active()));
    lines.remove(1);
    Files.write(active(), lines);
    AuditVerifier.Result r = verify(anchors);
    assertThat(r.chainOk()).isFalse();
    assertThat(r.anchors().getLast().status()).isEqualTo(AuditVerifier.AnchorStatus.UNCHECKED);
  }

  @Test
  void parse_journaldAndSyslogAndFileLines() {
    String anchor = "anchor seq=12 hash=" + HASH + " file=audit.jsonl time=2026-11-24T22:44:45Z";
    Anchor expected = new Anchor(12, HASH, "audit.jsonl", T0);
    assertThat(Anchor.parse(anchor)).contains(expected);
    assertThat(Anchor.parse("Nov 24 22:44:45 host berth-audit[42]: " + anchor)).contains(expected);
    assertThat(Anchor.parse("berth-audit " + anchor)).contains(expected);
    assertThat(expected.line()).isEqualTo(anchor);
  }

  @Test
  void parse_malformedAnchor_emptyButAnchorLike() {
    String bad = "berth-audit anchor seq=12 hash=nothex file=audit.jsonl time=2026-11-24T22:44:45Z";
    assertThat(Anchor.parse(bad)).isEmpty();
    assertThat(Anchor.isAnchorLike(bad)).isTrue();
    assertThat(Anchor.parse("sshd[1]: Accepted publickey for alice")).isEmpty();
  }

  /** Recomputes the prev of every line from index {@code from} on, as a forger would. */
  private static void rehashFrom(List<String> lines, int from) throws IOException {
    var json = JsonMapper.builder().build();
    for (int i = from; i < lines.size(); i++) {
      ObjectNode n = (ObjectNode) json.readTree(lines.get(i));
      n.put("prev", AuditChain.hash(lines.get(i - 1).getBytes(StandardCharsets.UTF_8)));
      lines.set(i, json.writeValueAsString(n));
    }
  }
}
