package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditEntry;
import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditFiles;
import dev.berth.pki.CertificateAuthority;
import dev.berth.pki.CertificateBundle;
import dev.berth.pki.FileOwner;
import dev.berth.pki.SubjectAltName;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 (fleet): the audit trail and its anchors reach a real rsyslog over TLS (RFC 5425), and
 * the collector's copy is a trail that {@code berth audit verify} checks.
 *
 * <p>One berth in front of the real daemon forwards to one rsyslog; both use certificates made here
 * with berth's own CA (a server certificate for the collector, a client certificate for berth,
 * which rsyslog requires). The policy changes once while berth runs, so the collected records carry
 * two policy digests. A second berth starts while its collector is down.
 */
class AuditForwardIT {
  private static Path dir;
  private static Path ca;
  private static Path collectorCert;
  private static Path collectorKey;
  private static Path client;
  private static Path policyFile;
  private static String digest1;
  private static String digest2;
  private static List<String> trail;
  private static Path collected;
  private static Path collectedAnchors;

  @BeforeAll
  static void forwardATrail() throws Exception {
    ItEnvironment.require();
    dir = Files.createTempDirectory(Path.of("/tmp"), "bfwd-");
    CertificateAuthority pki =
        CertificateAuthority.create(dir.resolve("pki"), Duration.ofDays(1), Clock.systemUTC());
    ca = pki.directory().resolve(CertificateAuthority.CA_CERT);
    CertificateBundle server =
        pki.issueServer(
            "collector", List.of(SubjectAltName.parse("IP:127.0.0.1")), Duration.ofDays(1));
    pki.writeServerFiles(server, "collector", pki.directory());
    collectorCert = pki.directory().resolve("collector-cert.pem");
    collectorKey = pki.directory().resolve("collector-key.pem");
    client = dir.resolve("client");
    CertificateAuthority.writeUserFiles(
        pki.issueUser("berth-host", Duration.ofDays(1)), client, new FileOwner("root", 0, 0));

    policyFile = dir.resolve("policy.yaml");
    String v1 = PolicyDefaults.text();
    String v2 = v1 + "\n# version 2, as configuration management would roll it out\n";
    digest1 = sha256(v1);
    digest2 = sha256(v2);
    Files.writeString(policyFile, v1, StandardCharsets.UTF_8);

    try (Rsyslog collector =
        Rsyslog.start(
            dir.resolve("collector"), Rsyslog.freePort(), ca, collectorCert, collectorKey)) {
      BerthServer berth =
          BerthServer.start(
              ItEnvironment.upstreamUrl(),
              forwardOptions(collector.port(), "--policy", policyFile.toString()));
      try {
        for (int i = 0; i < 3; i++) {
          AuditTrailIT.post(
              berth.socket(), "/containers/" + ItEnvironment.uniqueName("fwd") + "/stop");
        }
        Files.writeString(policyFile, v2, StandardCharsets.UTF_8);
        Proc.Result hup = Proc.run(List.of("kill", "-HUP", Long.toString(berth.pid())));
        assertThat(hup.exitCode()).as(hup.describe()).isZero();
        awaitDigest(berth, digest2);
        for (int i = 0; i < 3; i++) {
          AuditTrailIT.post(
              berth.socket(), "/containers/" + ItEnvironment.uniqueName("fwd") + "/stop");
        }
        berth.stop(); // the final anchor, then the forwarder drains
        trail = AuditFiles.records(berth.auditLog());
        assertThat(collector.awaitRecords(trail, Duration.ofSeconds(20)))
            .as("the collector's copy of " + berth.auditLog())
            .isEqualTo(trail);
        collected = collector.records();
        collectedAnchors = collector.anchors();
      } finally {
        berth.close();
      }
    }
  }

