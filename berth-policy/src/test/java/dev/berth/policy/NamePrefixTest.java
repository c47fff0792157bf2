package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.yaml.PolicyLoader;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Issue #5: optional per-user name prefixes keep users' container names apart. */
class NamePrefixTest {
  private static final String ALICE_WEB = "a1eb" + "7".repeat(60);

  private static PolicyEngine engine() throws Exception {
    return new PolicyEngine(
        PolicyLoader.load(
            """
        roles:
          user:
            name_prefix: "{user}-"
            actions: [container_create, container_stop, container_rename]
        bindings: [{role: user, users: ["*"]}]
        """,
            "t.yaml",
            g -> Optional.empty()),
        Fixtures.HOST);
  }

  private static FakeObjects objects() {
    return Fixtures.objects().container(ALICE_WEB, "alice-web", FakeObjects.owner(1001));
  }

  @Test
  void create_nameWithoutPrefix_getsIt() throws Exception {
    Decision.Allow a =
        (Decision.Allow)
            Fixtures.decide(
                engine(),
                objects(),
                ALICE,
                "POST",
                "/containers/create?name=job",
                "{\"Image\":\"x\"}");
    assertThat(a.forward().query().get("name")).hasValue("alice-job");
    assertThat(a.rewrites()).contains("name job is alice-job");
  }

  @Test
  void create_nameWithPrefix_prefixedAgain_soTheMappingIsOneToOne() throws Exception {
    Decision.Allow a =
        (Decision.Allow)
            Fixtures.decide(
                engine(),
                objects(),
                ALICE,
                "POST",
                "/containers/create?name=alice-job",
                "{\"Image\":\"x\"}");
    assertThat(a.forward().query().get("name")).hasValue("alice-alice-job");
  }

  @Test
  void reference_withoutPrefix_findsTheCallersContainerFirst() throws Exception {
    // bob's "bobweb" and alice's "alice-web": "web" means alice-web for alice
    Decision.Allow a =
        (Decision.Allow)
            Fixtures.decide(engine(), objects(), ALICE, "POST", "/containers/web/stop", null);
    assertThat(a.forward().path()).isEqualTo("/containers/" + ALICE_WEB + "/stop");
  }

  @Test
  void rename_newNameGetsThePrefix() throws Exception {
    Decision.Allow a =
        (Decision.Allow)
            Fixtures.decide(
                engine(), objects(), ALICE, "POST", "/containers/web/rename?name=site", null);
    assertThat(a.forward().query().get("name")).hasValue("alice-site");
  }

  @Test
  void loader_badPrefix_reported() {
    assertThatThrownBy(
            () ->
                PolicyLoader.load(
                    """
        roles: {user: {name_prefix: "{uid}/", actions: [ping]}}
        bindings: [{role: user, users: ["*"]}]
        """,
                    "t.yaml",
                    g -> Optional.empty()))
        .hasMessageContaining("roles.user.name_prefix");
  }
}
