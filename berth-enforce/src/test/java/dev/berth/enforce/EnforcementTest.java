package dev.berth.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerObject;
import dev.berth.policy.DockerfileVerdict;
import dev.berth.policy.Effect;
import dev.berth.policy.HostPaths;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Owner;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyLoader;
import dev.berth.testing.EmptyObjects;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The enforcement core: one snapshot, the record before anything acts, every refusal typed. */
class EnforcementTest {
  private static final Principal ALICE =
      new Principal(
          1000, 1000, 77, "alice", "/home/alice", List.of(1000), 1000, "CN=alice,O=berth");
  private static final Owner ALICES = new Owner(1000, -1);

  private Path dir;
  private AuditLog audit;
  private OwnerStore owners;
  private final List<String> volumesCreated = new CopyOnWriteArrayList<>();

  /** What the audit file held when the daemon was asked to create a volume. */
  private final List<String> trailAtEffect = new ArrayList<>();

  private Optional<Owner> volumeOwner = Optional.of(ALICES);

  /** What a look at the caller's network shows: there with its labels, absent, or no answer. */
  private Optional<Boolean> networkThere = Optional.of(false);

  private final List<String> networksEnsured = new CopyOnWriteArrayList<>();

  /** What the audit file held when the daemon was asked to ensure a network. */
  private final List<String> trailAtNetwork = new CopyOnWriteArrayList<>();

  private final AtomicInteger engineReads = new AtomicInteger();
  private PolicyEngine engine;

  /** The pulls berth made for a build ({@code fromImage tag}), and the trail at each. */
  private final List<String> pulls = new CopyOnWriteArrayList<>();

  private final List<String> trailAtPull = new CopyOnWriteArrayList<>();
  private Enforcer core;

  private final ObjectDirectory objects =
      new EmptyObjects() {
        @Override
        public DockerObject ensureVolume(String name, Owner owner) {
          try {
            trailAtEffect.add(Files.readString(dir.resolve("audit.jsonl")));
          } catch (IOException e) {
            throw new AssertionError(e);
          }
          volumesCreated.add(name);
          return DockerObject.of(name, name, volumeOwner);
        }

        @Override
        public Optional<DockerObject> image(String ref) {
          return pulls.contains("registry.site.edu/lab/base 1")
                  && ref.equals("registry.site.edu/lab/base:1")
              ? Optional.of(
                  new DockerObject(
                      PULLED,
                      "",
                      Optional.empty(),
                      Map.of(ref, Optional.empty()),
                      List.of("registry.site.edu/lab/base@sha256:" + "d".repeat(64))))
              : Optional.empty();
        }

        @Override
        public List<String> imageOnBuild(String id) {
          return List.of();
        }

        @Override
        public Optional<String> pullImage(String fromImage, String tag, String registryAuth) {
          try {
            trailAtPull.add(Files.readString(dir.resolve("audit.jsonl")));
          } catch (IOException e) {
            throw new AssertionError(e);
          }
          pulls.add(fromImage + " " + tag);
          return Optional.empty();
        }

        @Override
        public boolean hasNetwork(String name, Map<String, String> labels) throws LookupException {
          return networkThere.orElseThrow(() -> new LookupException("no answer"));
        }

        @Override
        public DockerObject ensureNetwork(String name, Map<String, String> labels) {
          try {
            trailAtNetwork.add(Files.readString(dir.resolve("audit.jsonl")));
          } catch (IOException e) {
            throw new AssertionError(e);
          }
          networksEnsured.add(name);
          return DockerObject.of(name, name, Optional.empty());
        }
      };

  @BeforeEach
  void start() throws IOException {
    dir = Files.createTempDirectory("berth-enforce-test");
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    owners = OwnerStore.open(dir.resolve("state"));
    engine = new PolicyEngine(PolicyDefaults.policy(), HostPaths.local());
    core =
        new Enforcer(
            () -> {
              engineReads.incrementAndGet();
              return this.engine;
            },
            audit,
            objects,
            owners,
            Runnable::run,
            Enforcer.Observer.NONE);
  }

