package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.Decision;
import dev.berth.policy.HostPaths;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.yaml.PolicyException;
import dev.berth.policy.yaml.PolicyLoader;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Per-user bounds from the caller's role ({@code roles.<role>.bounds}): the role may lower berth's
 * host-wide bounds for its holders, never raise them; the 429 names the rule that set the bound; a
 * reload applies to connections opened after it.
 */
class RoleBoundsTest {
  private static final Principal ALICE = PipelineFixture.ALICE;
  private static final Principal BOB =
      new Principal(1002, 1002, 4243, "bob", "/home/bob", List.of(1002), 1002);
  private static final ClientBounds HOST =
      new ClientBounds(8, 8, Duration.ofSeconds(30), Duration.ofMinutes(5));
  private static final String PING = "GET /v1.51/_ping HTTP/1.1\r\nHost: berth\r\n\r\n";

  private static PolicyEngine policy(int aliceConnections, int aliceRequests)
      throws PolicyException {
    return new PolicyEngine(
        PolicyLoader.load(
            """
        roles:
          user:
            actions: [ping]
            bounds: {connections: %d, requests_in_flight: %d}
          ci:
            actions: [ping]
            bounds: {connections: 100000}
        bindings:
          - {role: user, users: [alice]}
          - {role: ci, users: [bob]}
        """
                .formatted(aliceConnections, aliceRequests),
            "policy.yaml",
            g -> Optional.empty()),
        HostPaths.local());
  }

  @Test
  void capsOf_roleBelowTheHostBound_roleRuleInForce() throws Exception {
    var caps = HOST.capsOf(policy(2, 3).policy().roleOf(ALICE));
    assertThat(caps)
        .isEqualTo(
            new ClientBounds.Caps(
                2, "roles.user.bounds.connections", 3, "roles.user.bounds.requests_in_flight"));
  }

  @Test
  void capsOf_roleAboveTheHostBoundOrUnset_hostBoundInForce() throws Exception {
    var caps = HOST.capsOf(policy(2, 3).policy().roleOf(BOB));
    assertThat(caps)
        .isEqualTo(
            new ClientBounds.Caps(8, ClientBounds.HOST_CONNECTIONS, 8, ClientBounds.HOST_REQUESTS));
    assertThat(HOST.capsOf(Optional.empty()).connections()).isEqualTo(8);
  }

  @Test
  void aliceAtHerRoleConnectionBound_refused429NamingTheRule_bobServed() throws Exception {
    try (PipelineFixture f = new PipelineFixture(inForce(policy(1, 8)))) {
      f.connection(HOST).openFor(ALICE); // her one connection, held open
      f.start();
      f.conn.openFor(ALICE);
      f.send(PING);
      assertThat(f.answer())
          .startsWith("HTTP/1.1 429")
          .contains("you have 1 connections open to berth")
          .contains("(roles.user.bounds.connections)");
      assertThat(f.decisions)
          .singleElement()
          .satisfies(d -> assertThat(d.rule()).isEqualTo("roles.user.bounds.connections"));
      ClientConnection bobs = f.connection(HOST);
      bobs.openFor(BOB);
      assertThat(bobs.overLimit).isNull();
    }
  }

  @Test
  void aliceAtHerRoleRequestBound_refused429NamingTheRule() throws Exception {
    try (PipelineFixture f = new PipelineFixture(inForce(policy(8, 1)))) {
      assertThat(f.userBounds.startRequest(ALICE.uid(), 1)).isTrue(); // a logs -f in flight
      f.start();
      f.conn.openFor(ALICE);
      f.send(PING);
      assertThat(f.answer())
          .startsWith("HTTP/1.1 429")
          .contains("1 requests in flight")
          .contains("(roles.user.bounds.requests_in_flight)");
      assertThat(f.decisions)
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d).isInstanceOf(Decision.Deny.class);
                assertThat(d.rule()).isEqualTo("roles.user.bounds.requests_in_flight");
              });
    }
  }

  @Test
  void reload_raisedRoleBound_appliesToNewConnections() throws Exception {
    AtomicReference<PolicyEngine> engine = new AtomicReference<>(policy(1, 8));
    try (PipelineFixture f = new PipelineFixture(engine::get)) {
      ClientConnection first = f.connection(HOST);
      first.openFor(ALICE);
      ClientConnection second = f.connection(HOST);
      second.openFor(ALICE);
      assertThat(first.overLimit).isNull();
      assertThat(second.overLimit).isNotNull();
      engine.set(policy(3, 8));
      ClientConnection third = f.connection(HOST);
      third.openFor(ALICE);
      assertThat(third.overLimit).isNull();
      assertThat(f.userBounds.connections(ALICE.uid())).isEqualTo(2);
    }
  }

  private static Supplier<PolicyEngine> inForce(PolicyEngine engine) {
    return () -> engine;
  }
}
