package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ROOT;
import static dev.berth.policy.Fixtures.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.yaml.PolicyLoader;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One named case per attack on {@code POST /containers/create}; corpus ids in the names. */
class ContainerCreateRulesTest {

  static Stream<Arguments> deniedBodies() {
    return Stream.of(
        arguments(
            named(
                "SEED-A privileged + / bind",
                "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true,\"Binds\":[\"/:/host\"]}}"),
            "Privileged"),
        arguments(
            named(
                "HC privileged, lower-case keys (Go folds case)",
                "{\"Image\":\"x\",\"hostconfig\":{\"privileged\":true}}"),
            "Privileged"),
        arguments(
            named(
                "HC privileged, case-variant duplicate (last wins in Go)",
                "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":false,\"privileged\":true}}"),
            "name the same field"),
        arguments(
            named(
                "HC privileged under long-s key (U+017F folds to s in Go)",
                "{\"Image\":\"x\",\"Ho\u017ftConfig\":{\"Privileged\":true}}"),
            "Privileged"),
        arguments(
            named("bind / ", "{\"HostConfig\":{\"Binds\":[\"/:/host\"]}}"),
            "outside the directories"),
        arguments(
            named(
                "bind docker socket",
                "{\"HostConfig\":{\"Binds\":" + "[\"/var/run/docker.sock:/s\"]}}"),
            "socket"),
        arguments(
            named(
                "bind socket via symlink in home",
                "{\"HostConfig\":{\"Binds\":" + "[\"/home/alice/docker.sock:/s\"]}}"),
            "socket"),
        arguments(
            named(
                "bind / via symlink in home",
                "{\"HostConfig\":{\"Binds\":" + "[\"/home/alice/link-to-root:/h\"]}}"),
            "outside the directories"),
        arguments(
            named(
                "bind with .. out of home",
                "{\"HostConfig\":{\"Binds\":" + "[\"/home/alice/../bob:/b\"]}}"),
            "outside the directories"),
        arguments(
            named("bind other user's home", "{\"HostConfig\":{\"Binds\":" + "[\"/home/bob:/b\"]}}"),
            "outside the directories"),
        arguments(
            named("bind /proc (HC-08)", "{\"HostConfig\":{\"Binds\":[\"/proc:/hp\"]}}"),
            "outside the directories"),
        arguments(
            named(
                "bind shared propagation",
                "{\"HostConfig\":{\"Binds\":" + "[\"/home/alice/data:/d:rshared\"]}}"),
            "option 'rshared'"),
        arguments(
            named(
                "bind relabel :z (HC-16)",
                "{\"HostConfig\":{\"Binds\":" + "[\"/home/alice/data:/d:z\"]}}"),
            "option 'z'"),
        arguments(
            named(
                "Mounts type=bind source=/",
                "{\"HostConfig\":{\"Mounts\":"
                    + "[{\"Type\":\"bind\",\"Source\":\"/\",\"Target\":\"/h\"}]}}"),
            "outside the directories"),
        arguments(
            named(
                "Mounts lower-case type key",
                "{\"HostConfig\":{\"Mounts\":"
                    + "[{\"type\":\"bind\",\"source\":\"/\",\"target\":\"/h\"}]}}"),
            "outside the directories"),
        arguments(
            named(
                "Mounts volume with o=bind driver options",
                "{\"HostConfig\":{\"Mounts\":"
                    + "[{\"Type\":\"volume\",\"Target\":\"/h\",\"VolumeOptions\":{\"DriverConfig\":"
                    + "{\"Name\":\"local\",\"Options\":{\"type\":\"none\",\"o\":\"bind\","
                    + "\"device\":\"/\"}}}}]}}"),
            "driver options"),
        arguments(
            named(
                "Mounts target over /proc (HC-07)",
                "{\"HostConfig\":{\"Mounts\":"
                    + "[{\"Type\":\"volume\",\"Source\":\"v\",\"Target\":\"/proc\"}]}}"),
            "/proc"),
        arguments(
            named("Tmpfs over /dev", "{\"HostConfig\":{\"Tmpfs\":{\"/dev/shm/x\":\"\"}}}"), "/dev"),
        arguments(
            named(
                "Mounts npipe type",
                "{\"HostConfig\":{\"Mounts\":"
                    + "[{\"Type\":\"npipe\",\"Source\":\"x\",\"Target\":\"/x\"}]}}"),
            "not allowed"),
        arguments(named("HC-19 PidMode host", "{\"HostConfig\":{\"PidMode\":\"host\"}}"), "--pid"),
        arguments(
            named("HC-20 NetworkMode host", "{\"HostConfig\":{\"NetworkMode\":\"host\"}}"),
            "--network host"),
        arguments(named("HC-21 IpcMode host", "{\"HostConfig\":{\"IpcMode\":\"host\"}}"), "--ipc"),
        arguments(named("HC-21 UTSMode host", "{\"HostConfig\":{\"UTSMode\":\"host\"}}"), "--uts"),
        arguments(
            named("HC-21 CgroupnsMode host", "{\"HostConfig\":{\"CgroupnsMode\":\"host\"}}"),
            "--cgroupns"),
        arguments(
            named("HC-22 UsernsMode host", "{\"HostConfig\":{\"UsernsMode\":\"host\"}}"),
            "--userns"),
        arguments(
            named(
                "HC-23 container: namespaces",
                "{\"HostConfig\":" + "{\"NetworkMode\":\"container:victim\"}}"),
            "no such container of yours"),
        arguments(
            named(
                "HC-23 PidMode container:",
                "{\"HostConfig\":" + "{\"PidMode\":\"container:victim\"}}"),
            "PidMode victim: no such container of yours"),
        arguments(
            named("HC-09 CapAdd SYS_ADMIN", "{\"HostConfig\":{\"CapAdd\":[\"SYS_ADMIN\"]}}"),
            "--cap-add"),
        arguments(
            named("HC-09 CapAdd as a single string", "{\"HostConfig\":{\"CapAdd\":\"ALL\"}}"),
            "--cap-add"),
        arguments(
            named(
                "HC-11 Devices",
                "{\"HostConfig\":{\"Devices\":[{\"PathOnHost\":"
                    + "\"/dev/sda\",\"PathInContainer\":\"/dev/x\",\"CgroupPermissions\":\"rwm\"}]}}"),
            "--device"),
        arguments(
            named(
                "HC-13 DeviceRequests",
                "{\"HostConfig\":{\"DeviceRequests\":"
                    + "[{\"Driver\":\"nvidia\",\"Count\":-1}]}}"),
            "device requests"),
        arguments(
            named(
                "DeviceCgroupRules",
                "{\"HostConfig\":{\"DeviceCgroupRules\":" + "[\"b *:* rwm\"]}}"),
            "--device-cgroup-rule"),
        arguments(
            named(
                "HC-14 seccomp unconfined",
                "{\"HostConfig\":{\"SecurityOpt\":" + "[\"seccomp=unconfined\"]}}"),
            "--security-opt"),
        arguments(
            named(
                "HC-14 seccomp colon separator",
                "{\"HostConfig\":{\"SecurityOpt\":" + "[\"seccomp:unconfined\"]}}"),
            "--security-opt"),
        arguments(
            named(
                "HC-15 apparmor unconfined",
                "{\"HostConfig\":{\"SecurityOpt\":" + "[\"apparmor=unconfined\"]}}"),
            "--security-opt"),
        arguments(
            named(
                "HC-16 label disable",
                "{\"HostConfig\":{\"SecurityOpt\":" + "[\"label=disable\"]}}"),
            "--security-opt"),
        arguments(
            named(
                "HC-17 no-new-privileges=false",
                "{\"HostConfig\":{\"SecurityOpt\":" + "[\"no-new-privileges=false\"]}}"),
            "--security-opt"),
        arguments(
            named(
                "HC-24 CgroupParent", "{\"HostConfig\":{\"CgroupParent\":" + "\"system.slice\"}}"),
            "--cgroup-parent"),
        arguments(
            named(
                "HC-26 Sysctls",
                "{\"HostConfig\":{\"Sysctls\":"
                    + "{\"net.ipv4.ip_unprivileged_port_start\":\"0\"}}}"),
            "--sysctl"),
        arguments(
            named("HC-30 GroupAdd 0", "{\"HostConfig\":{\"GroupAdd\":[\"0\"]}}"),
            "your own groups"),
        arguments(
            named("HC-30 GroupAdd by name", "{\"HostConfig\":{\"GroupAdd\":[\"docker\"]}}"),
            "numeric gid"),
        arguments(
            named("HC-30 GroupAdd zero-padded", "{\"HostConfig\":{\"GroupAdd\":" + "[\"02000\"]}}"),
            "your own groups"),
        arguments(
            named(
                "HC-32 privileged host port",
                "{\"HostConfig\":{\"PortBindings\":" + "{\"22/tcp\":[{\"HostPort\":\"22\"}]}}}"),
            "below 1024"),
        arguments(named("user 0", "{\"User\":\"0\"}"), "--user 0"),
        arguments(named("user root by name", "{\"User\":\"root\"}"), "--user root"),
        arguments(named("user alice with gid 0", "{\"User\":\"1001:0\"}"), "--user 1001:0"),
        arguments(
            named("Runtime other than runc", "{\"HostConfig\":{\"Runtime\":\"nvidia\"}}"),
            "--runtime"),
        arguments(
            named(
                "log driver syslog",
                "{\"HostConfig\":{\"LogConfig\":" + "{\"Type\":\"syslog\",\"Config\":{}}}}"),
            "--log-driver"),
        arguments(
            named("MaskedPaths emptied", "{\"HostConfig\":{\"MaskedPaths\":[]}}"), "unmasking"),
        arguments(
            named("OomScoreAdj negative", "{\"HostConfig\":{\"OomScoreAdj\":-1000}}"),
            "--oom-score-adj"),
        arguments(
            named("owner label forged", "{\"Labels\":{\"dev.berth.owner.uid\":\"0\"}}"),
            "set by berth"),
        arguments(
            named("Cgroup container:", "{\"HostConfig\":{\"Cgroup\":\"container:x\"}}"),
            "HostConfig.Cgroup"),
        arguments(
            named("StorageOpt", "{\"HostConfig\":{\"StorageOpt\":{\"size\":\"1G\"}}}"),
            "--storage-opt"),
        arguments(
            named("Annotations", "{\"HostConfig\":{\"Annotations\":{\"a\":\"b\"}}}"),
            "--annotation"),
        arguments(
            named("VolumeDriver", "{\"HostConfig\":{\"VolumeDriver\":\"evil\"}}"),
            "--volume-driver"),
        arguments(
            named("Isolation hyperv", "{\"HostConfig\":{\"Isolation\":\"hyperv\"}}"),
            "--isolation"),
        arguments(
            named(
                "log option outside the allowlist",
                "{\"HostConfig\":{\"LogConfig\":"
                    + "{\"Type\":\"json-file\",\"Config\":{\"labels-regex\":\".*\"}}}}"),
            "--log-opt"),
        arguments(
            named(
                "port 1023",
                "{\"HostConfig\":{\"PortBindings\":" + "{\"80/tcp\":[{\"HostPort\":\"1023\"}]}}}"),
            "below 1024"),
        arguments(
            named(
                "port range starting below 1024",
                "{\"HostConfig\":{\"PortBindings\":"
                    + "{\"80/tcp\":[{\"HostPort\":\"80-2000\"}]}}}"),
            "below 1024"),
        arguments(
            named(
                "port not a number",
                "{\"HostConfig\":{\"PortBindings\":" + "{\"80/tcp\":[{\"HostPort\":\"http\"}]}}}"),
            "not a port number"),
        arguments(
            named(
                "Mounts bind rshared propagation",
                "{\"HostConfig\":{\"Mounts\":"
                    + "[{\"Type\":\"bind\",\"Source\":\"/home/alice/data\",\"Target\":\"/d\","
                    + "\"BindOptions\":{\"Propagation\":\"rshared\"}}]}}"),
            "propagation"),
        arguments(
            named(
                "Mounts bind CreateMountpoint (HC-03)",
                "{\"HostConfig\":{\"Mounts\":"
                    + "[{\"Type\":\"bind\",\"Source\":\"/home/alice/data\",\"Target\":\"/d\","
                    + "\"BindOptions\":{\"CreateMountpoint\":true}}]}}"),
            "mount points"),
        arguments(
            named(
                "Mounts volume with a path as name",
                "{\"HostConfig\":{\"Mounts\":"
                    + "[{\"Type\":\"volume\",\"Source\":\"/etc\",\"Target\":\"/d\"}]}}"),
            "not a volume name"),
        arguments(
            named(
                "Mounts relative target",
                "{\"HostConfig\":{\"Mounts\":" + "[{\"Type\":\"tmpfs\",\"Target\":\"d\"}]}}"),
            "absolute path"),
        arguments(
            named(
                "Mounts target /",
                "{\"HostConfig\":{\"Mounts\":" + "[{\"Type\":\"tmpfs\",\"Target\":\"/\"}]}}"),
            "over /"),
        arguments(
            named("anonymous volume over /sys", "{\"HostConfig\":{\"Binds\":[\"/sys\"]}}"), "/sys"),
        arguments(
            named(
                "bind target over /dev",
                "{\"HostConfig\":{\"Binds\":" + "[\"/home/alice/data:/dev/x\"]}}"),
            "/dev"),
        arguments(
            named(
                "bind with four parts",
                "{\"HostConfig\":{\"Binds\":" + "[\"/home/alice/data:/d:ro:x\"]}}"),
            "expected source:target"),
        arguments(
            named(
                "bind source neither path nor volume",
                "{\"HostConfig\":{\"Binds\":" + "[\"../x:/d\"]}}"),
            "neither an absolute host path"),
        arguments(
            named(
                "bind source missing (HC-03 auto-create)",
                "{\"HostConfig\":{\"Binds\":" + "[\"/home/alice/new:/d\"]}}"),
            "does not exist"),
        arguments(
            named(
                "HC-07 duplicate mount targets",
                "{\"HostConfig\":{\"Binds\":" + "[\"v1:/data\"],\"Tmpfs\":{\"/data/\":\"\"}}}"),
            "are the same path"),
        arguments(
            named(
                "HC-07 duplicate targets spelled with // and ..",
                "{\"HostConfig\":{"
                    + "\"Binds\":[\"v1://data/x/..\"],\"Mounts\":[{\"Type\":\"volume\","
                    + "\"Source\":\"v2\",\"Target\":\"/data/.\"}]}}"),
            "are the same path"),
        arguments(
            named(
                "HC-07 anonymous volumes of one path in two spellings (found by fuzzing)",
                "{\"Volumes\":{\"/home/alice/../bob\":null,\"/home/bob\":{}}}"),
            "are the same path"),
        arguments(
            named(
                "HC-07 nested bind and volume",
                "{\"HostConfig\":{\"Binds\":"
                    + "[\"/home/alice:/home/alice\",\"data:/home/alice/data\"]}}"),
            "/home/alice and /home/alice/data nest"),
        arguments(
            named(
                "HC-07 tmpfs nested in a mount",
                "{\"HostConfig\":{\"Mounts\":"
                    + "[{\"Type\":\"volume\",\"Source\":\"v1\",\"Target\":\"/a/\"}],"
                    + "\"Tmpfs\":{\"/a//b\":\"\"}}}"),
            "/a/ and /a//b nest"),
        arguments(
            named(
                "HC-07 anonymous volume inside a bind",
                "{\"Volumes\":{\"/d/x\":{}}," + "\"HostConfig\":{\"Binds\":[\"v1:/d\"]}}"),
            "/d and /d/x nest"),
        arguments(
            named(
                "HC-07 bind nested in an anonymous volume",
                "{\"Volumes\":{\"/d\":{}}," + "\"HostConfig\":{\"Binds\":[\"v1:/d/./x/y/..\"]}}"),
            "nest"),
        arguments(
            named(
                "JSON-06 legacy top-level Binds refused with a reason",
                "{\"Image\":\"x\",\"Binds\":[\"/:/host\"],\"HostConfig\":{\"Binds\":"
                    + "[\"/home/alice/data:/h\"]}}"),
            "Binds: a HostConfig field at the top level"),
        arguments(
            named(
                "-v with a relative target (found by fuzzing)",
                "{\"Volumes\":{\"no-new-privileges:false\":{}}}"),
            "must be an absolute path"),
        arguments(named("-v over /proc", "{\"Volumes\":{\"/proc\":{}}}"), "mounting over /proc"),
        arguments(
            named(
                "endpoint driver opts",
                "{\"NetworkingConfig\":{\"EndpointsConfig\":"
                    + "{\"bridge\":{\"DriverOpts\":{\"x\":\"y\"}}}}}"),
            "driver options"));
  }

