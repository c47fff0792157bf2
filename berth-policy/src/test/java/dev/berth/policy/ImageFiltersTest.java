package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.BOB;
import static dev.berth.policy.Fixtures.ENGINE;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.Decision.FollowUp;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: filters that name an image ({@code docker images -f reference=}, {@code ps -f
 * ancestor=}, {@code events -f image=}, {@code images -f before=/since=}) select by the caller's
 * image names, and never another user's image.
 */
class ImageFiltersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** alice's own image, tagged app:1 in her namespace. */
  private static final String ALICE_APP = "sha256:" + "a".repeat(64);

  /** bob's own image, tagged app:1 in his namespace. */
  private static final String BOB_APP = "sha256:" + "b".repeat(64);

  /** The shared (pulled) app:1. */
  private static final String SHARED_APP = "sha256:" + "c".repeat(64);

  private static final String ALICE_TAG = "berth.invalid/u1001/docker.io/library/app:1";
  private static final String BOB_TAG = "berth.invalid/u1002/docker.io/library/app:1";
  private static final String NO_IMAGE = "berth.invalid/No-Such-Image";

  private static final String ALICE_WEB = "1" + "0".repeat(63);
  private static final String BOB_WEB = "2" + "0".repeat(63);

  private static FakeObjects host() {
    return Fixtures.objects()
        .container(ALICE_WEB, "u1001_web", FakeObjects.owner(1001))
        .container(BOB_WEB, "u1002_web", FakeObjects.owner(1002))
        .image(ALICE_APP, FakeObjects.owner(1001), Map.of(ALICE_TAG, Optional.empty()))
        .image(BOB_APP, FakeObjects.owner(1002), Map.of(BOB_TAG, Optional.empty()))
        .image(SHARED_APP, Optional.empty(), Map.of("app:1", Optional.empty()));
  }

  /** The daemon's image list: alice's, bob's and the shared app:1, and an untagged image. */
  private static JsonNode daemonList() throws Exception {
    return JSON.readTree(
        "[{\"Id\":\""
            + ALICE_APP
            + "\",\"RepoTags\":[\""
            + ALICE_TAG
            + "\"],\"RepoDigests\":[]},"
            + "{\"Id\":\""
            + BOB_APP
            + "\",\"RepoTags\":[\""
            + BOB_TAG
            + "\"],\"RepoDigests\":[]},"
            + "{\"Id\":\""
            + SHARED_APP
            + "\",\"RepoTags\":[\"app:1\",\"tool:2\"],"
            + "\"RepoDigests\":[\"app@sha256:"
            + "d".repeat(64)
            + "\"]},"
            + "{\"Id\":\"sha256:"
            + "e".repeat(64)
            + "\",\"RepoTags\":[],\"RepoDigests\":[]}]");
  }

  private static String q(String filters) {
    return URLEncoder.encode(filters, StandardCharsets.UTF_8);
  }

  private static Decision decide(Principal who, String target) {
    return Fixtures.decide(ENGINE, host(), who, "GET", target, null);
  }

  private static Decision.Allow allowed(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static JsonNode forwardedFilters(Decision.Allow a) throws Exception {
    return JSON.readTree(a.forward().query().get("filters").orElseThrow());
  }

  private static JsonNode listed(Principal who, String reference) throws Exception {
    Decision.Allow a =
        allowed(
            decide(who, "/images/json?filters=" + q("{\"reference\":[\"" + reference + "\"]}")));
    assertThat(forwardedFilters(a).has("reference")).isFalse();
    return ((FollowUp.FilterResponse) a.followUp()).filter().apply(daemonList());
  }

  @Test
  void images_referenceOfOwnTag_listsOwnAndSharedNeverOthers() throws Exception {
    JsonNode alices = listed(ALICE, "app");
    assertThat(alices.findValuesAsText("Id")).containsExactly(ALICE_APP, SHARED_APP);
    assertThat(alices.path(0).path("RepoTags").toString()).isEqualTo("[\"app:1\"]");
    // the shared image keeps only the references the pattern matches, as the daemon does
    assertThat(alices.path(1).path("RepoTags").toString()).isEqualTo("[\"app:1\"]");
    assertThat(alices.path(1).path("RepoDigests").size()).isEqualTo(1);
    JsonNode bobs = listed(BOB, "app:1");
    assertThat(bobs.findValuesAsText("Id")).containsExactly(BOB_APP, SHARED_APP);
  }

  @ParameterizedTest
  @ValueSource(strings = {"*:1", "ap?", "[a-c]pp:*", "a\\\\pp", "[^x]pp"})
  void images_referenceGlob_matchedAsGoPathMatch(String pattern) throws Exception {
    assertThat(listed(ALICE, pattern).findValuesAsText("Id")).contains(ALICE_APP);
  }

  @Test
  void images_referenceGlobStar_matchesNoSlash() throws Exception {
    assertThat(listed(ALICE, "*").findValuesAsText("Id")).containsExactly(ALICE_APP, SHARED_APP);
    assertThat(listed(ALICE, "docker.io/*").size()).isZero();
  }

  @Test
  void images_referenceOfAnotherUsersDaemonName_selectsNothing() throws Exception {
    assertThat(listed(ALICE, BOB_TAG).size()).isZero();
    assertThat(listed(ALICE, "berth.invalid/*/*/*/app:1").size()).isZero();
    assertThat(listed(ALICE, "berth.invalid/u1002/docker.io/library/*").size()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"[", "[]", "[^]", "a\\\\", "[a-]", "[-a]", "x[a"})
  void images_referenceMalformedPattern_badRequest(String pattern) {
    Decision d =
        decide(ALICE, "/images/json?filters=" + q("{\"reference\":[\"" + pattern + "\"]}"));
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.BAD_REQUEST);
    assertThat(((Decision.Deny) d).reason()).contains("syntax error in pattern");
  }

  @Test
  void images_beforeOwnTag_forwardedAsItsId_othersImage_notFound() throws Exception {
    Decision.Allow a =
        allowed(decide(ALICE, "/images/json?filters=" + q("{\"before\":[\"app:1\"]}")));
    assertThat(forwardedFilters(a).path("before").has(ALICE_APP)).isTrue();
    Decision d = decide(ALICE, "/images/json?filters=" + q("{\"since\":[\"" + BOB_APP + "\"]}"));
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.NOT_FOUND);
  }

  @Test
  void images_admin_filtersForwardedAsGiven() throws Exception {
    Decision.Allow a =
        allowed(decide(ROOT, "/images/json?filters=" + q("{\"reference\":[\"app\"]}")));
    assertThat(forwardedFilters(a).has("reference")).isTrue();
  }

  @Test
  void ps_ancestorOwnTag_forwardedAsTheImageId() throws Exception {
    Decision.Allow a =
        allowed(decide(ALICE, "/containers/json?filters=" + q("{\"ancestor\":[\"app:1\"]}")));
    JsonNode f = forwardedFilters(a);
    assertThat(f.path("ancestor").size()).isEqualTo(1);
    assertThat(f.path("ancestor").has(ALICE_APP)).isTrue();
    assertThat(f.path("label").has("dev.berth.owner.uid=1001")).isTrue();
    Decision.Allow b =
        allowed(decide(BOB, "/containers/json?filters=" + q("{\"ancestor\":[\"app\"]}")));
    assertThat(forwardedFilters(b).path("ancestor").has(NO_IMAGE)).isTrue(); // no app:latest
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        BOB_TAG,
        "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "bbbbbbbbbbbb",
        "berth.invalid/u1002/docker.io/library/app",
      })
  void ps_ancestorOtherUsersImage_selectsNothing(String value) throws Exception {
    Decision.Allow a =
        allowed(
            decide(ALICE, "/containers/json?filters=" + q("{\"ancestor\":[\"" + value + "\"]}")));
    JsonNode f = forwardedFilters(a);
    assertThat(f.path("ancestor").size()).isEqualTo(1);
    assertThat(f.path("ancestor").has(NO_IMAGE)).isTrue();
    assertThat(f.path("label").has("dev.berth.owner.uid=1001")).isTrue();
  }

  @Test
  void ps_ancestor_judgedOffTheEventLoop() {
    assertThat(
            ENGINE.consultsDirectory(
                ALICE,
                Fixtures.parse("GET", "/containers/json?filters=" + q("{\"ancestor\":[\"app\"]}"))))
        .isTrue();
    assertThat(
            ENGINE.consultsDirectory(
                ALICE,
                Fixtures.parse("GET", "/containers/json?filters=" + q("{\"status\":[\"x\"]}"))))
        .isFalse();
    assertThat(
            ENGINE.consultsDirectory(
                ROOT,
                Fixtures.parse("GET", "/containers/json?filters=" + q("{\"ancestor\":[\"app\"]}"))))
        .isFalse();
  }

  @Test
  void ps_ancestorAsSent_plugin_notTranslated() throws Exception {
    Decision d =
        Fixtures.decideAsSent(
            ENGINE,
            host(),
            ALICE,
            "GET",
            "/containers/json?filters=" + q("{\"ancestor\":[\"app:1\"]}"),
            null);
    assertThat(forwardedFilters(allowed(d)).path("ancestor").has("app:1")).isTrue();
  }

  @Test
  void events_imageOwnTag_alsoSelectsItsDaemonName() throws Exception {
    Decision.Allow a =
        allowed(decide(ALICE, "/events?filters=" + q("{\"image\":[\"app:1\",\"tool\"]}")));
    JsonNode f = forwardedFilters(a).path("image");
    assertThat(f.has("app:1")).isTrue();
    assertThat(f.has(ALICE_TAG)).isTrue();
    assertThat(f.has("tool")).isTrue();
    assertThat(f.has("berth.invalid/u1001/docker.io/library/tool:latest")).isTrue();
    assertThat(f.has("berth.invalid/u1001/docker.io/library/tool")).isTrue();
    assertThat(f.size()).isEqualTo(5);
  }

  @Test
  void events_imageOtherUsersDaemonName_selectsNothing() throws Exception {
    Decision.Allow a =
        allowed(decide(ALICE, "/events?filters=" + q("{\"image\":[\"" + BOB_TAG + "\"]}")));
    JsonNode f = forwardedFilters(a);
    assertThat(f.path("image").size()).isEqualTo(1);
    assertThat(f.path("image").has(NO_IMAGE)).isTrue();
    assertThat(f.path("label").has("dev.berth.owner.uid=1001")).isTrue();
  }

  @Test
  void ps_beforeOwnContainerByPrivateName_forwardedAsItsId() throws Exception {
    Decision.Allow a =
        allowed(
            decide(
                ALICE,
                "/containers/json?filters=" + q("{\"before\":[\"web\"],\"since\":[\"1000\"]}")));
    JsonNode f = forwardedFilters(a);
    assertThat(f.path("before").has(ALICE_WEB)).isTrue();
    assertThat(f.path("since").has(ALICE_WEB)).isTrue();
    assertThat(f.path("before").size()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "u1002_web",
        "2000",
        "2000000000000000000000000000000000000000000000000000000000000000"
      })
  void ps_beforeAnotherUsersContainer_notFound(String value) {
    Decision d = decide(ALICE, "/containers/json?filters=" + q("{\"before\":[\"" + value + "\"]}"));
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.NOT_FOUND);
    assertThat(((Decision.Deny) d).reason()).contains("No such container: " + value);
  }

  @Test
  void ps_moreBeforeValuesThanBerthLooksUp_refusedBeforeAnyLookup() {
    StringBuilder values = new StringBuilder();
    for (int i = 0; i <= 64; i++) {
      values.append(i == 0 ? "" : ",").append("\"web").append(i).append('"');
    }
    Decision d = decide(ALICE, "/containers/json?filters=" + q("{\"before\":[" + values + "]}"));
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason()).contains("at most 64 before values (65 given)");
  }

  @Test
  void ps_nameFilter_appliedByBerthAndSaidSo() {
    String note = "name filters applied by berth in your names";
    assertThat(
            allowed(decide(ALICE, "/containers/json?filters=" + q("{\"name\":[\"web\"]}")))
                .rewrites())
        .contains(note);
    assertThat(allowed(decide(ALICE, "/containers/json")).rewrites()).doesNotContain(note);
  }
}