  @AfterEach
  void stop() throws IOException {
    owners.close();
    audit.close();
  }

  private static final String PULLED = "sha256:" + "5".repeat(64);

  private static final String IMAGE_RULES =
      """
      roles:
        user:
          actions: [image_build, image_create]
          images:
            - {rule: site, repos: ["registry.site.edu/*"]}
            - {rule: runonly, repos: ["quay.io/tools/*"], for: [pull, run]}
      bindings:
        - {role: user, users: ["*"]}
      """;

  private DockerfileVerdict classicBuild(String dockerfile) throws Exception {
    engine =
        new PolicyEngine(
            PolicyLoader.load(IMAGE_RULES, "t.yaml", g -> Optional.empty()), HostPaths.local());
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("POST", "/v1.51/build");
    return e.judgeDockerfile(dockerfile.getBytes(StandardCharsets.UTF_8), "", false, "")
        .get(10, TimeUnit.SECONDS);
  }

  /** The audit trail once it holds {@code text} (a refusal's record follows its answer). */
  private String trailWith(String text) throws Exception {
    for (int i = 0; i < 200; i++) {
      String trail = Files.readString(dir.resolve("audit.jsonl"));
      if (trail.contains(text)) {
        return trail;
      }
      Thread.sleep(50);
    }
    return Files.readString(dir.resolve("audit.jsonl"));
  }

  @Test
  void classicBuild_baseOnlyForPullAndRun_refusedRecordedAndNeverPulled() throws Exception {
    DockerfileVerdict v = classicBuild("FROM quay.io/tools/x:1\n");
    assertThat(v).isInstanceOf(DockerfileVerdict.Refused.class);
    assertThat(pulls).isEmpty();
    assertThat(trailWith("image_policy"))
        .contains("\"image_policy\"")
        .contains("no image rule of role user allows building from quay.io/tools/x:1");
  }

  @Test
  void classicBuild_allowedBase_pulledOnlyAfterTheRecordNamingTheRule() throws Exception {
    DockerfileVerdict v = classicBuild("FROM registry.site.edu/lab/base:1\nRUN true\n");
    assertThat(v).isInstanceOf(DockerfileVerdict.Forward.class);
    assertThat(pulls).containsExactly("registry.site.edu/lab/base 1");
    assertThat(trailAtPull)
        .singleElement()
        .asString()
        .contains("image rule \\\"site\\\" allows building from registry.site.edu/lab/base:1");
    assertThat(((DockerfileVerdict.Forward) v).judged())
        .anyMatch(n -> n.contains("image rule \"site\"") && n.contains("it came from"));
  }

  private static Decision.Allow allowWithVolume() throws Exception {
    CanonicalRequest req = CanonicalRequest.parse("POST", "/v1.51/containers/create");
    return new Decision.Allow(
        "test",
        req,
        List.of(),
        Decision.FollowUp.NONE,
        List.of(new Effect.EnsureVolume("data", ALICES)));
  }

  @Test
  void oneRequest_readsThePolicyOnce() {
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("GET", "/v1.51/containers/json");
    e.decide(null);
    e.commit(e.decide(null)).join();
    assertThat(engineReads).hasValue(1);
  }

  @Test
  void effect_performedOnlyOnceTheDecisionIsOnDisk() throws Exception {
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("POST", "/v1.51/containers/create");
    Decision out = e.commit(allowWithVolume()).get(10, TimeUnit.SECONDS);
    assertThat(out).isInstanceOf(Decision.Allow.class);
    assertThat(volumesCreated).containsExactly("data");
    assertThat(trailAtEffect)
        .singleElement()
        .asString()
        .contains("\"decisionId\":\"" + e.id() + "\"");
  }

  private static Decision.Allow allowWithNetwork() throws Exception {
    CanonicalRequest req = CanonicalRequest.parse("POST", "/v1.51/containers/create");
    return new Decision.Allow(
        "test",
        req,
        List.of(),
        Decision.FollowUp.NONE,
        List.of(new Effect.EnsureNetwork("u1000_bridge", Map.of("dev.berth.owner.uid", "1000"))));
  }

