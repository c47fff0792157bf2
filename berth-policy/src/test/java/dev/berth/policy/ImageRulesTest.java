package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.BASE_IMAGE;
import static dev.berth.policy.Fixtures.BOB;
import static dev.berth.policy.Fixtures.ENGINE;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.rules.ImageAccess;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue #13: images users make are theirs; registry images are shared; a user's name never shadows
 * a shared one for anyone else.
 */
class ImageRulesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** An image alice made (committed) and tagged {@code python:3.12} in her namespace. */
  private static final String ALICE_MADE = "sha256:" + "a".repeat(64);

  /** The registry's python:3.12. */
  private static final String PYTHON = "sha256:" + "c".repeat(64);

  private static final String ALICE_PYTHON = "berth.invalid/u1001/docker.io/library/python:3.12";

  private static FakeObjects host() {
    return Fixtures.objects()
        .image(ALICE_MADE, FakeObjects.owner(1001), Map.of(ALICE_PYTHON, Optional.empty()))
        .image(PYTHON, Optional.empty(), Map.of("python:3.12", Optional.empty()));
  }

  private static Decision decide(
      FakeObjects objects, Principal who, String method, String target, String body) {
    return Fixtures.decide(ENGINE, objects, who, method, target, body);
  }

  private static Decision.Allow allowed(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static Decision.Deny denied(Decision d, Decision.Status status) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(status);
    return (Decision.Deny) d;
  }

  private static String image(Decision.Allow a) {
    return ((Body.Json) a.forward().body()).value().path("Image").asText();
  }

  @Test
  void tag_userTagsSharedName_othersStillRunTheShared() {
    Decision.Allow tag =
        allowed(
            decide(
                Fixtures.objects(),
                ALICE,
                "POST",
                "/images/busybox/tag?repo=python&tag=3.12",
                null));
    assertThat(tag.forward().query().get("repo"))
        .hasValue("berth.invalid/u1001/docker.io/library/python");
    assertThat(
            image(
                allowed(
                    decide(
                        host(), BOB, "POST", "/containers/create", "{\"Image\":\"python:3.12\"}"))))
        .isEqualTo("python:3.12");
  }

  @Test
  void run_ownTagResolvedFirst() {
    assertThat(
            image(
                allowed(
                    decide(
                        host(),
                        ALICE,
                        "POST",
                        "/containers/create",
                        "{\"Image\":\"python:3.12\"}"))))
        .isEqualTo(ALICE_PYTHON);
  }

  @Test
  void run_othersMadeImageById_notFound() {
    for (String ref : new String[] {ALICE_MADE, "aaaaaaaaaaaa", ALICE_PYTHON}) {
      denied(
          decide(host(), BOB, "POST", "/containers/create", "{\"Image\":\"" + ref + "\"}"),
          Decision.Status.NOT_FOUND);
    }
    assertThat(
            image(
                allowed(
                    decide(
                        host(),
                        ALICE,
                        "POST",
                        "/containers/create",
                        "{\"Image\":\"aaaaaaaaaaaa\"}"))))
        .isEqualTo(ALICE_MADE);
  }

  @ParameterizedTest
  @CsvSource({
    "GET,/json",
    "GET,/history",
    "GET,/get",
    "POST,/tag?repo=mine",
    "POST,/push?tag=latest", // without a tag, a push is -a: refused to users whatever it names
    "DELETE,"
  })
  void referenceById_othersMadeImage_notFound(String method, String rest) {
    for (String ref : new String[] {ALICE_MADE, "aaaa", ALICE_PYTHON}) {
      String path = "/images/" + ref + (rest == null ? "" : rest);
      denied(decide(host(), BOB, method, path, null), Decision.Status.NOT_FOUND);
    }
  }

  @Test
  void save_byQueryName_othersMadeImage_notFound_ownResolved() {
    denied(
        decide(host(), BOB, "GET", "/images/get?names=" + ALICE_MADE, null),
        Decision.Status.NOT_FOUND);
    assertThat(
            allowed(decide(host(), ALICE, "GET", "/images/get?names=python:3.12", null))
                .forward()
                .query()
                .get("names"))
        .hasValue(ALICE_PYTHON);
  }

  /**
   * {@code docker save python} saves every tag of the repository on the daemon: through berth,
   * every tag of it the caller may read (own first, then shared; never another user's).
   */
  @Test
  void save_repositoryWithoutTag_everyTagTheCallerMayRead() {
    FakeObjects objects =
        host()
            .image(
                "sha256:" + "d".repeat(64),
                Optional.empty(),
                Map.of("python:3.11", Optional.empty()))
            .image(
                "sha256:" + "e".repeat(64),
                Optional.empty(),
                Map.of("python:3.10", Optional.empty()))
            .held("python:3.10", FakeObjects.owner(1002).get())
            .image(
                "sha256:" + "f".repeat(64),
                FakeObjects.owner(1002),
                Map.of("berth.invalid/u1002/docker.io/library/python:3.9", Optional.empty()));
    assertThat(
            allowed(decide(objects, ALICE, "GET", "/images/get?names=python", null))
                .forward()
                .query()
                .getAll("names"))
        .containsExactly(ALICE_PYTHON, "python:3.11");
    assertThat(
            allowed(decide(objects, BOB, "GET", "/images/get?names=docker.io/library/python", null))
                .forward()
                .query()
                .getAll("names"))
        .containsExactly(
            "berth.invalid/u1002/docker.io/library/python:3.9",
            "python:3.10",
            "python:3.11",
            "python:3.12");
    assertThat(
            allowed(decide(objects, ROOT, "GET", "/images/get?names=python", null))
                .forward()
                .query()
                .getAll("names"))
        .containsExactly("python");
    assertThat(
            allowed(decide(objects, ALICE, "GET", "/images/get?names=python:3.11", null))
                .forward()
                .query()
                .getAll("names"))
        .containsExactly("python:3.11");
    assertThat(
            allowed(decide(objects, ALICE, "GET", "/images/get?names=aaaa", null))
                .forward()
                .query()
                .getAll("names"))
        .containsExactly(ALICE_MADE);
    denied(
        decide(objects, ALICE, "GET", "/images/get?names=nothing", null),
        Decision.Status.NOT_FOUND);
    denied(
        decide(objects, ALICE, "GET", "/images/get?names=Bad_Name", null),
        Decision.Status.NOT_FOUND);
  }

  @Test
  void inspect_ownTag_forwardedByDaemonName_answerRenamed() throws Exception {
    Decision.Allow a =
        allowed(decide(host(), ALICE, "GET", "/v1.43/images/python:3.12/json", null));
    assertThat(a.forward().target()).isEqualTo("/v1.43/images/" + ALICE_PYTHON + "/json");
    JsonNode shown =
        ((FollowUp.MapNames) a.followUp())
            .mapping()
            .apply(
                JSON.readTree(
                    "{\"Id\":\""
                        + ALICE_MADE
                        + "\",\"RepoTags\":[\""
                        + ALICE_PYTHON
                        + "\","
                        + "\"berth.invalid/u1002/docker.io/library/x:1\"]}"));
    assertThat(shown.path("RepoTags").toString()).isEqualTo("[\"python:3.12\"]");
  }

  @Test
  void inspect_sharedTag_bobSeesTheRegistryImage() {
    Decision.Allow a = allowed(decide(host(), BOB, "GET", "/images/python:3.12/json", null));
    assertThat(a.forward().path()).isEqualTo("/images/python:3.12/json");
  }

  @Test
  void tag_targetInsideReservedRegistry_denied() {
    denied(
        decide(
            host(),
            BOB,
            "POST",
            "/images/busybox/tag?repo=berth.invalid/u1001/docker.io" + "/library/python&tag=3.12",
            null),
        Decision.Status.FORBIDDEN);
    denied(
        decide(host(), BOB, "POST", "/images/create?fromImage=BERTH.invalid/u1001/x&tag=1", null),
        Decision.Status.FORBIDDEN);
  }

  @Test
  void tag_fromOthersMadeImage_notFound() {
    denied(
        decide(host(), BOB, "POST", "/images/" + ALICE_MADE + "/tag?repo=mine", null),
        Decision.Status.NOT_FOUND);
  }

  @Test
  void commit_claimsTheNewImageForItsMaker() {
    Decision.Allow a =
        allowed(decide(host(), ALICE, "POST", "/commit?container=abc&repo=python&tag=3.12", "{}"));
    assertThat(a.forward().query().get("repo"))
        .hasValue("berth.invalid/u1001/docker.io/library/python");
    assertThat(a.followUp()).isEqualTo(new FollowUp.ClaimImage("", new Owner(1001, -1)));
  }

  @Test
  void pullOver_sharedTag_allowedAndRecorded() {
    Decision.Allow a =
        allowed(decide(host(), BOB, "POST", "/images/create?fromImage=python&tag=3.12", null));
    assertThat(a.followUp()).isEqualTo(new FollowUp.ClaimImage("python:3.12", new Owner(1002, -1)));
  }

  @Test
  void pullOver_tagAnotherUserMadeBeforeNamespaces_denied() {
    FakeObjects legacy = host().held("python:3.12", new Owner(1001, -1));
    denied(
        decide(legacy, BOB, "POST", "/images/create?fromImage=python&tag=3.12", null),
        Decision.Status.FORBIDDEN);
    allowed(decide(legacy, ALICE, "POST", "/images/create?fromImage=python&tag=3.12", null));
    // ... and bob neither runs nor sees it
    denied(
        decide(legacy, BOB, "POST", "/containers/create", "{\"Image\":\"python:3.12\"}"),
        Decision.Status.NOT_FOUND);
  }

  @Test
  void delete_ownTag_forwardedByDaemonName_othersMadeImage_notFound() {
    assertThat(
            allowed(decide(host(), ALICE, "DELETE", "/images/python:3.12", null)).forward().path())
        .isEqualTo("/images/" + ALICE_PYTHON);
    denied(decide(host(), BOB, "DELETE", "/images/" + ALICE_MADE, null), Decision.Status.NOT_FOUND);
    denied(decide(host(), BOB, "DELETE", "/images/python:3.12", null), Decision.Status.FORBIDDEN);
  }

  @Test
  void push_ownImage_pushedUnderTheNameGiven() {
    Decision.Allow a = allowed(decide(host(), ALICE, "POST", "/images/python/push?tag=3.12", null));
    assertThat(a.followUp()).isEqualTo(new FollowUp.ReleaseTag("python:3.12", ALICE_MADE));
  }

  @Test
  void list_othersMadeImagesDropped_ownRenamed_sharedKept() throws Exception {
    FakeObjects objects = host();
    Decision.Allow a = allowed(decide(objects, BOB, "GET", "/images/json", null));
    JsonNode list =
        JSON.readTree(
            "[{\"Id\":\""
                + ALICE_MADE
                + "\",\"RepoTags\":[\""
                + ALICE_PYTHON
                + "\"]},{\"Id\":\""
                + PYTHON
                + "\",\"RepoTags\":[\"python:3.12\","
                + "\""
                + ALICE_PYTHON.replace("3.12", "old")
                + "\"]},{\"Id\":\""
                + BASE_IMAGE
                + "\",\"RepoTags\":[]}]");
    JsonNode bobs = ((FollowUp.FilterResponse) a.followUp()).filter().apply(list);
    assertThat(bobs.findValuesAsText("Id")).containsExactly(PYTHON, BASE_IMAGE);
    assertThat(bobs.path(0).path("RepoTags").toString()).isEqualTo("[\"python:3.12\"]");
    Decision.Allow b = allowed(decide(objects, ALICE, "GET", "/images/json", null));
    JsonNode alices = ((FollowUp.FilterResponse) b.followUp()).filter().apply(list);
    assertThat(alices.path(0).path("RepoTags").toString()).isEqualTo("[\"python:3.12\"]");
    assertThat(alices.path(1).path("RepoTags").toString())
        .isEqualTo("[\"python:3.12\",\"python:old\"]");
  }

  @Test
  void systemDf_othersMadeImagesDropped() throws Exception {
    Decision.Allow a = allowed(decide(host(), BOB, "GET", "/system/df", null));
    JsonNode df =
        ((FollowUp.FilterResponse) a.followUp())
            .filter()
            .apply(
                JSON.readTree(
                    "{\"Images\":[{\"Id\":\""
                        + ALICE_MADE
                        + "\",\"RepoTags\":[\""
                        + ALICE_PYTHON
                        + "\"]}"
                        + "],\"Containers\":[],\"Volumes\":[]}"));
    assertThat(df.path("Images").size()).isZero();
  }

  @Test
  void containerInspectAndList_showTheImageAsItsOwnerNamedIt() throws Exception {
    Decision.Allow a = allowed(decide(host(), ALICE, "GET", "/containers/abc/json", null));
    JsonNode shown =
        ((FollowUp.MapNames) a.followUp())
            .mapping()
            .apply(JSON.readTree("{\"Config\":{\"Image\":\"" + ALICE_PYTHON + "\"}}"));
    assertThat(shown.at("/Config/Image").asText()).isEqualTo("python:3.12");
    Decision.Allow l = allowed(decide(host(), ALICE, "GET", "/containers/json", null));
    JsonNode list =
        ((FollowUp.MapNames) l.followUp())
            .mapping()
            .apply(JSON.readTree("[{\"Image\":\"" + ALICE_PYTHON + "\"}]"));
    assertThat(list.at("/0/Image").asText()).isEqualTo("python:3.12");
  }

  @Test
  void admin_seesAndUsesTheDaemonsRealNames() {
    Decision.Allow a =
        allowed(
            decide(
                host(),
                ROOT,
                "POST",
                "/containers/create",
                "{\"Image\":\"" + ALICE_PYTHON + "\"}"));
    assertThat(image(a)).isEqualTo(ALICE_PYTHON);
    assertThat(
            allowed(decide(host(), ROOT, "POST", "/images/busybox/tag?repo=python", null))
                .forward()
                .query()
                .get("repo"))
        .hasValue("python");
  }

  @Test
  void run_unknownName_forwardedForTheDaemonsNotFound() {
    assertThat(
            image(
                allowed(
                    decide(
                        host(), BOB, "POST", "/containers/create", "{\"Image\":\"newthing:1\"}"))))
        .isEqualTo("newthing:1");
  }

  @Test
  void save_withoutAName_denied() {
    denied(decide(host(), BOB, "GET", "/images/get", null), Decision.Status.FORBIDDEN);
  }

  @Test
  void pull_everyTag_denied_byDigest_noClaim() {
    denied(
        decide(host(), BOB, "POST", "/images/create?fromImage=python", null),
        Decision.Status.FORBIDDEN);
    assertThat(
            allowed(
                    decide(
                        host(),
                        BOB,
                        "POST",
                        "/images/create?fromImage=python@sha256:" + "b".repeat(64),
                        null))
                .followUp())
        .isEqualTo(FollowUp.NONE);
  }

  @Test
  void push_sharedTagTheCallerPulled_allowed_othersPull_denied() {
    FakeObjects objects =
        host()
            .image(
                "sha256:" + "d".repeat(64),
                Optional.empty(),
                Map.of("bob/tool:1", FakeObjects.owner(1002)));
    allowed(decide(objects, BOB, "POST", "/images/bob/tool/push?tag=1", null));
    denied(
        decide(objects, ALICE, "POST", "/images/bob/tool/push?tag=1", null),
        Decision.Status.FORBIDDEN);
    allowed(decide(objects, BOB, "DELETE", "/images/bob/tool:1", null));
  }

  @Test
  void delete_byIdOfAnImageAllOfWhoseTagsAreTheCallers_allowed() {
    Decision.Allow a = allowed(decide(host(), ALICE, "DELETE", "/images/" + ALICE_MADE, null));
    assertThat(a.forward().path()).isEqualTo("/images/" + ALICE_MADE);
    JsonNode shown =
        ((FollowUp.MapNames) a.followUp())
            .mapping()
            .apply(
                JSON.createArrayNode()
                    .add(JSON.createObjectNode().put("Untagged", ALICE_PYTHON))
                    .add(JSON.createObjectNode().put("Deleted", ALICE_MADE)));
    assertThat(shown.toString())
        .isEqualTo("[{\"Untagged\":\"python:3.12\"},{\"Deleted\":\"" + ALICE_MADE + "\"}]");
  }

  @Test
  void delete_untaggedImage_onlyItsMaker() {
    String untagged = "sha256:" + "e".repeat(64);
    FakeObjects objects = host().image(untagged, FakeObjects.owner(1001), Map.of());
    allowed(decide(objects, ALICE, "DELETE", "/images/" + untagged, null));
    denied(decide(objects, BOB, "DELETE", "/images/" + untagged, null), Decision.Status.NOT_FOUND);
    FakeObjects nobodys = host().image(untagged, Optional.empty(), Map.of());
    denied(decide(nobodys, BOB, "DELETE", "/images/" + untagged, null), Decision.Status.FORBIDDEN);
  }

  @Test
  void history_tagsOfOtherUsersDropped_ownRenamed() throws Exception {
    Decision.Allow a = allowed(decide(host(), ALICE, "GET", "/images/python:3.12/history", null));
    assertThat(a.forward().path()).isEqualTo("/images/" + ALICE_PYTHON + "/history");
    JsonNode shown =
        ((FollowUp.MapNames) a.followUp())
            .mapping()
            .apply(
                JSON.readTree(
                    "[{\"Id\":\""
                        + ALICE_MADE
                        + "\",\"Tags\":[\""
                        + ALICE_PYTHON
                        + "\",\"berth.invalid/u1002/"
                        + "docker.io/library/x:1\"]},{\"Id\":\"<missing>\",\"Tags\":null}]"));
    assertThat(shown.toString())
        .isEqualTo(
            "[{\"Id\":\""
                + ALICE_MADE
                + "\",\"Tags\":"
                + "[\"python:3.12\"]},{\"Id\":\"<missing>\",\"Tags\":null}]");
  }

  @Test
  void run_unknownIdOrReservedName_notFound_notForwarded() {
    for (String ref : new String[] {"sha256:" + "f".repeat(64), "fffff", "Berth.Invalid/u1001/x"}) {
      denied(
          decide(host(), BOB, "POST", "/containers/create", "{\"Image\":\"" + ref + "\"}"),
          Decision.Status.NOT_FOUND);
    }
  }

  @Test
  void imageWithOnlyAnotherUsersTagsAndNoMaker_hiddenByIdAndInLists() throws Exception {
    String tagged = "sha256:" + "9".repeat(64);
    FakeObjects objects =
        host()
            .image(
                tagged,
                Optional.empty(),
                Map.of(ALICE_PYTHON.replace("3.12", "x"), Optional.empty()));
    denied(
        decide(objects, BOB, "GET", "/images/" + tagged + "/json", null),
        Decision.Status.NOT_FOUND);
    allowed(decide(objects, ALICE, "GET", "/images/" + tagged + "/json", null));
  }

  @Test
  void admin_listsAndInspectsUnchanged() throws Exception {
    JsonNode list =
        JSON.readTree("[{\"Id\":\"" + ALICE_MADE + "\",\"RepoTags\":[\"" + ALICE_PYTHON + "\"]}]");
    Decision.Allow a = allowed(decide(host(), ROOT, "GET", "/images/json", null));
    assertThat(a.followUp()).isEqualTo(FollowUp.NONE);
    assertThat(
            ImageAccess.narrowList(
                list, ROOT, Fixtures.ENGINE.policy().grantOf(ROOT).orElseThrow(), ImageClaims.NONE))
        .isEqualTo(list);
    assertThat(
            ImageAccess.shownImage(
                ALICE_PYTHON, "", ROOT, Fixtures.ENGINE.policy().grantOf(ROOT).orElseThrow()))
        .isEqualTo(ALICE_PYTHON);
  }

  @Test
  void inspect_repoDigestsOfAnotherUsersPush_notShown() throws Exception {
    Decision.Allow a =
        allowed(decide(host(), ALICE, "GET", "/v1.43/images/python:3.12/json", null));
    String bobs = "berth.invalid/u1002/registry.site.edu/bob/secret@sha256:" + "2".repeat(64);
    JsonNode shown =
        ((FollowUp.MapNames) a.followUp())
            .mapping()
            .apply(
                JSON.readTree(
                    "{\"Id\":\""
                        + ALICE_MADE
                        + "\",\"RepoTags\":[\""
                        + ALICE_PYTHON
                        + "\"],\"RepoDigests\":[\""
                        + bobs
                        + "\"]}"));
    assertThat(shown.path("RepoDigests").toString()).doesNotContain("u1002");
  }

  @Test
  void containerImage_anotherUsersPrivateTag_shownAsTheImageId() {
    Grant bobs = Fixtures.ENGINE.policy().grantOf(BOB).orElseThrow();
    assertThat(ImageAccess.shownImage(ALICE_PYTHON, ALICE_MADE, BOB, bobs)).isEqualTo(ALICE_MADE);
    assertThat(ImageAccess.shownImage(ALICE_PYTHON, "", BOB, bobs))
        .isEqualTo(ImageNamespace.OTHERS);
    assertThat(
            ImageAccess.shownImage(
                ALICE_PYTHON,
                ALICE_MADE,
                ALICE,
                Fixtures.ENGINE.policy().grantOf(ALICE).orElseThrow()))
        .isEqualTo("python:3.12");
  }
}
