package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.it.Tenants.Container;
import dev.berth.it.Tenants.Estate;
import dev.berth.it.Tenants.Kind;
import dev.berth.it.Tenants.Ref;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * Ownership (issue #5) survives restarts: a new berth on the same {@code --state-dir} still knows
 * who owns each exec and image tag, and after the daemon restarts, containers, volumes and networks
 * still carry their owners' labels. After each restart the whole refusal matrix of {@link
 * IsolationIT} (alice on every one of bob's objects) holds again, and the owners still reach their
 * own. The berth that was running when the daemon went away is the one tested after it came back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IsolationRestartIT {
  private Tenants t;
  private String alicesTag;

  @BeforeAll
  void tenants() {
    if (ItEnvironment.problem() != null && !ItEnvironment.isCi()) {
      return; // each test is skipped in environment(), so that the report counts them
    }
    t = Tenants.open();
    alicesTag = t.imageRef("alice-tag");
    Tenants.assertOk(t.as(t.alice, "tag", t.image, alicesTag));
  }

  @BeforeEach
  void environment() {
    ItEnvironment.require();
  }

  @AfterAll
  void removeTenants() {
    if (t != null) {
      t.close();
    }
  }

  @Test
  @Order(1)
  void berthRestart_onTheSameStateDir_keepsExecAndTagOwnersAndTheMatrix() {
    String exec = Tenants.execState(t.bobExec);
    t.restartBerth();

    List<Executable> checks = new ArrayList<>();
    for (String request :
        List.of("GET /exec/{e}/json", "POST /exec/{e}/start", "POST /exec/{e}/resize?h=24&w=80")) {
      checks.add(
          () -> {
            String[] mp = request.replace("{e}", t.bobExec).split(" ", 2);
            Tenants.Answer a =
                t.api(
                    t.alice,
                    mp[0],
                    mp[1],
                    mp[1].endsWith("/start") ? Tenants.json("{\"Detach\":true}") : null);
            assertThat(a.status())
                .as("alice on bob's exec after berth restarted: %s", a.describe())
                .isEqualTo(404);
            assertThat(a.body())
                .isEqualTo("{\"message\":\"berth: No such exec instance: " + t.bobExec + "\"}");
          });
    }
    checks.add(
        () -> {
          Tenants.Answer a = t.api(t.bob, "GET", "/exec/" + t.bobExec + "/json", null);
          assertThat(a.status())
              .as("bob on his own exec after berth restarted: %s", a.describe())
              .isEqualTo(200);
        });
    checks.add(
        () -> {
          Proc.Result r = t.as(t.bob, "rmi", alicesTag);
          assertThat(r.stderr())
              .as("bob removing alice's tag after berth restarted: %s", r.describe())
              .contains("Error response from daemon: berth: No such image: " + alicesTag);
        });
    checks.addAll(matrix());
    assertAll(checks.stream());
    assertThat(Tenants.execState(t.bobExec)).as("bob's exec never ran").isEqualTo(exec);

    Proc.Result own = t.as(t.alice, "rmi", alicesTag);
    assertThat(own.stdout())
        .as("alice removes her own tag after berth restarted: %s", own.describe())
        .contains("Untagged: " + alicesTag);
  }

  @Test
  @Order(2)
  @Timeout(300)
  void daemonRestart_withBerthRunning_keepsOwnerLabelsAndTheMatrix() {
    Optional<PrivateDaemon> daemon = PrivateDaemon.ofEnvironment();
    assumeTrue(daemon.isPresent(), PrivateDaemon::requirement);
    String before = labels();
    daemon.get().restart();
    assertThat(labels()).as("owner labels after the daemon restarted").isEqualTo(before);

    // The daemon stopped every container. alice cannot start bob's; each owner starts theirs.
    Container bobs = t.bobOwns.container(Kind.RUNNING);
    Proc.Result start = t.as(t.alice, "start", Ref.NAME.of(bobs));
    assertThat(start.stderr())
        .as(start.describe())
        .contains(ContainerProbe.MISSING + Ref.NAME.of(bobs));
    assertThat(Tenants.inspectContainer(bobs.id()).path("State").path("Running").asBoolean())
        .isFalse();
    Tenants.parallel(() -> revive(t.aliceOwns), () -> revive(t.bobOwns));

    assertAll(matrix().stream());
  }

  /** Brings an estate back to its states after a daemon restart, as its owner. */
  private void revive(Estate e) {
    for (Kind k : List.of(Kind.RUNNING, Kind.PAUSED)) {
      String status =
          Tenants.inspectContainer(e.container(k).id()).path("State").path("Status").asText();
      if (!status.equals("running") && !status.equals("paused")) {
        Tenants.assertOk(t.as(e.owner(), "start", e.container(k).name()));
      }
      if (k == Kind.PAUSED && !status.equals("paused")) {
        Tenants.assertOk(t.as(e.owner(), "pause", e.container(k).name()));
      }
    }
  }

  /** The labels of both users' containers, volumes and networks, as the daemon has them. */
  private String labels() {
    StringBuilder sb = new StringBuilder();
    for (Estate e : List.of(t.aliceOwns, t.bobOwns)) {
      for (Container c : e.containers().values()) {
        sb.append(c.name())
            .append(' ')
            .append(Tenants.inspectContainer(c.id()).path("Config").path("Labels"))
            .append('\n');
      }
      sb.append(e.volume())
          .append(' ')
          .append(Tenants.upstreamFormat("volume", e.volume(), "{{json .Labels}}"))
          .append('\n');
      sb.append(e.network())
          .append(' ')
          .append(Tenants.upstreamFormat("network", e.network(), "{{json .Labels}}"))
          .append('\n');
    }
    return sb.toString();
  }

  /**
   * The refusal matrix by name (alice on every one of bob's containers, his volume and his network;
   * lists), and the owners' side (alice reaches her own), as independent checks.
   */
  private List<Executable> matrix() {
    List<Executable> checks = new ArrayList<>();
    for (ContainerProbe p : ContainerProbe.all()) {
      checks.add(() -> p.assertRefused(t, t.alice, t.bobOwns, Ref.NAME));
      if (!p.changes() && !(p instanceof ContainerProbe.Attach)) {
        checks.add(() -> p.assertWorks(t, t.alice, t.aliceOwns, Ref.NAME));
      }
    }
    // By the daemon's names: a plain name is alice's own namespace (issue 13), where a volume
    // or container of that name would simply be hers (PrivateNamesTest covers that mapping).
    String v = Tenants.upstreamName("volume", t.bobOwns.volume());
    String n = Tenants.upstreamName("network", t.bobOwns.network());
    checks.add(() -> refused(t.alice, "get " + v + ": no such volume", "volume", "inspect", v));
    checks.add(() -> refused(t.alice, "network " + n + " not found", "network", "inspect", n));
    checks.add(
        () ->
            refused(
                t.alice,
                "network " + n + " not found",
                "network",
                "connect",
                n,
                t.aliceOwns.container(Kind.EXITED).name()));
    checks.add(
        () -> {
          Proc.Result ps = t.as(t.alice, "ps", "-a", "--format", "{{.Names}}");
          assertThat(Tenants.lines(ps))
              .as(ps.describe())
              .containsAll(names(t.aliceOwns))
              .doesNotContainAnyElementsOf(names(t.bobOwns));
        });
    checks.add(
        () -> {
          Proc.Result ls = t.as(t.alice, "volume", "ls", "-q");
          assertThat(Tenants.lines(ls))
              .as(ls.describe())
              .contains(t.aliceOwns.volume())
              .doesNotContain(v, t.bobOwns.volume());
        });
    checks.add(
        () -> {
          Proc.Result ls = t.as(t.alice, "network", "ls", "--format", "{{.Name}}");
          assertThat(Tenants.lines(ls))
              .as(ls.describe())
              .contains(t.aliceOwns.network())
              .doesNotContain(n, t.bobOwns.network());
        });
    checks.add(
        () -> {
          Proc.Result ps = t.as(t.root, "ps", "-a", "--format", "{{.Names}}");
          assertThat(Tenants.lines(ps))
              .as("root sees the daemon's names: %s", ps.describe())
              .containsAll(daemonNames(t.aliceOwns))
              .containsAll(daemonNames(t.bobOwns));
        });
    return checks;
  }

  private void refused(UnixUser who, String message, String... args) {
    Proc.Result r = t.as(who, args);
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("Error response from daemon: berth: " + message);
  }

  private static List<String> names(Estate e) {
    return e.containers().values().stream().map(Container::name).toList();
  }

  private static List<String> daemonNames(Estate e) {
    return e.containers().values().stream().map(Ref.NAME::of).toList();
  }
}