  @ParameterizedTest
  @MethodSource("deniedBodies")
  void create_attack_denied(String body, String reasonFragment) {
    Decision d = create(ALICE, body);
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason()).contains(reasonFragment).startsWith("berth: ");
  }

  @Test
  void create_plainBody_rewrittenToRunAsCaller() {
    JsonNode out = allowedBody(create(ALICE, "{\"Image\":\"busybox\",\"Cmd\":\"id\"}"));
    assertThat(out.get("User").asText()).isEqualTo("1001:1001");
    assertThat(out.at("/HostConfig/CapDrop").toString()).isEqualTo("[\"ALL\"]");
    assertThat(out.at("/HostConfig/SecurityOpt").toString()).isEqualTo("[\"no-new-privileges\"]");
    assertThat(out.at("/Labels/dev.berth.owner.uid").asText()).isEqualTo("1001");
    assertThat(out.get("Cmd").toString()).isEqualTo("[\"id\"]");
  }

  @Test
  void create_noNamespaceModes_privateModesWrittenOut() {
    // LEGACY-03: old API versions default to the host cgroup namespace and shareable IPC
    JsonNode out =
        allowedBody(
            Fixtures.decide(ALICE, "POST", "/v1.40/containers/create", "{\"Image\":\"alpine\"}"));
    assertThat(out.at("/HostConfig/CgroupnsMode").asText()).isEqualTo("private");
    assertThat(out.at("/HostConfig/IpcMode").asText()).isEqualTo("private");
  }

  @Test
  void create_escapedKeysAndValues_decodedBeforeJudging() {
    // JSON-05
    Decision d = create(ALICE, "{\"Image\":\"alpine\",\"HostConfig\":{\"\\u0050rivileged\":true}}");
    assertThat(((Decision.Deny) d).reason()).contains("Privileged");
    d = create(ALICE, "{\"HostConfig\":{\"NetworkMode\":\"ho\\u0073t\"}}");
    assertThat(((Decision.Deny) d).reason()).contains("--network host");
  }

  @Test
  void create_noPidsLimit_defaultApplied() {
    JsonNode out = allowedBody(create(ALICE, "{\"Image\":\"x\"}"));
    assertThat(out.at("/HostConfig/PidsLimit").asLong()).isEqualTo(4096);
  }

  @Test
  void create_pidsAboveMaximum_denied() {
    // HC-27: a fork bomb must not take the host down
    Decision d = create(ALICE, "{\"HostConfig\":{\"PidsLimit\":100000}}");
    assertThat(((Decision.Deny) d).reason()).contains("--pids-limit");
  }

  @Test
  void create_unlimitedPids_replacedByDefault() {
    JsonNode out = allowedBody(create(ALICE, "{\"HostConfig\":{\"PidsLimit\":-1}}"));
    assertThat(out.at("/HostConfig/PidsLimit").asLong()).isEqualTo(4096);
  }

  @Test
  void create_memoryAndCpusAboveRoleMaximum_denied() throws Exception {
    PolicyEngine engine =
        engineFor(
            """
        roles:
          user:
            actions: [container_create, container_update]
            limits: {memory: {default: 1g, max: 2g}, cpus: {max: 2}}
        bindings: [{role: user, users: ["*"]}]
        """);
    Function<String, Decision> run = body -> post(engine, "/containers/create", body);
    assertThat(run.apply("{\"HostConfig\":{\"Memory\":4294967296}}"))
        .isInstanceOf(Decision.Deny.class);
    assertThat(run.apply("{\"HostConfig\":{\"NanoCpus\":3000000000}}"))
        .isInstanceOf(Decision.Deny.class);
    assertThat(run.apply("{\"HostConfig\":{\"CpuQuota\":400000,\"CpuPeriod\":100000}}"))
        .isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) run.apply("{\"HostConfig\":{\"NanoCpus\":3000000000}}")).reason())
        .contains("--cpus 3.0 exceeds your role's maximum of 2.0");
    JsonNode out = allowedBody(run.apply("{\"Image\":\"x\"}"));
    assertThat(out.at("/HostConfig/Memory").asLong()).isEqualTo(1L << 30);
    assertThat(out.at("/HostConfig/NanoCpus").asLong()).isEqualTo(2_000_000_000L);
    assertThat(((Decision.Allow) run.apply("{\"Image\":\"x\"}")).rewrites())
        .contains("HostConfig.Memory set to the default 1073741824");
    assertThat(post(engine, "/containers/abc/update", "{\"Memory\":8589934592}"))
        .isInstanceOf(Decision.Deny.class);
  }

  @Test
  void create_roleWithoutLimits_resourcesForwardedAsAsked() throws Exception {
    PolicyEngine engine =
        engineFor(
            """
        roles:
          user:
            actions: [container_create, container_update]
        bindings: [{role: user, users: ["*"]}]
        """);
    assertThat(
            post(
                engine,
                "/containers/abc/update",
                "{\"Memory\":4294967296,\"NanoCpus\":3000000000,\"PidsLimit\":-1}"))
        .isInstanceOf(Decision.Allow.class);
    Decision d =
        post(
            engine,
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"Memory\":4294967296,\"NanoCpus\":3000000000,"
                + "\"PidsLimit\":-1}}");
    JsonNode hc = allowedBody(d).path("HostConfig");
    assertThat(hc.path("Memory").asLong()).isEqualTo(4294967296L);
    assertThat(hc.path("NanoCpus").asLong()).isEqualTo(3_000_000_000L);
    assertThat(hc.path("PidsLimit").asLong()).isEqualTo(-1);
    assertThat(((Decision.Allow) d).rewrites())
        .noneMatch(n -> n.matches("HostConfig\\.(Memory|NanoCpus|PidsLimit) set to.*"));
  }

  /** An engine on a policy given as YAML, with the fake host file system. */
  private static PolicyEngine engineFor(String yaml) throws Exception {
    return new PolicyEngine(
        PolicyLoader.load(yaml, "t.yaml", g -> Optional.empty()), Fixtures.HOST);
  }

  private static Decision post(PolicyEngine engine, String target, String body) {
    return Fixtures.decide(engine, Fixtures.objects(), ALICE, "POST", target, body);
  }

  @Test
  void create_rewrites_reportedForAudit() {
    Decision.Allow a =
        (Decision.Allow)
            create(
                ALICE,
                "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"/home/alice/data/../data:/d\"]}}");
    assertThat(a.rewrites())
        .contains(
            "User set to 1001:1001",
            "HostConfig.SecurityOpt set to [no-new-privileges]",
            "HostConfig.CapDrop set to [ALL]",
            "label dev.berth.owner.uid=1001",
            "HostConfig.PidsLimit set to 4096",
            "bind source /home/alice/data/../data resolved to /home/alice/data");
  }

  @Test
  void create_alreadySafeBody_reportsOnlyTheLabel() {
    Decision.Allow a =
        (Decision.Allow)
            create(
                ALICE,
                "{\"User\":\"1001:1001\",\"HostConfig\":"
                    + "{\"SecurityOpt\":[\"no-new-privileges\"],\"CapDrop\":[\"ALL\"],\"PidsLimit\":10,"
                    + "\"ShmSize\":67108864,\"NetworkMode\":\"none\"}}");
    assertThat(a.rewrites()).containsExactly("label dev.berth.owner.uid=1001");
  }

  @Test
  void create_mountBindWithinHome_resolvedAndKept() {
    Decision.Allow a =
        (Decision.Allow)
            create(
                ALICE,
                "{\"HostConfig\":{\"Mounts\":[{\"Type\":"
                    + "\"bind\",\"Source\":\"/home/alice/data/\",\"Target\":\"/d\",\"BindOptions\":"
                    + "{\"Propagation\":\"rprivate\"}},{\"Type\":\"volume\",\"Source\":\"v1\","
                    + "\"Target\":\"/v\"},{\"Type\":\"tmpfs\",\"Target\":\"/t\"}]}}");
    JsonNode body = ((CanonicalRequest.Body.Json) a.forward().body()).value();
    assertThat(body.at("/HostConfig/Mounts/0/Source").asText()).isEqualTo("/home/alice/data");
    assertThat(a.rewrites())
        .contains("mount source /home/alice/data/ resolved to /home/alice/data");
  }

  @Test
  void create_logOptionsAndHighPorts_allowed() {
    assertThat(
            create(
                ALICE,
                "{\"HostConfig\":{\"LogConfig\":{\"Type\":\"local\",\"Config\":"
                    + "{\"max-size\":\"10m\"}},\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"1024\"},"
                    + "{\"HostPort\":\"\"}]},\"Isolation\":\"default\"}}"))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void create_limitBoundaries() throws Exception {
    PolicyEngine engine =
        engineFor(
            """
        roles:
          user:
            actions: [container_create, container_update]
            limits: {memory: {max: 2g}, cpus: {default: 1, max: 2}, pids: {max: 100}}
        bindings: [{role: user, users: ["*"]}]
        """);
    BiFunction<String, String, Decision> run = (target, body) -> post(engine, target, body);
    String create = "/containers/create";
    // exactly the maximum is allowed; one more is not
    assertThat(run.apply(create, "{\"HostConfig\":{\"Memory\":2147483648}}"))
        .isInstanceOf(Decision.Allow.class);
    assertThat(run.apply(create, "{\"HostConfig\":{\"Memory\":2147483649}}"))
        .isInstanceOf(Decision.Deny.class);
    assertThat(run.apply(create, "{\"HostConfig\":{\"NanoCpus\":2000000000}}"))
        .isInstanceOf(Decision.Allow.class);
    assertThat(run.apply(create, "{\"HostConfig\":{\"NanoCpus\":2000000001}}"))
        .isInstanceOf(Decision.Deny.class);
    assertThat(run.apply(create, "{\"HostConfig\":{\"CpuQuota\":200000}}"))
        .isInstanceOf(Decision.Allow.class);
    assertThat(run.apply(create, "{\"HostConfig\":{\"CpuQuota\":100000,\"CpuPeriod\":50000}}"))
        .isInstanceOf(Decision.Allow.class);
    assertThat(run.apply(create, "{\"HostConfig\":{\"CpuQuota\":100001,\"CpuPeriod\":50000}}"))
        .isInstanceOf(Decision.Deny.class);
    assertThat(run.apply(create, "{\"HostConfig\":{\"PidsLimit\":100}}"))
        .isInstanceOf(Decision.Allow.class);
    assertThat(run.apply(create, "{\"HostConfig\":{\"PidsLimit\":101}}"))
        .isInstanceOf(Decision.Deny.class);
    // with only a maximum, unlimited is too much, and nothing asked for gets the maximum
    assertThat(run.apply(create, "{\"HostConfig\":{\"PidsLimit\":-1}}"))
        .isInstanceOf(Decision.Deny.class);
    JsonNode out = allowedBody(run.apply(create, "{}"));
    assertThat(out.at("/HostConfig/Memory").asLong()).isEqualTo(2L << 30);
    assertThat(out.at("/HostConfig/NanoCpus").asLong()).isEqualTo(1_000_000_000L);
    assertThat(out.at("/HostConfig/PidsLimit").asLong()).isEqualTo(100);
    assertThat(((Decision.Allow) run.apply(create, "{}")).rewrites())
        .contains(
            "HostConfig.Memory set to the maximum 2147483648",
            "HostConfig.NanoCpus set to 1000000000",
            "HostConfig.PidsLimit set to 100");
    String update = "/containers/abc/update";
    assertThat(
            run.apply(
                update, "{\"Memory\":2147483648,\"NanoCpus\":2000000000," + "\"PidsLimit\":100}"))
        .isInstanceOf(Decision.Allow.class);
    assertThat(run.apply(update, "{\"Memory\":-1}")).isInstanceOf(Decision.Deny.class);
    assertThat(run.apply(update, "{\"NanoCpus\":2000000001}")).isInstanceOf(Decision.Deny.class);
    assertThat(run.apply(update, "{\"PidsLimit\":101}")).isInstanceOf(Decision.Deny.class);
    assertThat(run.apply(update, "{\"PidsLimit\":-1}")).isInstanceOf(Decision.Deny.class);
    // docker update --restart sends the limits as 0: "no change", not "unlimited"
    assertThat(run.apply(update, "{\"Memory\":0,\"NanoCpus\":0,\"PidsLimit\":0}"))
        .isInstanceOf(Decision.Allow.class);
    assertThat(((Decision.Deny) run.apply(update, "{\"NanoCpus\":3000000000}")).reason())
        .endsWith("maximum of 2.0");
  }

  @Test
  void create_legacyTopLevelHostConfig_refusedNamingTheField() {
    // JSON-06: Engine <= 26 used top-level HostConfig fields when "HostConfig" was absent;
    // current engines ignore them, so the caller is told instead of silently losing them
    for (String field :
        new String[] {
          "\"Privileged\":true", "\"binds\":[\"/:/host\"]", "\"PidMode\":\"host\"", "\"Memory\":1"
        }) {
      Decision d = create(ALICE, "{\"Image\":\"x\"," + field + "}");
      Decision.Deny deny = (Decision.Deny) d;
      assertThat(deny.status()).isEqualTo(Decision.Status.BAD_REQUEST);
      assertThat(deny.reason())
          .contains(
              field.substring(1, field.indexOf('"', 1))
                  + ": a "
                  + "HostConfig field at the top level")
          .contains("send it under HostConfig");
    }
  }

  @Test
  void create_keyWithInvalidUtf8_refusedWithTheReason() throws Exception {
    // an overlong '/': Jackson would read "Priv/", Go "Priv\uFFFD\uFFFD"
    byte[] body = {'{', '"', 'P', 'r', 'i', 'v', (byte) 0xc0, (byte) 0xaf, '"', ':', '1', '}'};
    Decision.Deny deny =
        (Decision.Deny)
            Fixtures.ENGINE.evaluate(
                ALICE,
                CanonicalRequest.parse("POST", "/containers/create"),
                body,
                Fixtures.objects());
    assertThat(deny.status()).isEqualTo(Decision.Status.BAD_REQUEST);
    assertThat(deny.reason()).contains("invalid UTF-8 at byte 6");
  }

  @Test
  void create_siblingMountTargets_allowed() {
    assertThat(
            create(
                ALICE,
                "{\"Volumes\":{\"/data\":{},\"/ab\":{}},\"HostConfig\":"
                    + "{\"Binds\":[\"/home/alice:/home/alice\",\"data:/home/alice-data\",\"v1:/data\"],"
                    + "\"Tmpfs\":{\"/a\":\"\"}}}"))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void create_composeNodeModulesVolumeInsideTheAppBind_refusedSayingWhereToMountItInstead() {
    // compose's `.:/app` plus an anonymous `/app/node_modules`: the CVE-2021-30465 shape, since
    // the user controls /app from the host while the runtime mounts inside it
    Decision d =
        create(
            ALICE,
            "{\"Volumes\":{\"/app/node_modules\":{}},\"HostConfig\":"
                + "{\"Binds\":[\"/home/alice/data:/app:rw\"]}}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason())
        .contains("/app and /app/node_modules nest")
        .contains("at a path outside /app instead (for example /node_modules)")
        .contains("point the tool at it");
  }

  @Test
  void create_nodeModulesVolumeBesideTheAppBind_allowed() {
    assertThat(
            create(
                ALICE,
                "{\"Volumes\":{\"/node_modules\":{}},\"HostConfig\":"
                    + "{\"Binds\":[\"/home/alice/data:/app:rw\"]}}"))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void create_roleAllowlists_grantExactlyWhatTheyList() throws Exception {
    PolicyEngine engine =
        engineFor(
            """
        roles:
          user:
            actions: [container_create]
            allow:
              cap_add: [net_bind_service, CAP_NET_RAW]
              sysctls: [net.ipv4.ping_group_range]
              annotations: [org.example.job]
              log_drivers: [json-file]
              min_host_port: 8000
        bindings: [{role: user, users: ["*"]}]
        """);
    Function<String, Decision> run = body -> post(engine, "/containers/create", body);
    JsonNode out =
        allowedBody(
            run.apply(
                "{\"HostConfig\":{\"CapAdd\":[\"cap_net_bind_service\","
                    + "\"NET_RAW\"],\"Sysctls\":{\"net.ipv4.ping_group_range\":\"0 1\"},\"Annotations\":"
                    + "{\"org.example.job\":\"42\"},\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"8000\"}]}}}"));
    assertThat(out.at("/HostConfig/CapAdd").toString())
        .isEqualTo("[\"CAP_NET_BIND_SERVICE\",\"CAP_NET_RAW\"]");
    assertThat(out.at("/HostConfig/CapDrop").toString()).isEqualTo("[\"ALL\"]");
    for (String body :
        new String[] {
          "{\"HostConfig\":{\"CapAdd\":[\"SYS_ADMIN\"]}}",
          "{\"HostConfig\":{\"CapAdd\":[\"NET_BIND_\u017fERVICE\"]}}", // long s: Go upper-cases it
          // to S
          "{\"HostConfig\":{\"Sysctls\":{\"kernel.shm_rmid_forced\":\"0\"}}}",
          "{\"HostConfig\":{\"Annotations\":{\"other\":\"x\"}}}",
          "{\"HostConfig\":{\"LogConfig\":{\"Type\":\"local\"}}}",
          "{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"7999\"}]}}}"
        }) {
      assertThat(run.apply(body)).as(body).isInstanceOf(Decision.Deny.class);
    }
  }

  @Test
  void create_capAddAll_refusedInPolicy() {
    assertThatThrownBy(
            () ->
                PolicyLoader.load(
                    "roles: {user: {actions: [ping], allow: {cap_add: [ALL]}}}\nbindings: []\n",
                    "t",
                    g -> Optional.empty()))
        .hasMessageContaining("ALL is never allowed");
  }

  @Test
  void create_unknownFields_dropped() {
    JsonNode out =
        allowedBody(create(ALICE, "{\"Image\":\"x\",\"Bogus\":true,\"HostConfig\":{\"Bogus\":1}}"));
    assertThat(out.has("Bogus")).isFalse();
    assertThat(out.get("HostConfig").has("Bogus")).isFalse();
  }

  @Test
  void create_caseVariantKeys_canonicalised() {
    JsonNode out =
        allowedBody(create(ALICE, "{\"image\":\"x\",\"hostCONFIG\":{\"autoremove\":true}}"));
    assertThat(out.get("Image").asText()).isEqualTo("x");
    assertThat(out.at("/HostConfig/AutoRemove").asBoolean()).isTrue();
  }

  @Test
  void create_bindInsideHome_allowedWithRealPath() {
    JsonNode out =
        allowedBody(
            create(
                ALICE, "{\"HostConfig\":{\"Binds\":[\"/home/alice/data:/data:ro\",\"vol:/v\"]}}"));
    assertThat(out.at("/HostConfig/Binds").toString())
        .isEqualTo("[\"/home/alice/data:/data:ro\",\"u1001_vol:/v\"]");
  }

  @Test
  void create_ownGroupAndNoNewPrivileges_allowed() {
    JsonNode out =
        allowedBody(
            create(
                ALICE,
                "{\"User\":\"1001:1001\",\"HostConfig\":"
                    + "{\"GroupAdd\":[\"2000\"],\"SecurityOpt\":[\"no-new-privileges:true\"]}}"));
    assertThat(out.at("/HostConfig/GroupAdd").toString()).isEqualTo("[\"2000\"]");
  }

  @Test
  void create_capDropGiven_replacedByAll() {
    JsonNode out = allowedBody(create(ALICE, "{\"HostConfig\":{\"CapDrop\":[\"NET_RAW\"]}}"));
    assertThat(out.at("/HostConfig/CapDrop").toString()).isEqualTo("[\"ALL\"]");
  }

  @Test
  void create_asRoot_passesThroughUnchanged() {
    JsonNode out =
        allowedBody(
            create(
                ROOT,
                "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true,\"Binds\":[\"/:/host\"]}}"));
    assertThat(out.at("/HostConfig/Privileged").asBoolean()).isTrue();
    assertThat(out.has("User")).isFalse();
  }

  @Test
  void create_missingBody_denied() {
    Decision d = create(ALICE, "");
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.BAD_REQUEST);
  }

  private static JsonNode allowedBody(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return ((CanonicalRequest.Body.Json) ((Decision.Allow) d).forward().body()).value();
  }
}
