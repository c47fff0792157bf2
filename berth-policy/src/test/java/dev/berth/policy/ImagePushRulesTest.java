package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.BOB;
import static dev.berth.policy.Fixtures.ENGINE;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyException;
import dev.berth.policy.yaml.PolicyLoader;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: {@code docker push} of an image a user made, under the name the user gave it (the
 * daemon holds that name, hidden from everyone else, for the push's duration), and shared
 * repositories only administrators may write ({@code images.protected_repositories}).
 */
class ImagePushRulesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** An image alice made, tagged {@code 127.0.0.1:5000/alice/app:1} in her namespace. */
  private static final String ALICE_APP = "sha256:" + "a".repeat(64);

  /** What the registry had under that name, pulled before: the shared tag. */
  private static final String PULLED = "sha256:" + "b".repeat(64);

  private static final String NAME = "127.0.0.1:5000/alice/app:1";
  private static final String ALICE_DAEMON_NAME = "berth.invalid/u1001/127.0.0.1__5000/alice/app:1";
  private static final String PUSH = "/images/127.0.0.1:5000/alice/app/push?tag=1";

  private static FakeObjects host() {
    return Fixtures.objects()
        .image(ALICE_APP, FakeObjects.owner(1001), Map.of(ALICE_DAEMON_NAME, Optional.empty()));
  }

  private static Decision decide(FakeObjects objects, Principal who, String method, String target) {
    return Fixtures.decide(ENGINE, objects, who, method, target, null);
  }

  private static Decision.Allow allowed(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static Decision.Deny denied(Decision d, Decision.Status status) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).as(d.toString()).isEqualTo(status);
    return (Decision.Deny) d;
  }

  private static void perform(Decision.Allow a, ObjectDirectory objects) throws LookupException {
    for (Effect e : a.effects()) {
      assertThat(e.perform(objects)).isEmpty();
    }
  }

  private static void release(Decision.Allow a, ObjectDirectory objects) throws LookupException {
    FollowUp.ReleaseTag r = (FollowUp.ReleaseTag) a.followUp();
    objects.releaseTag(r.tag(), r.imageId());
  }

  @Test
  void push_ownImage_forwardsTheRealNameOfTheJudgedImage() throws Exception {
    FakeObjects objects = host();
    Decision.Allow a = allowed(decide(objects, ALICE, "POST", PUSH));
    assertThat(a.forward().path()).isEqualTo("/images/127.0.0.1:5000/alice/app/push");
    assertThat(a.forward().query().get("tag")).hasValue("1");
    assertThat(a.effects())
        .containsExactly(
            new Effect.HoldTag(NAME, ALICE_APP, new Owner(1001, -1)),
            new Effect.TagImage(ALICE_APP, NAME));
    assertThat(a.followUp()).isEqualTo(new FollowUp.ReleaseTag(NAME, ALICE_APP));
    perform(a, objects);
    assertThat(objects.image(NAME).orElseThrow().id()).isEqualTo(ALICE_APP);
    release(a, objects);
    assertThat(objects.image(NAME).filter(i -> i.tags().containsKey(NAME))).isEmpty();
    assertThat(objects.holds()).isEmpty();
    assertThat(objects.image(ALICE_APP).orElseThrow().tags()).containsOnlyKeys(ALICE_DAEMON_NAME);
  }

  @Test
  void push_tempTag_invisibleToOtherUser() throws Exception {
    FakeObjects objects = host();
    perform(allowed(decide(objects, ALICE, "POST", PUSH)), objects);
    for (String path :
        new String[] {
          "/images/" + NAME + "/json", "/images/" + NAME + "/history", "/images/" + NAME + "/get"
        }) {
      denied(decide(objects, BOB, "GET", path), Decision.Status.NOT_FOUND);
    }
    denied(
        Fixtures.decide(
            ENGINE, objects, BOB, "POST", "/containers/create", "{\"Image\":\"" + NAME + "\"}"),
        Decision.Status.NOT_FOUND);
    denied(
        decide(objects, BOB, "POST", "/images/" + NAME + "/tag?repo=bobs&tag=1"),
        Decision.Status.NOT_FOUND);
    denied(decide(objects, BOB, "DELETE", "/images/" + NAME), Decision.Status.NOT_FOUND);
    denied(
        decide(objects, BOB, "POST", "/images/create?fromImage=127.0.0.1:5000/alice/app&tag=1"),
        Decision.Status.FORBIDDEN);
    JsonNode list =
        JSON.readTree(
            "[{\"Id\":\""
                + ALICE_APP
                + "\",\"RepoTags\":[\""
                + ALICE_DAEMON_NAME
                + "\",\""
                + NAME
                + "\"]}]");
    Decision.Allow bobsList = allowed(decide(objects, BOB, "GET", "/images/json"));
    assertThat(((FollowUp.FilterResponse) bobsList.followUp()).filter().apply(list)).isEmpty();
    Decision.Allow alicesList = allowed(decide(objects, ALICE, "GET", "/images/json"));
    assertThat(((FollowUp.FilterResponse) alicesList.followUp()).filter().apply(list).toString())
        .contains(NAME)
        .doesNotContain("berth.invalid");
  }

  @Test
  void push_tempTagWithoutTheHold_wouldBeSeenByOthers() throws Exception {
    // The control of the test above: the tag alone, without the hold, is a shared name.
    FakeObjects objects = host();
    objects.tagImage(ALICE_APP, NAME);
    allowed(decide(objects, BOB, "GET", "/images/" + NAME + "/json"));
  }

  @Test
  void push_otherUsersImage_refused() {
    FakeObjects objects = host();
    denied(decide(objects, BOB, "POST", PUSH), Decision.Status.NOT_FOUND);
    denied(
        decide(
            objects, BOB, "POST", "/images/" + ALICE_DAEMON_NAME.replace(":1", "") + "/push?tag=1"),
        Decision.Status.NOT_FOUND);
    denied(
        decide(objects, BOB, "POST", "/images/" + ALICE_APP + "/push"), Decision.Status.NOT_FOUND);
  }

  @Test
  void push_secondPushOfTheSameName_conflict() throws Exception {
    FakeObjects objects =
        host()
            .image(
                "sha256:" + "c".repeat(64),
                FakeObjects.owner(1002),
                Map.of("berth.invalid/u1002/127.0.0.1__5000/alice/app:1", Optional.empty()));
    Decision.Allow alices = allowed(decide(objects, ALICE, "POST", PUSH));
    Decision.Allow bobs = allowed(decide(objects, BOB, "POST", PUSH)); // judged before the hold
    perform(alices, objects);
    denied(decide(objects, BOB, "POST", PUSH), Decision.Status.FORBIDDEN);
    Optional<Decision.Deny> refused = bobs.effects().get(0).perform(objects);
    assertThat(refused).isPresent();
    assertThat(refused.get().status()).isEqualTo(Decision.Status.CONFLICT);
    assertThat(objects.image(NAME).orElseThrow().id())
        .as("alice's image stays")
        .isEqualTo(ALICE_APP);
  }

  @Test
  void push_overAPulledSharedTag_sharedTagRestoredAfterwards() throws Exception {
    FakeObjects objects = host().pulled(PULLED, Map.of(NAME, FakeObjects.owner(1002)), List.of());
    Decision.Allow a = allowed(decide(objects, ALICE, "POST", PUSH));
    perform(a, objects);
    denied(decide(objects, BOB, "GET", "/images/" + NAME + "/json"), Decision.Status.NOT_FOUND);
    release(a, objects);
    assertThat(objects.image(NAME).orElseThrow().id()).isEqualTo(PULLED);
    allowed(decide(objects, BOB, "GET", "/images/" + NAME + "/json"));
  }

  @Test
  void push_releaseAfterTheNameMovedOn_leavesTheNewTag() throws Exception {
    FakeObjects objects = host().pulled(PULLED, Map.of(), List.of());
    Decision.Allow a = allowed(decide(objects, ALICE, "POST", PUSH));
    perform(a, objects);
    objects.tagImage(PULLED, NAME); // a pull judged before the hold finished during the push
    release(a, objects);
    assertThat(objects.image(NAME).orElseThrow().id()).isEqualTo(PULLED);
    assertThat(objects.holds()).isEmpty();
  }

  @Test
  void push_sharedNameAnotherUserMadeBeforeNamespaces_refused() {
    FakeObjects objects =
        host()
            .pulled(PULLED, Map.of(NAME, FakeObjects.owner(1002)), List.of())
            .held(NAME, new Owner(1002, -1));
    Decision.Deny d = denied(decide(objects, ALICE, "POST", PUSH), Decision.Status.FORBIDDEN);
    assertThat(d.reason()).contains("another user");
  }

  @Test
  void push_everyTagOfOwnImage_refused() {
    Decision.Deny d =
        denied(
            decide(
                host()
                    .image(
                        "sha256:" + "d".repeat(64),
                        FakeObjects.owner(1001),
                        Map.of(ALICE_DAEMON_NAME.replace(":1", ":latest"), Optional.empty())),
                ALICE,
                "POST",
                "/images/127.0.0.1:5000/alice/app/push"),
            Decision.Status.FORBIDDEN);
    assertThat(d.reason())
        .contains("docker push -a")
        .contains("docker push 127.0.0.1:5000/alice/app:TAG");
  }

  @Test
  void push_allTagsOfASharedRepositoryThatHoldsAnotherUsersPush_refused() {
    // bob pulled tool:1; alice's push of tool:2 is under way, so the daemon holds tool:2 for her
    FakeObjects objects =
        host()
            .image(
                "sha256:" + "e".repeat(64),
                Optional.empty(),
                Map.of("127.0.0.1:5000/alice/app:2", FakeObjects.owner(1001)))
            .image(
                "sha256:" + "f".repeat(64),
                Optional.empty(),
                Map.of("127.0.0.1:5000/alice/app:latest", FakeObjects.owner(1002)));
    Decision.Deny d =
        denied(
            decide(objects, BOB, "POST", "/images/127.0.0.1:5000/alice/app/push"),
            Decision.Status.FORBIDDEN);
    assertThat(d.reason()).contains("docker push -a");
  }

  @Test
  void push_administrator_passesAsSent() {
    Decision.Allow a = allowed(decide(host(), ROOT, "POST", PUSH));
    assertThat(a.effects()).isEmpty();
    assertThat(a.followUp()).isEqualTo(FollowUp.NONE);
  }

  private static PolicyEngine protecting(String... patterns) throws PolicyException {
    String yaml =
        PolicyDefaults.text()
            .replace(
                "protected_repositories: []",
                "protected_repositories: [" + String.join(", ", patterns) + "]");
    return new PolicyEngine(
        PolicyLoader.load(yaml, "t.yaml", g -> Optional.empty()), Fixtures.HOST);
  }

  @Test
  void pull_protectedRepository_refusedForUser() throws Exception {
    PolicyEngine engine = protecting("\"docker.io/library/*\"", "\"registry.site.edu/base/*\"");
    for (String pull :
        new String[] {
          "fromImage=busybox&tag=latest",
          "fromImage=docker.io/library/python&tag=3.12",
          "fromImage=index.docker.io/library/busybox:1",
          "fromImage=registry.site.edu/base/cuda&tag=12"
        }) {
      Decision.Deny d =
          denied(
              Fixtures.decide(
                  engine, Fixtures.objects(), ALICE, "POST", "/images/create?" + pull, null),
              Decision.Status.FORBIDDEN);
      assertThat(d.rule()).isEqualTo("protected_repository");
      assertThat(d.reason()).contains("only administrators may pull into it");
    }
    allowed(
        Fixtures.decide(
            engine,
            Fixtures.objects(),
            ALICE,
            "POST",
            "/images/create?fromImage=registry.site.edu/lab/tool&tag=1",
            null));
    allowed(
        Fixtures.decide(
            engine,
            Fixtures.objects(),
            ALICE,
            "POST",
            "/images/create?fromImage=busybox@sha256:" + "e".repeat(64),
            null));
    allowed(
        Fixtures.decide(
            engine,
            Fixtures.objects(),
            ROOT,
            "POST",
            "/images/create?fromImage=busybox&tag=latest",
            null));
  }

  @Test
  void pull_withoutProtectedRepositories_allowed() {
    assertThat(PolicyDefaults.policy().protectedRepositories()).isEmpty();
    allowed(decide(Fixtures.objects(), ALICE, "POST", "/images/create?fromImage=busybox&tag=1"));
  }

  @Test
  void policy_protectedRepositories_badPatternAndUnknownKey_reportedWithTheirPlace() {
    try {
      protecting("\"busybox\"");
      throw new AssertionError("loaded");
    } catch (PolicyException e) {
      assertThat(e.getMessage()).contains("images.protected_repositories[0]").contains("busybox");
    }
    try {
      PolicyLoader.load(
          PolicyDefaults.text().replace("protected_repositories:", "protected:"),
          "t.yaml",
          g -> Optional.empty());
      throw new AssertionError("loaded");
    } catch (PolicyException e) {
      assertThat(e.getMessage()).contains("images.protected").contains("unknown key");
    }
  }
}
