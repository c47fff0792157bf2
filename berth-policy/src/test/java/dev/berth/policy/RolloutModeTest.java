package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.yaml.PolicyLoader;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Issue #8: rollout modes. A role in audit-only mode records would-be refusals and allows. */
class RolloutModeTest {
  private static PolicyEngine engine(String mode) throws Exception {
    return new PolicyEngine(
        PolicyLoader.load(
            """
        roles:
          user: {mode: %s, actions: [container_create, container_stop, ping]}
        bindings: [{role: user, users: ["*"]}]
        """
                .formatted(mode),
            "t.yaml",
            g -> Optional.empty()),
        Fixtures.HOST);
  }

  @Test
  void auditOnly_wouldBeRefusal_allowedAndRecordedAsSuch() throws Exception {
    Decision d =
        Fixtures.decide(
            engine("audit-only"),
            Fixtures.objects(),
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true}}");
    assertThat(d).isInstanceOf(Decision.Allow.class);
    assertThat(d.rule()).isEqualTo("audit_only");
    assertThat(((Decision.Allow) d).rewrites())
        .singleElement()
        .asString()
        .startsWith(
            "audit-only: would be refused by container_create: berth: " + "HostConfig.Privileged");
  }

  @Test
  void auditOnly_othersObjectAndUngrantedAction_allowedAndRecorded() throws Exception {
    PolicyEngine e = engine("audit-only");
    assertThat(
            Fixtures.decide(e, Fixtures.objects(), ALICE, "POST", "/containers/bobweb/stop", null)
                .rule())
        .isEqualTo("audit_only");
    assertThat(Fixtures.decide(e, Fixtures.objects(), ALICE, "GET", "/info", null).rule())
        .isEqualTo("audit_only");
  }

  @Test
  void auditOnly_malformedRequest_stillRefused() throws Exception {
    Decision d =
        Fixtures.decide(
            engine("audit-only"),
            Fixtures.objects(),
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"image\":\"y\"}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
  }

  @Test
  void auditOnly_lookupFailure_stillAnError() throws Exception {
    FakeObjects broken = Fixtures.objects();
    broken.broken = true;
    assertThat(
            Fixtures.decide(
                engine("audit-only"), broken, ALICE, "POST", "/containers/abc/stop", null))
        .isInstanceOf(Decision.Indeterminate.class);
  }

  @Test
  void enforce_isTheDefaultAndRefuses() throws Exception {
    assertThat(
            Fixtures.decide(
                engine("enforce"),
                Fixtures.objects(),
                ALICE,
                "POST",
                "/containers/create",
                "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true}}"))
        .isInstanceOf(Decision.Deny.class);
  }
}
