package dev.berth.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.pki.CertificateAuthority;
import dev.berth.policy.DockerObject;
import dev.berth.policy.HostPaths;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Owner;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.testing.EmptyObjects;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Plugin mode (issue #7): what a plugin cannot see or change, it refuses. */
class PluginJudgeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALICE_ID = "a11ce" + "0".repeat(59);

  /** What alice must add to a docker run in plugin mode (her primary gid is 1001 here). */
  private static final String GUARANTEED =
      "\"User\":\"1001:1001\",\"Labels\":{"
          + "\"dev.berth.owner.uid\":\"1001\",\"dev.berth.owner.gid\":\"\"},\"HostConfig\":{"
          + "\"SecurityOpt\":[\"no-new-privileges\"],\"CapDrop\":[\"ALL\"]}";

  private Path dir;
  private AuditLog audit;
  private OwnerStore owners;
  private PluginJudge judge;

  private static final UserDirectory USERS =
      new UserDirectory() {
        private final Map<String, Account> accounts =
            Map.of(
                "alice", new Account("alice", 1001, 1001, "/home/alice", List.of(1001)),
                "bob", new Account("bob", 1002, 1002, "/home/bob", List.of(1002)),
                "root", new Account("root", 0, 0, "/root", List.of(0)));

        @Override
        public Optional<Account> byUid(int uid) {
          return accounts.values().stream().filter(a -> a.uid() == uid).findFirst();
        }

        @Override
        public Optional<Account> byName(String name) {
          return Optional.ofNullable(accounts.get(name));
        }

        @Override
        public Optional<Integer> groupId(String group) {
          return Optional.empty();
        }
      };

  /** alice owns container "web"; bob owns "bobweb". */
  private static final ObjectDirectory OBJECTS =
      new EmptyObjects() {
        @Override
        public Optional<DockerObject> container(String ref) {
          return switch (ref) {
            case "web" ->
                Optional.of(DockerObject.of(ALICE_ID, "web", Optional.of(new Owner(1001, -1))));
            case "bobweb" ->
                Optional.of(
                    DockerObject.of(
                        "b0b" + "0".repeat(61), "bobweb", Optional.of(new Owner(1002, -1))));
            default -> Optional.empty();
          };
        }
      };

  @BeforeEach
  void start() throws IOException {
    dir = Files.createTempDirectory("berth-plugin-test");
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    owners = OwnerStore.open(dir.resolve("state"));
    PolicyEngine engine = new PolicyEngine(PolicyDefaults.policy(), HostPaths.local());
    judge =
        new PluginJudge(
            () -> engine, USERS, OBJECTS, owners, audit, Revocations.none(), Optional.of("root"));
  }

  @AfterEach
  void stop() throws IOException {
    owners.close();
    audit.close();
  }

  private static AuthzMessage request(
      String user, String method, String uri, String body, Map<String, String> headers) {
    byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    return new AuthzMessage(
        user, user.isEmpty() ? "" : "TLS", method, uri, bytes, headers, List.of(), 0, null, null);
  }

  private static AuthzMessage request(String user, String method, String uri, String body) {
    return request(
        user,
        method,
        uri,
        body,
        body == null
            ? Map.of()
            : Map.of(
                "Content-Type",
                "application/json",
                "Content-Length",
                Integer.toString(body.getBytes(StandardCharsets.UTF_8).length)));
  }

  @Test
  void create_withoutGuaranteedFlags_deniedNamingThem() {
    AuthzAnswer a =
        judge.request(request("alice", "POST", "/v1.51/containers/create", "{\"Image\":\"x\"}"));
    assertThat(a.allow()).isFalse();
    assertThat(a.httpStatus()).isEqualTo(200);
    assertThat(a.msg())
        .contains(
            "--user 1001:1001",
            "--security-opt no-new-privileges",
            "--cap-drop ALL",
            "--label dev.berth.owner.uid=1001",
            "--label dev.berth.owner.gid=",
            "berth run");
  }

  @Test
  void create_withGuaranteedFlags_allowed() {
    assertThat(
            judge
                .request(
                    request(
                        "alice",
                        "POST",
                        "/v1.51/containers/create",
                        "{\"Image\":\"x\"," + GUARANTEED + "}"))
                .allow())
        .isTrue();
  }

  @Test
  void create_privilegedEvenWithFlags_denied() {
    AuthzAnswer a =
        judge.request(
            request(
                "alice",
                "POST",
                "/v1.51/containers/create",
                "{\"Image\":\"x\","
                    + GUARANTEED.replace("\"CapDrop\"", "\"Privileged\":true," + "\"CapDrop\"")
                    + "}"));
    assertThat(a.allow()).isFalse();
    assertThat(a.msg()).contains("privileged containers are not allowed");
  }

  @Test
  void bodyDeclaredButNotShown_denied() {
    // CVE-2024-41110: the daemon left the body out; the plugin must not judge an empty one
    AuthzAnswer a =
        judge.request(
            request(
                "alice",
                "POST",
                "/v1.51/containers/create",
                null,
                Map.of("Content-Type", "application/json", "Content-Length", "120")));
    assertThat(a.allow()).isFalse();
    assertThat(a.msg()).contains("did not show berth the request body");
  }

  @Test
  void chunkedBodyNotShown_denied() {
    assertThat(
            judge
                .request(
                    request(
                        "alice",
                        "POST",
                        "/v1.51/containers/create",
                        null,
                        Map.of("Transfer-Encoding", "chunked")))
                .allow())
        .isFalse();
  }

  @Test
  void bodyOfOneMiB_denied() {
    // CVE-2026-34040: daemons before 29.3.1 leave such bodies out of the plugin's view
    AuthzAnswer a =
        judge.request(
            request(
                "alice",
                "POST",
                "/v1.51/containers/create",
                null,
                Map.of(
                    "Content-Type",
                    "application/json",
                    "Content-Length",
                    Integer.toString(1024 * 1024))));
    assertThat(a.allow()).isFalse();
    assertThat(a.msg()).contains("1 MiB");
  }

  @Test
  void bodyShownDiffersFromDeclaredLength_denied() {
    assertThat(
            judge
                .request(
                    request(
                        "alice",
                        "POST",
                        "/v1.51/containers/create",
                        "{\"Image\":\"x\"," + GUARANTEED + "}",
                        Map.of("Content-Length", "9")))
                .allow())
        .isFalse();
  }

  @ParameterizedTest
  @CsvSource({
    "POST,/v1.51/plugins/berth/disable",
    "DELETE,/v1.51/plugins/berth",
    "POST,/v1.51/plugins/berth/set",
    "POST,/grpc",
    "POST,/session"
  })
  void authorizationSwitchOrBypass_deniedEvenForAdmin(String method, String uri) {
    AuthzAnswer a = judge.request(request("", method, uri, null));
    assertThat(a.allow()).isFalse();
    assertThat(a.msg()).contains("closed in plugin mode");
  }

  @Test
  void archivePut_denied() {
    assertThat(
            judge
                .request(
                    request(
                        "alice",
                        "PUT",
                        "/v1.51/containers/web/archive?path=/tmp",
                        null,
                        Map.of("Content-Type", "application/x-tar", "Content-Length", "1024")))
                .msg())
        .contains("docker cp into a container is not available in plugin mode");
  }

  @Test
  void load_asUser_deniedNamingDockerLoad() {
    assertThat(
            judge
                .request(
                    request(
                        "alice",
                        "POST",
                        "/v1.51/images/load?quiet=1",
                        null,
                        Map.of(
                            "Content-Type", "application/x-tar", "Transfer-Encoding", "chunked")))
                .msg())
        .contains("docker load is not available in plugin mode");
  }

  /** Issue 13: the plugin sees no build context, so the Dockerfile's FROM could not be judged. */
  @Test
  void classicBuild_ofAUser_deniedNamingDockerBuildAndTheProxy() {
    assertThat(
            judge
                .request(
                    request(
                        "alice",
                        "POST",
                        "/v1.51/build?t=app%3A1",
                        null,
                        Map.of(
                            "Content-Type", "application/x-tar", "Transfer-Encoding", "chunked")))
                .msg())
        .contains("docker build with the classic builder is not available in plugin mode")
        .contains("proxy mode");
  }

  @Test
  void systemDf_denied() {
    assertThat(judge.request(request("alice", "GET", "/v1.51/system/df", null)).msg())
        .contains("not available in plugin mode");
  }

  @Test
  void list_withoutOwnerFilter_deniedNamingIt() {
    assertThat(judge.request(request("alice", "GET", "/v1.51/containers/json", null)).msg())
        .contains("--filter label=dev.berth.owner.uid=1001");
  }

  @Test
  void list_withOwnerFilterInEitherForm_allowed() {
    String set =
        URLEncoder.encode(
            "{\"label\":{\"dev.berth.owner.uid=1001\":true}}", StandardCharsets.UTF_8);
    String list =
        URLEncoder.encode("{\"label\":[\"dev.berth.owner.uid=1001\"]}", StandardCharsets.UTF_8);
    assertThat(
            judge
                .request(request("alice", "GET", "/v1.51/containers/json?filters=" + set, null))
                .allow())
        .isTrue();
    assertThat(
            judge
                .request(request("alice", "GET", "/v1.51/containers/json?filters=" + list, null))
                .allow())
        .isTrue();
  }

  @Test
  void othersContainer_deniedAsNotFound() {
    AuthzAnswer a = judge.request(request("alice", "POST", "/v1.51/containers/bobweb/stop", null));
    assertThat(a.allow()).isFalse();
    assertThat(a.msg()).isEqualTo("berth: No such container: bobweb");
    assertThat(judge.request(request("bob", "POST", "/v1.51/containers/bobweb/stop", null)).allow())
        .isTrue();
  }

  @Test
  void emptyUser_isTheSocketUserNeverARealOne() throws IOException {
    assertThat(judge.request(request("", "POST", "/v1.51/containers/bobweb/stop", null)).allow())
        .as("socket caller is root: passthrough")
        .isTrue();
    PolicyEngine engine = new PolicyEngine(PolicyDefaults.policy(), HostPaths.local());
    PluginJudge strict =
        new PluginJudge(
            () -> engine, USERS, OBJECTS, owners, audit, Revocations.none(), Optional.empty());
    assertThat(strict.request(request("", "GET", "/v1.51/version", null)).msg())
        .contains("unix socket is not for users");
  }

  @Test
  void unknownCertificateUser_denied() {
    assertThat(judge.request(request("mallory", "GET", "/v1.51/version", null)).msg())
        .contains("not a user of this host");
  }

  @Test
  void userWithoutTlsMethod_denied() {
    AuthzMessage m =
        new AuthzMessage("alice", "", "GET", "/v1.51/version", null, null, null, 0, null, null);
    assertThat(judge.request(m).allow()).isFalse();
  }

  @Test
  void execCreate_claimedAtResponseForItsCaller() {
    String body = "{\"Cmd\":[\"id\"],\"User\":\"1001:1001\"}";
    AuthzMessage req = request("alice", "POST", "/v1.51/containers/web/exec", body);
    assertThat(judge.request(req).allow()).isTrue();
    String execId = "e" + "1".repeat(63);
    AuthzMessage res =
        new AuthzMessage(
            req.user(),
            req.userAuthNMethod(),
            req.requestMethod(),
            req.requestUri(),
            req.requestBody(),
            req.requestHeaders(),
            List.of(),
            201,
            ("{\"Id\":\"" + execId + "\"}").getBytes(StandardCharsets.UTF_8),
            Map.of());
    assertThat(judge.response(res).allow()).isTrue();
    assertThat(owners.execOwner(execId)).hasValue(new Owner(1001, -1));
  }

  @Test
  void wireFormat_exactFieldNamesAndBase64() throws Exception {
    String body = "{\"Image\":\"x\"}";
    String json =
        "{\"User\":\"alice\",\"UserAuthNMethod\":\"TLS\",\"RequestMethod\":\"POST\","
            + "\"RequestUri\":\"/v1.51/containers/create\",\"RequestBody\":\""
            + Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8))
            + "\",\"RequestHeaders\":{\"Content-Type\":\"application/json\",\"Content-Length\":\""
            + body.length()
            + "\"},\"RequestPeerCertificates\":[],\"SomethingNew\":1}";
    AuthzMessage m = JSON.readValue(json, AuthzMessage.class);
    assertThat(new String(m.requestBody(), StandardCharsets.UTF_8)).isEqualTo(body);
    AuthzAnswer a = judge.request(m);
    assertThat(JSON.readTree(JSON.writeValueAsString(a)).fieldNames())
        .toIterable()
        .containsExactlyInAnyOrder("Allow", "Msg");
    assertThat(JSON.writeValueAsString(AuthzAnswer.allowed())).isEqualTo("{\"Allow\":true}");
    assertThat(JSON.writeValueAsString(AuthzAnswer.error("x")))
        .isEqualTo("{\"Allow\":false,\"Err\":\"x\"}");
  }

  @Test
  void tlsCaller_auditRecordCarriesCertificateSubject() throws Exception {
    CertificateAuthority ca =
        CertificateAuthority.create(dir.resolve("pki"), Duration.ofDays(30), Clock.systemUTC());
    String pem = ca.issueUser("alice", Duration.ofDays(1)).certificatePem();
    AuthzMessage m =
        new AuthzMessage(
            "alice",
            "TLS",
            "GET",
            "/v1.51/version",
            null,
            Map.of(),
            List.of(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII))),
            0,
            null,
            null);
    assertThat(judge.request(m).allow()).isTrue();
    audit.close();
    String trail = Files.readString(dir.resolve("audit.jsonl"));
    assertThat(trail).contains("\"tls\":\"CN=alice");
    audit = AuditLog.open(dir.resolve("audit-reopened.jsonl"));
  }

  @Test
  void stateChangingAllow_answeredOnlyOnceItsRecordIsOnDisk() throws Exception {
    String body = "{\"Cmd\":[\"id\"],\"User\":\"1001:1001\"}";
    for (int i = 0; i < 20; i++) {
      assertThat(
              judge.request(request("alice", "POST", "/v1.51/containers/web/exec", body)).allow())
          .isTrue();
      // Read straight after the answer, without closing the log: the record must be there.
      long allows =
          Files.readAllLines(dir.resolve("audit.jsonl")).stream()
              .filter(l -> l.contains("\"decision\":\"allow\""))
              .count();
      assertThat(allows).isEqualTo(i + 1);
    }
  }
}