  @AfterAll
  static void removeDir() throws IOException {
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static List<String> forwardOptions(int port, String... more) {
    List<String> options =
        new ArrayList<>(
            List.of(
                "--audit-forward",
                "syslog+tls://127.0.0.1:" + port,
                "--audit-forward-ca",
                ca.toString(),
                "--audit-forward-cert",
                client.resolve("cert.pem").toString(),
                "--audit-forward-key",
                client.resolve("key.pem").toString(),
                "--audit-anchors",
                "none",
                "--audit-anchor-interval",
                "100ms"));
    options.addAll(List.of(more));
    return options;
  }

  @Test
  void forward_rsyslogOverTls_collectedCopyVerifiesWithItsAnchors() throws Exception {
    assertThat(trail).hasSizeGreaterThanOrEqualTo(6);
    Proc.Result verify = verify(collected.toString());
    assertThat(verify.exitCode()).as(verify.describe()).isZero();
    assertThat(verify.stdout()).contains(collected + ": ok, " + trail.size() + " records");

    List<String> anchors = Rsyslog.lines(collectedAnchors);
    assertThat(anchors).isNotEmpty().allMatch(l -> l.startsWith("anchor seq="));
    assertThat(anchors.getLast()).contains("anchor seq=" + trail.size() + " ");
    Proc.Result both = verify("--anchors", collectedAnchors.toString(), collected.toString());
    assertThat(both.exitCode()).as(both.describe()).isZero();
    assertThat(both.stdout())
        .contains("anchors: " + anchors.size() + " given: " + anchors.size() + " match");
    Path local = dir.resolve("local.jsonl"); // berth's own trail, checked against the anchors
    Files.write(local, trail, StandardCharsets.UTF_8);
    Proc.Result own = verify("--anchors", collectedAnchors.toString(), local.toString());
    assertThat(own.exitCode()).as(own.describe()).isZero();
  }

  @Test
  void collectedCopy_recordDropped_verifyNamesTheGap() throws Exception {
    List<String> lines = new ArrayList<>(Rsyslog.lines(collected));
    lines.remove(2);
    Path dropped = dir.resolve("dropped.jsonl");
    Files.write(dropped, lines, StandardCharsets.UTF_8);
    Proc.Result verify = verify(dropped.toString());
    assertThat(verify.exitCode()).as(verify.describe()).isEqualTo(1);
    assertThat(verify.stderr()).contains(dropped + ":3: sequence 4 where 3 was expected");
  }

  @Test
  void collectedCopy_recordAltered_verifyNamesTheRecordAfterIt() throws Exception {
    List<String> lines = new ArrayList<>(Rsyslog.lines(collected));
    String original = lines.get(1);
    String altered = original.replaceFirst("\"time\":\"2", "\"time\":\"3");
    assertThat(altered).isNotEqualTo(original);
    lines.set(1, altered);
    Path changed = dir.resolve("altered.jsonl");
    Files.write(changed, lines, StandardCharsets.UTF_8);
    Proc.Result verify = verify(changed.toString());
    assertThat(verify.exitCode()).as(verify.describe()).isEqualTo(1);
    assertThat(verify.stderr()).contains(changed + ":3: its prev does not match");
  }

  @Test
  void policyDigest_twoPolicyVersions_twoDigestsInTheCollectedRecords() throws Exception {
    Set<String> digests = new LinkedHashSet<>();
    for (String line : Rsyslog.lines(collected)) {
      if (AuditEntry.parse(line).record() instanceof AuditEvent e) {
        digests.add(e.policyDigest()); // in order of first appearance
      }
    }
    assertThat(digests).containsExactly(digest1, digest2);
  }

  @Test
  void collectorDown_requestsAnsweredAndCounted_thenRecordsArriveOnReconnect() throws Exception {
    int port = Rsyslog.freePort();
    BerthServer berth = BerthServer.start(ItEnvironment.upstreamUrl(), forwardOptions(port));
    try {
      for (int i = 0; i < 3; i++) {
        assertThat(
                AuditTrailIT.post(
                    berth.socket(), "/containers/" + ItEnvironment.uniqueName("down") + "/stop"))
            .isBetween(200, 499);
      }
      String metrics = awaitMetric(berth, "berth_audit_forward_failures_total [1-9]");
      assertThat(metrics)
          .contains("berth_audit_forward_connected 0")
          .contains("berth_audit_forward_dropped_total 0");
      assertThat(Files.readString(berth.dir().resolve("stderr.log")))
          .contains("audit forward")
          .contains("cannot send to syslog+tls://127.0.0.1:" + port);
      try (Rsyslog collector =
          Rsyslog.start(dir.resolve("late"), port, ca, collectorCert, collectorKey)) {
        AuditTrailIT.post(
            berth.socket(), "/containers/" + ItEnvironment.uniqueName("up") + "/stop");
        awaitMetric(berth, "berth_audit_forward_connected 1");
        berth.stop();
        List<String> local = AuditFiles.records(berth.auditLog());
        assertThat(collector.awaitRecords(local, Duration.ofSeconds(20))).isEqualTo(local);
        Proc.Result verify = verify(collector.records().toString());
        assertThat(verify.exitCode()).as(verify.describe()).isZero();
      }
    } finally {
      berth.close();
    }
  }

  private static Proc.Result verify(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(ItEnvironment.repoRoot().resolve("berth").toString(), "audit", "verify"));
    command.addAll(List.of(args));
    return Proc.run(command, null, Duration.ofSeconds(60));
  }

  /**
   * Waits until berth's metrics (root is an administrator) match {@code regex} (a line of them);
   * returns them.
   */
  private static String awaitMetric(BerthServer berth, String regex) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String text = "";
    while (System.nanoTime() < deadline) {
      Proc.Result r =
          Proc.run(
              List.of(
                  "curl",
                  "-sS",
                  "--unix-socket",
                  berth.socket().toString(),
                  "http://berth/berth/metrics"),
              null,
              Duration.ofSeconds(30));
      assertThat(r.exitCode()).as(r.describe()).isZero();
      text = r.stdout();
      if (text.lines().anyMatch(l -> l.matches(regex))) {
        return text;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no metric line matches " + regex + ":\n" + text);
  }

  /** Waits until berth decides with the policy of {@code digest} (after a reload). */
  private static void awaitDigest(BerthServer berth, String digest) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      AuditTrailIT.post(
          berth.socket(), "/containers/" + ItEnvironment.uniqueName("reload") + "/stop");
      Thread.sleep(100);
      List<String> lines = AuditFiles.records(berth.auditLog());
      for (String line : lines.reversed()) {
        if (AuditEntry.parse(line).record() instanceof AuditEvent e) {
          if (e.policyDigest().equals(digest)) {
            return;
          }
          break;
        }
      }
    }
    throw new AssertionError(
        "berth did not reload the policy (digest " + digest + ")\n" + berth.logs());
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
