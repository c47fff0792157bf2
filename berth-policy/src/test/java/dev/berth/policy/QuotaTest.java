package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ALICE_CONTAINER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.yaml.PolicyLoader;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Issue #8: per-user quotas on running containers, memory, CPUs and PIDs. */
class QuotaTest {
  private static final String SECOND = "5ec" + "8".repeat(61);
  private static final long GIB = 1L << 30;

  private static PolicyEngine engine(String quota) throws Exception {
    return new PolicyEngine(
        PolicyLoader.load(
            """
        roles:
          user:
            actions: [container_start, container_restart, container_create]
            limits: {memory: {default: 1g}}
            quota: %s
        bindings: [{role: user, users: ["*"]}]
        """
                .formatted(quota),
            "t.yaml",
            g -> Optional.empty()),
        Fixtures.HOST);
  }

  /** alice has "abc" running (1 GiB) and a second, stopped container "second". */
  private static FakeObjects objects(long secondMemory) {
    return Fixtures.objects()
        .container(SECOND, "second", FakeObjects.owner(1001))
        .usage(new ContainerUsage(ALICE_CONTAINER, true, GIB, 0, 100))
        .usage(new ContainerUsage(SECOND, false, secondMemory, 0, 100));
  }

  private static Decision start(PolicyEngine e, FakeObjects objects) {
    return Fixtures.decide(e, objects, ALICE, "POST", "/containers/second/start", null);
  }

  @Test
  void containers_nPlusOneth_refused() throws Exception {
    Decision d = start(engine("{containers: 1}"), objects(GIB));
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason())
        .contains("quota exceeded")
        .contains("limited to 1 (1 running)");
    assertThat(start(engine("{containers: 2}"), objects(GIB))).isInstanceOf(Decision.Allow.class);
  }

  @Test
  void memory_sumAboveQuota_refused() throws Exception {
    assertThat(start(engine("{memory: 2g}"), objects(GIB))).isInstanceOf(Decision.Allow.class);
    Decision d = start(engine("{memory: 2g}"), objects(2 * GIB));
    assertThat(((Decision.Deny) d).reason()).contains("memory (bytes) are limited to " + 2 * GIB);
  }

  @Test
  void memory_containerWithoutLimit_refusedUnderQuota() throws Exception {
    Decision d = start(engine("{memory: 8g}"), objects(0));
    assertThat(((Decision.Deny) d).reason()).contains("has no --memory limit");
  }

  @Test
  void alreadyRunning_notCountedTwice() throws Exception {
    assertThat(
            Fixtures.decide(
                engine("{containers: 1}"),
                objects(GIB),
                ALICE,
                "POST",
                "/containers/abc/restart",
                null))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void othersContainers_notInCallersQuota() throws Exception {
    FakeObjects o = objects(GIB).usage(new ContainerUsage(Fixtures.BOB_CONTAINER, true, GIB, 0, 0));
    assertThat(start(engine("{containers: 2}"), o)).isInstanceOf(Decision.Allow.class);
  }

  @Test
  void cpusAndPids_sumAboveQuota_refused() throws Exception {
    FakeObjects o =
        Fixtures.objects()
            .container(SECOND, "second", FakeObjects.owner(1001))
            .usage(new ContainerUsage(ALICE_CONTAINER, true, GIB, 1_000_000_000L, 100))
            .usage(new ContainerUsage(SECOND, false, GIB, 1_500_000_000L, 200));
    assertThat(((Decision.Deny) start(engine("{cpus: 2}"), o)).reason())
        .contains("CPUs (x10^9) are limited to 2000000000");
    assertThat(start(engine("{cpus: 2.5}"), o)).isInstanceOf(Decision.Allow.class);
    assertThat(((Decision.Deny) start(engine("{pids: 250}"), o)).reason())
        .contains("PIDs are limited to 250");
    assertThat(start(engine("{pids: 300}"), o)).isInstanceOf(Decision.Allow.class);
  }

  @Test
  void activeContainerWithoutLimit_countsAsZero() throws Exception {
    FakeObjects o =
        Fixtures.objects()
            .container(SECOND, "second", FakeObjects.owner(1001))
            .usage(new ContainerUsage(ALICE_CONTAINER, true, 0, 0, 0))
            .usage(new ContainerUsage(SECOND, false, GIB, 0, 100));
    assertThat(start(engine("{memory: 1g}"), o)).isInstanceOf(Decision.Allow.class);
  }

  @Test
  void theStartingContainerIsNotCountedTwice() throws Exception {
    // a daemon that already lists the starting container as active (a race) must not make the
    // caller pay for it twice
    FakeObjects o =
        new FakeObjects() {
          @Override
          public List<ContainerUsage> active(String label) {
            return List.of(new ContainerUsage(SECOND, true, GIB, 0, 100));
          }
        };
    o.container(SECOND, "second", FakeObjects.owner(1001))
        .usage(new ContainerUsage(SECOND, false, GIB, 0, 100));
    assertThat(start(engine("{containers: 1, memory: 1g}"), o)).isInstanceOf(Decision.Allow.class);
  }

  @Test
  void quota_invalidAmount_reportedWithPlace() {
    assertThatThrownBy(() -> engine("{memory: lots}"))
        .hasMessageContaining("roles.user.quota.memory");
  }

  @Test
  void restart_runningContainerWhileOverQuota_allowed() throws Exception {
    // the quota was lowered while two ran: what runs already may still be restarted
    FakeObjects o =
        Fixtures.objects()
            .container(SECOND, "second", FakeObjects.owner(1001))
            .usage(new ContainerUsage(ALICE_CONTAINER, true, GIB, 0, 100))
            .usage(new ContainerUsage(SECOND, true, GIB, 0, 100));
    assertThat(
            Fixtures.decide(
                engine("{containers: 1}"), o, ALICE, "POST", "/containers/abc/restart", null))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void activeContainerReportingMinusOne_neverLowersTheCount() throws Exception {
    // PidsLimit -1 is "unlimited": it counts as zero, not as one less
    String third = "7d1" + "9".repeat(61);
    FakeObjects o =
        Fixtures.objects()
            .container(SECOND, "second", FakeObjects.owner(1001))
            .container(third, "third", FakeObjects.owner(1001))
            .usage(new ContainerUsage(ALICE_CONTAINER, true, -1, -1, -1))
            .usage(new ContainerUsage(third, true, GIB, 1_000_000_000L, 100))
            .usage(new ContainerUsage(SECOND, false, GIB, 1_000_000_000L, 100));
    assertThat(start(engine("{memory: " + (2 * GIB - 1) + "}"), o))
        .isInstanceOf(Decision.Deny.class);
    assertThat(start(engine("{cpus: 1.999999999}"), o)).isInstanceOf(Decision.Deny.class);
    assertThat(start(engine("{pids: 199}"), o)).isInstanceOf(Decision.Deny.class);
  }
}