  @Test
  void network_foundInPlaceWhileTheRecordWasWritten_notEnsuredAgain() throws Exception {
    networkThere = Optional.of(true);
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("POST", "/v1.51/containers/create");
    Decision out = e.commit(allowWithNetwork()).get(10, TimeUnit.SECONDS);
    assertThat(out).isInstanceOf(Decision.Allow.class);
    assertThat(networksEnsured).isEmpty();
    assertThat(Files.readString(dir.resolve("audit.jsonl")))
        .contains("\"decisionId\":\"" + e.id() + "\"");
  }

  @Test
  void network_absentOrNoAnswerToTheLook_ensuredOnlyOnceTheDecisionIsOnDisk() throws Exception {
    for (Optional<Boolean> look : List.of(Optional.of(false), Optional.<Boolean>empty())) {
      networkThere = look;
      networksEnsured.clear();
      trailAtNetwork.clear();
      Enforcement e = core.begin(Caller.of(ALICE));
      e.parse("POST", "/v1.51/containers/create");
      Decision out = e.commit(allowWithNetwork()).get(10, TimeUnit.SECONDS);
      assertThat(out).isInstanceOf(Decision.Allow.class);
      assertThat(networksEnsured).containsExactly("u1000_bridge");
      assertThat(trailAtNetwork)
          .singleElement()
          .asString()
          .contains("\"decisionId\":\"" + e.id() + "\"");
    }
  }

  @Test
  void auditUnavailable_networkNeitherEnsuredNorForwarded() throws Exception {
    audit.close();
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("POST", "/v1.51/containers/create");
    Decision out = e.commit(allowWithNetwork()).get(10, TimeUnit.SECONDS);
    assertThat(out)
        .isInstanceOfSatisfying(
            Decision.Deny.class,
            d -> assertThat(d.status()).isEqualTo(Decision.Status.UNAVAILABLE));
    assertThat(networksEnsured).isEmpty();
    audit = AuditLog.open(dir.resolve("audit-2.jsonl"));
  }

  @Test
  void auditUnavailable_refusedWith503AndNothingActs() throws Exception {
    audit.close();
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("POST", "/v1.51/containers/create");
    Decision out = e.commit(allowWithVolume()).get(10, TimeUnit.SECONDS);
    assertThat(out)
        .isInstanceOfSatisfying(
            Decision.Deny.class,
            d -> assertThat(d.status()).isEqualTo(Decision.Status.UNAVAILABLE));
    assertThat(volumesCreated).isEmpty();
    audit = AuditLog.open(dir.resolve("audit-2.jsonl"));
  }

  @Test
  void volumeTakenByAnotherMeanwhile_refusedAsForbidden() throws Exception {
    volumeOwner = Optional.of(new Owner(2000, -1));
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("POST", "/v1.51/containers/create");
    Decision out = e.commit(allowWithVolume()).get(10, TimeUnit.SECONDS);
    assertThat(out)
        .isInstanceOfSatisfying(
            Decision.Deny.class,
            d -> {
              assertThat(d.status()).isEqualTo(Decision.Status.FORBIDDEN);
              assertThat(d.reason()).contains("belongs to someone else");
            });
  }

  @Test
  void readAllow_goesOnAtOnceItsRecordFollows() {
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("GET", "/v1.51/containers/json");
    assertThat(e.commit(e.decide(null))).isCompleted();
  }

  @Test
  void attach_withStdin_waitsForItsDurableRecord() {
    String c = "/v1.51/containers/" + "a".repeat(64);
    assertThat(readsOnly("POST", c + "/attach?stream=1&stdin=1&stdout=1")).isFalse();
    assertThat(readsOnly("POST", c + "/attach?stream=1&stdin=True&stdout=1")).isFalse();
    assertThat(readsOnly("GET", c + "/attach/ws?stream=1&stdin=1&stdout=1")).isFalse();
    assertThat(readsOnly("POST", c + "/start")).isFalse();
    assertThat(readsOnly("POST", "/v1.51/containers/create")).isFalse();
  }

