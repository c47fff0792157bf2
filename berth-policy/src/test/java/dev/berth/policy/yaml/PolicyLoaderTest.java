package dev.berth.policy.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.Action;
import dev.berth.policy.Bounds;
import dev.berth.policy.Limits;
import dev.berth.policy.Policy;
import dev.berth.policy.Principal;
import dev.berth.policy.Role;
import dev.berth.policy.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyLoaderTest {
  private static final PolicyLoader.GroupResolver GROUPS =
      name -> Optional.ofNullable(Map.of("lab", 3000, "staff", 50).get(name));
  private static final Principal ALICE =
      new Principal(1001, 1001, 1, "alice", "/home/alice", List.of(1001, 3000), -1);
  private static final Principal BOB =
      new Principal(1002, 1002, 1, "bob", "/home/bob", List.of(1002), -1);

  private static Policy load(String yaml) throws PolicyException {
    return PolicyLoader.load(yaml, "policy.yaml", GROUPS);
  }

  @Test
  void defaults_embeddedPolicyLoads_rootIsAdminOthersUsers() {
    Policy p = PolicyDefaults.policy();
    assertThat(p.roleOf(new Principal(0, 0, 1, "root", "/root", List.of(0), -1)))
        .hasValueSatisfying(r -> assertThat(r.passthrough()).isTrue());
    assertThat(p.roleOf(ALICE))
        .hasValueSatisfying(
            r -> {
              assertThat(r.name()).isEqualTo("user");
              assertThat(r.passthrough()).isFalse();
              assertThat(r.actions())
                  .contains(Action.CONTAINER_CREATE)
                  .doesNotContain(Action.SWARM, Action.PLUGIN);
              assertThat(r.actions())
                  .contains(Action.IMAGE_BUILD, Action.IMAGE_PRUNE, Action.IMAGE_LOAD);
              assertThat(r.scope()).isEqualTo(Scope.OWN);
              assertThat(r.bindRoots()).containsExactly("{home}");
            });
    assertThat(p.digest()).hasSize(64);
  }

  @Test
  void load_groupBinding_resolvedThroughNss() throws Exception {
    Policy p =
        load(
            """
        roles:
          lab: {actions: [ping], bind_roots: ["/scratch/{user}"]}
        bindings:
          - {role: lab, groups: [lab]}
        """);
    assertThat(p.roleOf(ALICE)).hasValueSatisfying(r -> assertThat(r.name()).isEqualTo("lab"));
    assertThat(p.roleOf(BOB)).isEmpty();
  }

  @Test
  void load_misspelledAction_locatedWithSuggestion() {
    assertThatThrownBy(
            () ->
                load(
                    """
        roles:
          user:
            actions: [ping, container_crate]
        bindings:
          - {role: user, users: ["*"]}
        """))
        .isInstanceOf(PolicyException.class)
        .hasMessage(
            "policy.yaml:3:21 roles.user.actions[1]: unknown action \"container_crate\" "
                + "(did you mean \"container_create\"?)");
  }

  @Test
  void load_unknownKey_isAnError() {
    assertThatThrownBy(
            () ->
                load(
                    """
        roles:
          user: {actions: [ping], bind_root: ["{home}"]}
        bindings: []
        """))
        .hasMessageContaining(
            "policy.yaml:2:27 roles.user.bind_root: unknown key "
                + "\"bind_root\" (did you mean \"bind_roots\"?)");
  }

  @Test
  void load_everyProblemReported() {
    assertThatThrownBy(
            () ->
                load(
                    """
        roles:
          user: {actions: [pong], passthrough: maybe}
        bindings:
          - {role: usr, users: [x]}
          - {role: user, groups: [nogroup]}
        extra: 1
        """))
        .isInstanceOfSatisfying(
            PolicyException.class,
            e ->
                assertThat(e.errors())
                    .hasSize(5)
                    .anySatisfy(m -> assertThat(m).contains("unknown action \"pong\""))
                    .anySatisfy(m -> assertThat(m).contains("passthrough: expected true or false"))
                    .anySatisfy(m -> assertThat(m).contains("unknown role \"usr\""))
                    .anySatisfy(m -> assertThat(m).contains("no such group \"nogroup\""))
                    .anySatisfy(m -> assertThat(m).contains("unknown key \"extra\"")));
  }

  @Test
  void load_dangerousBindRoot_refused() {
    for (String root :
        List.of("/", "/proc", "/var/run/docker", "relative", "{shell}/x", "/home/../etc")) {
      assertThatThrownBy(
              () ->
                  load(
                      "roles: {user: {actions: [ping], bind_roots: [\""
                          + root
                          + "\"]}}\nbindings: []\n"))
          .as(root)
          .hasMessageContaining("bind_roots[0]");
    }
  }

  @Test
  void load_limits_parsedWithUnits() throws Exception {
    Policy p =
        load(
            """
        roles:
          user:
            actions: [ping]
            limits:
              memory: {default: 512m, max: 4g}
              cpus: {default: 0.5, max: 2}
              pids: {max: 100}
        bindings: []
        """);
    var l = p.roles().get("user").limits();
    assertThat(l.memoryDefault()).isEqualTo(512L << 20);
    assertThat(l.memoryMax()).isEqualTo(4L << 30);
    assertThat(l.nanoCpusDefault()).isEqualTo(500_000_000L);
    assertThat(l.nanoCpusMax()).isEqualTo(2_000_000_000L);
    assertThat(l.pidsDefault()).isZero();
    assertThat(l.pidsMax()).isEqualTo(100);
  }

  @Test
  void load_shmTmpfsAndUlimits_parsedWithUnits() throws Exception {
    Policy p =
        load(
            """
        roles:
          user:
            actions: [ping]
            limits:
              shm: {default: 64m, max: 1g}
              tmpfs: {max: 2g}
              ulimits: {nofile: 1048576, core: 0, stack: 8m, rtprio: unlimited}
        bindings: []
        """);
    var l = p.roles().get("user").limits();
    assertThat(l.shmDefault()).isEqualTo(64L << 20);
    assertThat(l.shmMax()).isEqualTo(1L << 30);
    assertThat(l.tmpfsDefault()).isZero();
    assertThat(l.tmpfsMax()).isEqualTo(2L << 30);
    assertThat(l.ulimits())
        .containsEntry("nofile", 1048576L)
        .containsEntry("core", 0L)
        .containsEntry("stack", 8L << 20)
        .containsEntry("rtprio", Limits.UNLIMITED)
        .hasSize(4);
  }

  @Test
  void load_badShmTmpfsAndUlimits_located() {
    assertThatThrownBy(
            () ->
                load(
                    """
        roles:
          user:
            actions: [ping]
            limits:
              shm: {default: 2g, max: 1g}
              tmpfs: {max: huge}
              ulimits: {nofiles: 10, core: -5, nproc: [1]}
        bindings: []
        """))
        .isInstanceOfSatisfying(
            PolicyException.class,
            e ->
                assertThat(e.errors())
                    .anySatisfy(m -> assertThat(m).contains("shm default exceeds its maximum"))
                    .anySatisfy(
                        m ->
                            assertThat(m)
                                .contains("policy.yaml:6:")
                                .contains("limits.tmpfs.max: expected a positive"))
                    .anySatisfy(
                        m ->
                            assertThat(m)
                                .contains("limits.ulimits.nofiles: unknown key")
                                .contains("did you mean \"nofile\""))
                    .anySatisfy(
                        m ->
                            assertThat(m)
                                .contains("policy.yaml:7:")
                                .contains("limits.ulimits.core: expected a number"))
                    .anySatisfy(
                        m ->
                            assertThat(m)
                                .contains("limits.ulimits.nproc: expected a single value")));
  }

  @Test
  void load_bounds_perRoleAndNotSetIsNone() throws Exception {
    Policy p =
        load(
            """
        roles:
          user: {actions: [ping], bounds: {connections: 16, requests_in_flight: 4}}
          ci: {actions: [ping], bounds: {requests_in_flight: 64}}
          admin: {actions: all, passthrough: true}
        bindings: []
        """);
    assertThat(p.roles().get("user").bounds()).isEqualTo(new Bounds(16, 4));
    assertThat(p.roles().get("ci").bounds()).isEqualTo(new Bounds(0, 64));
    assertThat(p.roles().get("admin").bounds()).isEqualTo(Bounds.NONE);
  }

  @Test
  void defaults_embeddedPolicy_boundsUsersNotAdmin() {
    Policy p = PolicyDefaults.policy();
    assertThat(p.roleOf(ALICE))
        .hasValueSatisfying(r -> assertThat(r.bounds()).isEqualTo(new Bounds(256, 128)));
    assertThat(p.roles().get("admin").bounds()).isEqualTo(Bounds.NONE);
  }

  @Test
  void load_badBounds_located() {
    assertThatThrownBy(
            () ->
                load(
                    """
        roles:
          user:
            actions: [ping]
            bounds: {connections: 0, requests_in_flight: many, streams: 3}
          other: {actions: [ping], bounds: 5}
        bindings: []
        """))
        .isInstanceOfSatisfying(
            PolicyException.class,
            e ->
                assertThat(e.errors())
                    .anySatisfy(
                        m ->
                            assertThat(m)
                                .contains("policy.yaml:4:")
                                .contains(
                                    "roles.user.bounds.connections: expected a positive amount"))
                    .anySatisfy(
                        m ->
                            assertThat(m)
                                .contains(
                                    "roles.user.bounds.requests_in_flight: expected a positive amount, got \"many\""))
                    .anySatisfy(m -> assertThat(m).contains("unknown key \"streams\""))
                    .anySatisfy(
                        m ->
                            assertThat(m)
                                .contains(
                                    "roles.other.bounds: expected a mapping of connections and requests_in_flight")));
  }

  @Test
  void load_ulimitsNotAMapping_located() {
    assertThatThrownBy(
            () ->
                load(
                    """
        roles:
          user: {actions: [ping], limits: {ulimits: [nofile]}}
        bindings: []
        """))
        .isInstanceOfSatisfying(
            PolicyException.class,
            e ->
                assertThat(e.errors())
                    .anySatisfy(m -> assertThat(m).contains("limits.ulimits: expected a mapping")));
  }

  @Test
  void load_badLimits_located() {
    assertThatThrownBy(
            () ->
                load(
                    """
        roles:
          user:
            actions: [ping]
            limits: {memory: {default: lots}, cpus: {max: -1}, pids: {default: 10, max: 5},
                     disk: {max: 1}}
        bindings: []
        """))
        .isInstanceOfSatisfying(
            PolicyException.class,
            e ->
                assertThat(e.errors())
                    .anySatisfy(
                        m -> assertThat(m).contains("limits.memory.default: expected a positive"))
                    .anySatisfy(m -> assertThat(m).contains("limits.cpus.max: expected a positive"))
                    .anySatisfy(m -> assertThat(m).contains("pids default exceeds its maximum"))
                    .anySatisfy(m -> assertThat(m).contains("unknown key \"disk\"")));
  }

  @Test
  void load_duplicateYamlKey_refused() {
    assertThatThrownBy(
            () ->
                load(
                    """
        roles:
          user: {actions: [ping]}
          user: {actions: all, passthrough: true}
        bindings: []
        """))
        .isInstanceOf(PolicyException.class);
  }

  @Test
  void load_missingSections_reported() {
    assertThatThrownBy(() -> load("roles: {}\n")).hasMessageContaining("bindings: missing");
  }

  @Test
  void load_bindingWithoutSubjects_refused() {
    assertThatThrownBy(() -> load("roles: {user: {actions: [ping]}}\nbindings: [{role: user}]\n"))
        .hasMessageContaining("needs users or groups");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "roles: [a];;bindings: []|roles: expected a mapping of role names",
        "roles: {};;bindings: {}|bindings: expected a list of bindings",
        "roles: {user: [ping]};;bindings: []|roles.user: expected a mapping with actions",
        "roles: {User: {actions: [ping]}};;bindings: []|role names are lower-case",
        "roles: {user: {actions: [ping, ping]}};;bindings: []|listed twice",
        "roles: {user: {actions: {a: 1}}};;bindings: []|expected a list of actions or the word all",
        "roles: {user: {actions: [[ping]]}};;bindings: []|expected a single value",
        "roles: {user: {actions: [ping], bind_roots: /home}};;bindings: []|expected a list of directories",
        "roles: {user: {actions: [ping], limits: 5}};;bindings: []|expected a mapping of memory",
        "roles: {user: {actions: [ping], limits: {memory: 5}}};;bindings: []|expected a mapping with default",
        "roles: {user: {actions: [ping], limits: {memory: {max: 99999999999t}}}};;bindings: []|expected a positive",
        "roles: {user: {actions: [ping], limits: {cpus: {max: 1.5.5}}}};;bindings: []|expected a positive",
        "roles: {user: {actions: [ping], limits: {cpus: {max: 0.0000000001}}}};;bindings: []|expected a positive",
        "roles: {user: {actions: [ping], limits: {pids: {max: many}}}};;bindings: []|expected a positive",
        "roles: {user: {actions: [ping], scope: everyone}};;bindings: []|expected own, group or all",
        "roles: {user: {actions: all, passthrough: true, scope: own}};;bindings: []|a passthrough role reaches every object",
        "roles: {user: {actions: [ping], mode: enforcing}};;bindings: []|expected enforce or audit-only",
        "roles: {user: {actions: [ping], placement: job, cgroup_driver: upstart}};;bindings: []|expected cgroupfs or systemd",
        "roles: {user: {actions: [ping], allow: {min_host_port: 0}}};;bindings: []|expected a port number 1-65535",
        "roles: {user: {actions: [ping], allow: {min_host_port: 65536}}};;bindings: []|expected a port number 1-65535",
        "roles: {user: {actions: [ping], bounds: {connections: 2147483648}}};;bindings: []|expected at most 2147483647",
        "roles: {user: {actions: [ping], bounds: {requests_in_flight: 0}}};;bindings: []|expected a positive amount, got \"0\"",
        "roles: {user: {actions: [ping], limits: {memory: {max: 99999999999999999999}}}};;bindings: []|expected a positive",
        "roles: {user: {actions: [ping], limits: {cpus: {max: 99999999999}}}};;bindings: []|expected a positive",
        "roles: {user: {actions: [ping]}};;bindings: [user]|expected a mapping with role",
        "roles: {user: {actions: [ping]}};;bindings: [{role: user, users: alice}]|users: expected a list",
        "roles: {user: {actions: [ping]}};;bindings: [{role: user, groups: [boom]}]|cannot look up group",
        "profiles: [a];;roles: {};;bindings: []|profiles: expected a mapping of profile names to profiles",
        "profiles: {Bad: {}};;roles: {};;bindings: []|profile names are lower-case letters",
        "profiles: {p: [x]};;roles: {};;bindings: []|profiles.p: expected a mapping with",
        "profiles: {p: {device_requests: [x]}};;roles: {};;bindings: []|profiles.p.device_requests[0]: expected a mapping with",
        "profiles: {p: {device_requests: [{count: 0}]}};;roles: {};;bindings: []|profiles.p.device_requests[0].count: expected a positive number or all",
        "profiles: {p: {device_requests: [{count: many}]}};;roles: {};;bindings: []|profiles.p.device_requests[0].count: expected a positive number or all",
        "profiles: {p: {device_requests: gpu}};;roles: {};;bindings: []|profiles.p.device_requests: expected a list of device requests",
        "[1, 2]|expected a mapping with roles and bindings",
        "roles: {user: {actions: [ping]}};;bindings: [{role: user, users: [a], users: [b]}]|users",
        "'roles: {user: {actions: [ping]}'|not valid YAML"
      })
  void load_malformedPolicy_located(String yaml, String message) {
    PolicyLoader.GroupResolver failing =
        g -> {
          if (g.equals("boom")) {
            throw new IllegalStateException("ldap down");
          }
          return Optional.empty();
        };
    assertThatThrownBy(() -> PolicyLoader.load(yaml.replace(";;", "\n"), "p.yaml", failing))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(message)
        .hasMessageContaining("p.yaml");
  }

  @Test
  void load_fromFile_namesTheFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("policy.yaml");
    Files.writeString(f, "roles: {user: {actions: [pong]}}\nbindings: []\n");
    assertThatThrownBy(() -> PolicyLoader.load(f, GROUPS)).hasMessageStartingWith(f + ":1:");
    Files.writeString(f, "roles: {user: {actions: [ping]}}\nbindings: []\n");
    assertThat(PolicyLoader.load(f, GROUPS).source()).isEqualTo(f.toString());
  }

  @Test
  void load_memoryUnits() throws Exception {
    for (String[] c :
        new String[][] {
          {"1024", "1024"},
          {"2k", "2048"},
          {"1kb", "1024"},
          {"3m", "3145728"},
          {"1t", "1099511627776"}
        }) {
      Policy p =
          load(
              "roles: {user: {actions: [ping], limits: {memory: {max: "
                  + c[0]
                  + "}}}}\nbindings: []\n");
      assertThat(p.roles().get("user").limits().memoryMax())
          .as(c[0])
          .isEqualTo(Long.parseLong(c[1]));
    }
  }

  @Test
  void suggestion_onlyForCloseWords() {
    assertThat(PolicyLoader.suggestion("pong", List.of("ping", "system_info")))
        .isEqualTo(" (did you mean \"ping\"?)");
    assertThat(PolicyLoader.suggestion("xyzzy", List.of("ping"))).isEmpty();
    assertThat(
            PolicyLoader.suggestion(
                "container_crate", List.of("container_create", "container_stats")))
        .contains("container_create");
    assertThat(PolicyLoader.suggestion("ab", List.of("abcd"))).contains("abcd");
    assertThat(PolicyLoader.suggestion("ab", List.of("abcde"))).isEmpty();
  }

  @Test
  void load_validBindRoots_kept() throws Exception {
    Policy p =
        load(
            "roles: {user: {actions: [ping], bind_roots: [\"{home}\", \"/scratch/{user}\","
                + " /data]}}\nbindings: []\n");
    assertThat(p.roles().get("user").bindRoots())
        .containsExactly("{home}", "/scratch/{user}", "/data");
  }

  @Test
  void roleOf_firstMatchingBindingWins() throws Exception {
    Policy p =
        load(
            """
        roles:
          admin: {actions: all, passthrough: true}
          user: {actions: [ping]}
        bindings:
          - {role: user, users: [alice]}
          - {role: admin, groups: [lab]}
        """);
    assertThat(p.roleOf(ALICE).orElseThrow().name()).isEqualTo("user");
  }

  @Test
  void load_valuesAtTheirLimits_accepted() throws Exception {
    Policy p =
        load(
            """
            roles:
              user:
                actions: [ping]
                mode: enforce
                allow: {min_host_port: 65535}
                bounds: {connections: 2147483647, requests_in_flight: 1}
                limits: {memory: {max: 8388607t}}
              low:
                actions: [ping]
                allow: {min_host_port: 1}
            bindings: []
            """);
    Role user = p.roles().get("user");
    assertThat(user.auditOnly()).isFalse();
    assertThat(user.allow().minHostPort()).isEqualTo(65535);
    assertThat(user.bounds()).isEqualTo(new Bounds(Integer.MAX_VALUE, 1));
    assertThat(user.limits().memoryMax()).isEqualTo(8388607L << 40);
    assertThat(p.roles().get("low").allow().minHostPort()).isEqualTo(1);
  }
}