  @Test
  void waitAndOutputOnlyAttach_goOnBeforeTheirRecordIsDurable() {
    String c = "/v1.51/containers/" + "a".repeat(64);
    assertThat(readsOnly("POST", c + "/wait?condition=removed")).isTrue();
    assertThat(readsOnly("POST", c + "/attach?stream=1&stdout=1&stderr=1")).isTrue();
    assertThat(readsOnly("POST", c + "/attach?stream=1&stdin=0&stdout=1")).isTrue();
    assertThat(readsOnly("GET", c + "/attach/ws?stream=1&stdout=1")).isTrue();
    assertThat(readsOnly("GET", c + "/json")).isTrue();
  }

  private boolean readsOnly(String method, String uri) {
    Enforcement e = core.begin(Caller.of(ALICE));
    assertThat(e.parse(method, uri)).isEmpty();
    return Enforcement.readsOnly(e.request(), e.route().orElse(null));
  }

  @Test
  void record_namesTheCallerIncludingTheCertificateSubject() throws Exception {
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("GET", "/v1.51/version");
    e.record(e.decide(null)).get(10, TimeUnit.SECONDS);
    assertThat(Files.readString(dir.resolve("audit.jsonl")))
        .contains("\"user\":\"alice\"")
        .contains("\"tls\":\"CN=alice,O=berth\"")
        .contains("\"path\":\"/version\"");
  }

  @Test
  void unidentifiedCaller_refusedWithTheReasonAndRecordedUnderTheClaimedName() throws Exception {
    Enforcement e = core.begin(Caller.unidentified("mallory", "berth: no such user"));
    e.parse("GET", "/v1.51/version");
    Decision d = e.decide(null);
    assertThat(d)
        .isInstanceOfSatisfying(
            Decision.Deny.class,
            x -> {
              assertThat(x.status()).isEqualTo(Decision.Status.FORBIDDEN);
              assertThat(x.reason()).isEqualTo("berth: no such user");
            });
    e.record(d).get(10, TimeUnit.SECONDS);
    assertThat(Files.readString(dir.resolve("audit.jsonl"))).contains("\"user\":\"mallory\"");
  }

  @Test
  void refusals_carryTheirTrueStatus() {
    assertThat(Refusals.framing("x").status()).isEqualTo(Decision.Status.BAD_REQUEST);
    assertThat(Refusals.expectation("x").status()).isEqualTo(Decision.Status.EXPECTATION_FAILED);
    assertThat(Refusals.tooLarge(1).status()).isEqualTo(Decision.Status.TOO_LARGE);
    assertThat(Refusals.upstream("x").status()).isEqualTo(Decision.Status.BAD_GATEWAY);
    assertThat(Refusals.auditUnavailable().status()).isEqualTo(Decision.Status.UNAVAILABLE);
    assertThat(Refusals.limit("roles.user.bounds.connections", "x").status())
        .isEqualTo(Decision.Status.TOO_MANY_REQUESTS);
    assertThat(Refusals.identity("x").status()).isEqualTo(Decision.Status.FORBIDDEN);
  }

  @Test
  void execClaim_afterSuccessOnly_andNeverWithoutAnId() throws Exception {
    Enforcement e = core.begin(Caller.of(ALICE));
    Decision.FollowUp claim = new Decision.FollowUp.ClaimExec(ALICES);
    e.claim(claim, 500, "e1");
    assertThat(owners.execOwner("e1")).isEmpty();
    e.claim(claim, 201, "e1");
    assertThat(owners.execOwner("e1")).hasValue(ALICES);
    assertThatThrownBy(() -> e.claim(claim, 201, ""))
        .isInstanceOf(Enforcement.ClaimException.class);
  }

  @Test
  void result_recordedOnceAfterForwarding() throws Exception {
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("POST", "/v1.51/containers/create");
    e.result(201, "c1"); // not forwarded: nothing due
    e.forwarded();
    e.result(201, "c1");
    e.result(201, "c1");
    audit.close();
    String trail = Files.readString(dir.resolve("audit.jsonl"));
    assertThat(trail.split("\"result\":", -1)).hasSize(2);
    audit = AuditLog.open(dir.resolve("audit-2.jsonl"));
  }
}
