package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.BOB;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.rules.PrivateNames;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyLoader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Issue 13: container, network and volume names are per user, mapped both ways. */
class PrivateNamesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALICE_WEB = "a1" + "8".repeat(62);
  private static final String BOB_WEB = "b2" + "8".repeat(62);
  private static final String ALICE_NET = "a3" + "8".repeat(62);

  /** The default policy: private names on. */
  private static final PolicyEngine ENGINE = Fixtures.ENGINE;

  private static FakeObjects host() {
    return Fixtures.objects()
        .container(ALICE_WEB, "u1001_web", FakeObjects.owner(1001))
        .container(BOB_WEB, "u1002_web", FakeObjects.owner(1002))
        .network(ALICE_NET, "u1001_lab_default", FakeObjects.owner(1001))
        .volume("u1002_data", FakeObjects.owner(1002))
        .volume("olddata", FakeObjects.owner(1001));
  }

  private static Decision.Allow allowed(
      FakeObjects objects, Principal who, String method, String target, String body) {
    Decision d = Fixtures.decide(ENGINE, objects, who, method, target, body);
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static JsonNode body(Decision.Allow a) {
    return ((Body.Json) a.forward().body()).value();
  }

  @Test
  void create_sameNameByTwoUsers_eachInTheirOwnNamespace() {
    assertThat(
            allowed(host(), ALICE, "POST", "/containers/create?name=app", "{\"Image\":\"x\"}")
                .forward()
                .query()
                .get("name"))
        .hasValue("u1001_app");
    assertThat(
            allowed(host(), BOB, "POST", "/containers/create?name=web", "{\"Image\":\"x\"}")
                .forward()
                .query()
                .get("name"))
        .hasValue("u1002_web");
  }

  @Test
  void reference_plainName_isTheCallersOwn() {
    assertThat(allowed(host(), ALICE, "POST", "/containers/web/stop", null).forward().path())
        .isEqualTo("/containers/" + ALICE_WEB + "/stop");
    assertThat(allowed(host(), BOB, "POST", "/containers/web/stop", null).forward().path())
        .isEqualTo("/containers/" + BOB_WEB + "/stop");
  }

  @Test
  void reference_fullId_askedForOnceAsTheDaemonResolvesIt() {
    List<String> asked = new ArrayList<>();
    FakeObjects objects =
        new FakeObjects() {
          @Override
          public Optional<DockerObject> container(String ref) throws LookupException {
            asked.add(ref);
            return super.container(ref);
          }
        }.container(ALICE_WEB, "u1001_web", FakeObjects.owner(1001))
            .container(BOB_WEB, "u1002_web", FakeObjects.owner(1002))
            .container("c3" + "8".repeat(62), "u1001_" + BOB_WEB, FakeObjects.owner(1001));
    assertThat(allowed(objects, ALICE, "POST", "/containers/" + ALICE_WEB + "/start", null))
        .extracting(a -> a.forward().path())
        .isEqualTo("/containers/" + ALICE_WEB + "/start");
    assertThat(asked).containsExactly(ALICE_WEB);
    // The id of someone else's container: the caller's own container of that name, as before.
    asked.clear();
    assertThat(allowed(objects, ALICE, "POST", "/containers/" + BOB_WEB + "/start", null))
        .extracting(a -> a.forward().path())
        .isEqualTo("/containers/c3" + "8".repeat(62) + "/start");
    assertThat(asked).containsExactly(BOB_WEB, "u1001_" + BOB_WEB);
    Decision d =
        Fixtures.decide(ENGINE, host(), ALICE, "POST", "/containers/" + BOB_WEB + "/stop", null);
    assertThat(d)
        .isInstanceOfSatisfying(
            Decision.Deny.class, x -> assertThat(x.status()).isEqualTo(Decision.Status.NOT_FOUND));
  }

  @Test
  void reference_anotherUsersDaemonName_notFound() {
    Decision d = Fixtures.decide(ENGINE, host(), ALICE, "POST", "/containers/u1002_web/stop", null);
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.NOT_FOUND);
  }

  @Test
  void create_nameInAnotherUsersNamespace_staysInTheCallers() {
    assertThat(
            allowed(host(), ALICE, "POST", "/containers/create?name=u1002_web", "{\"Image\":\"x\"}")
                .forward()
                .query()
                .get("name"))
        .hasValue("u1001_u1002_web");
    assertThat(
            allowed(host(), ALICE, "POST", "/containers/web/rename?name=u1002_x", null)
                .forward()
                .query()
                .get("name"))
        .hasValue("u1001_u1002_x");
  }

  @Test
  void volume_anotherUsersDaemonName_givesTheCallerItsOwn() throws Exception {
    FakeObjects objects = host();
    Decision.Allow a =
        allowed(
            objects,
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"u1002_data:/d\"],\"Mounts\":[{\"Type\":"
                + "\"volume\",\"Source\":\"data\",\"Target\":\"/e\"}]}}");
    assertThat(body(a).at("/HostConfig/Binds/0").asText()).isEqualTo("u1001_u1002_data:/d");
    assertThat(body(a).at("/HostConfig/Mounts/0/Source").asText()).isEqualTo("u1001_data");
    assertThat(objects.volume("u1001_u1002_data")).as("not while deciding").isEmpty();
    assertThat(a.effects())
        .filteredOn(Effect.EnsureVolume.class::isInstance)
        .extracting(e -> ((Effect.EnsureVolume) e).name())
        .containsExactly("u1001_u1002_data", "u1001_data");
    for (Effect e : a.effects()) {
      assertThat(e.perform(objects)).isEmpty();
    }
    assertThat(objects.volume("u1001_u1002_data"))
        .hasValueSatisfying(v -> assertThat(v.owner()).isEqualTo(FakeObjects.owner(1001)));
  }

  @Test
  void volume_fromBeforePrivateNames_keepsWorkingForItsOwner() {
    Decision.Allow a =
        allowed(
            host(),
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"olddata:/d\"]}}");
    assertThat(body(a).at("/HostConfig/Binds/0").asText()).isEqualTo("olddata:/d");
    assertThat(allowed(host(), ALICE, "GET", "/volumes/olddata", null).forward().path())
        .isEqualTo("/volumes/olddata");
  }

  @Test
  void volumeAndNetworkCreate_namedInTheCallersNamespace() {
    assertThat(
            body(allowed(host(), BOB, "POST", "/volumes/create", "{\"Name\":\"data\"}"))
                .path("Name")
                .asText())
        .isEqualTo("u1002_data");
    assertThat(
            body(allowed(host(), ALICE, "POST", "/volumes/create", "{\"Name\":\"data\"}"))
                .path("Name")
                .asText())
        .isEqualTo("u1001_data");
    assertThat(
            body(allowed(host(), ALICE, "POST", "/networks/create", "{\"Name\":\"lab_default\"}"))
                .path("Name")
                .asText())
        .isEqualTo("u1001_lab_default");
  }

  @Test
  void composeCreate_networkModeAndEndpointsMapped() {
    Decision.Allow a =
        allowed(
            host(),
            ALICE,
            "POST",
            "/containers/create?name=lab-web-1",
            "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"lab_default\"},\"NetworkingConfig\":"
                + "{\"EndpointsConfig\":{\"lab_default\":{\"Aliases\":[\"web\"]}}}}");
    assertThat(a.forward().query().get("name")).hasValue("u1001_lab-web-1");
    assertThat(body(a).at("/HostConfig/NetworkMode").asText()).isEqualTo("u1001_lab_default");
    assertThat(body(a).at("/NetworkingConfig/EndpointsConfig/u1001_lab_default/Aliases/0").asText())
        .isEqualTo("web");
    Decision bobs =
        Fixtures.decide(
            ENGINE,
            host(),
            BOB,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"lab_default\"}}");
    assertThat(bobs).isInstanceOf(Decision.Deny.class);
  }

  @Test
  void answers_showTheCallersNames() throws Exception {
    Decision.Allow list = allowed(host(), ALICE, "GET", "/containers/json", null);
    JsonNode shown =
        ((FollowUp.MapNames) list.followUp())
            .mapping()
            .apply(
                JSON.readTree(
                    """
        [{"Names": ["/u1001_lab-web-1"], "HostConfig": {"NetworkMode": "u1001_lab_default"},
          "NetworkSettings": {"Networks": {"u1001_lab_default": {"NetworkID": "n"}}},
          "Mounts": [{"Type": "volume", "Name": "u1001_lab_data"}]}]"""));
    assertThat(shown.toString())
        .isEqualTo(
            JSON.readTree(
                    """
        [{"Names": ["/lab-web-1"], "HostConfig": {"NetworkMode": "lab_default"},
          "NetworkSettings": {"Networks": {"lab_default": {"NetworkID": "n"}}},
          "Mounts": [{"Type": "volume", "Name": "lab_data"}]}]""")
                .toString());
    Decision.Allow vols = allowed(host(), ALICE, "GET", "/volumes", null);
    assertThat(
            ((FollowUp.MapNames) vols.followUp())
                .mapping()
                .apply(JSON.readTree("{\"Volumes\":[{\"Name\":\"u1001_lab_data\"}]}"))
                .at("/Volumes/0/Name")
                .asText())
        .isEqualTo("lab_data");
    Decision.Allow net = allowed(host(), ALICE, "GET", "/networks/lab_default", null);
    assertThat(net.forward().path()).isEqualTo("/networks/" + ALICE_NET);
    assertThat(
            ((FollowUp.MapNames) net.followUp())
                .mapping()
                .apply(
                    JSON.readTree(
                        "{\"Name\":\"u1001_lab_default\",\"Containers\":{\"c\":{\"Name\":\"u1001_lab-web-1\"}}}"))
                .toString())
        .isEqualTo(
            "{\"Name\":\"lab_default\",\"Containers\":{\"c\":{\"Name\":" + "\"lab-web-1\"}}}");
  }

  @Test
  void withoutNamePrefix_namesAreTheDaemons() throws Exception {
    Decision d =
        Fixtures.decide(
            new PolicyEngine(
                PolicyLoader.load(
                    PolicyDefaults.text().replace("    name_prefix: \"u{uid}_\"\n", ""),
                    "t.yaml",
                    g -> Optional.empty()),
                Fixtures.HOST),
            host(),
            ALICE,
            "POST",
            "/containers/create?name=app",
            "{\"Image\":\"x\"}");
    assertThat(((Decision.Allow) d).forward().query().get("name")).hasValue("app");
  }

  @Test
  void admin_usesTheDaemonsRealNames() {
    Decision.Allow a =
        allowed(host(), ROOT, "POST", "/containers/create?name=web", "{\"Image\":\"x\"}");
    assertThat(a.forward().query().get("name")).hasValue("web");
  }

  @Test
  void shown_takesOnlyTheCallersOwnPrefixOff() {
    Grant grant = ENGINE.policy().grantOf(ALICE).orElseThrow();
    PrivateNames names = PrivateNames.of(ALICE, grant);
    assertThat(names.shown("u1001_web")).isEqualTo("web");
    assertThat(names.shown("/u1001_web")).isEqualTo("/web");
    assertThat(names.shown("u1001_")).isEqualTo("u1001_");
    assertThat(names.shown("/u1001_")).isEqualTo("/u1001_");
    assertThat(names.shown("u1002_web")).isEqualTo("u1002_web");
    assertThat(names.toDaemon("/web")).isEqualTo("/u1001_web");
    assertThat(names.toDaemon("")).isEmpty();
    assertThat(PrivateNames.NONE.shown("u1001_web")).isEqualTo("u1001_web");
  }

  @Test
  void event_imageNamesInEveryField_theCallersAsGiven_othersHiddenOrRemoved() throws Exception {
    PrivateNames names = PrivateNames.of(ALICE, ENGINE.policy().grantOf(ALICE).orElseThrow());
    String own = "berth.invalid/u1001/docker.io/library/app:1";
    String bobs = "berth.invalid/u1002/docker.io/library/secret:1";
    JsonNode mine =
        names.event(
            JSON.readTree(
                "{\"status\":\"tag\",\"id\":\"%s\",\"Type\":\"image\",\"Action\":\"tag\",\"Actor\":{\"ID\":\"%s\",\"Attributes\":{\"name\":\"%s\"}}}"
                    .formatted(own, own, own)));
    assertThat(mine.path("id").asText()).isEqualTo("app:1");
    assertThat(mine.at("/Actor/ID").asText()).isEqualTo("app:1");
    assertThat(mine.at("/Actor/Attributes/name").asText()).isEqualTo("app:1");
    JsonNode others =
        names.event(
            JSON.readTree(
                "{\"status\":\"untag\",\"id\":\"%s\",\"from\":\"%s\",\"Type\":\"image\",\"Actor\":{\"ID\":\"%s\",\"Attributes\":{}}}"
                    .formatted(bobs, bobs, bobs)));
    assertThat(others.path("id").asText()).isEqualTo(ImageNamespace.OTHERS);
    assertThat(others.at("/Actor/ID").asText()).isEqualTo(ImageNamespace.OTHERS);
    assertThat(others.has("from")).isFalse();
  }

  @Test
  void event_volumeIdOfTheCaller_shownWithoutPrefix() throws Exception {
    PrivateNames names = PrivateNames.of(ALICE, ENGINE.policy().grantOf(ALICE).orElseThrow());
    JsonNode volume =
        names.event(
            JSON.readTree(
                "{\"status\":\"create\",\"id\":\"u1001_data\",\"Type\":\"volume\","
                    + "\"Actor\":{\"ID\":\"u1001_data\",\"Attributes\":{}}}"));
    assertThat(volume.path("id").asText()).isEqualTo("data");
    assertThat(volume.at("/Actor/ID").asText()).isEqualTo("data");
  }

  @Test
  void eventAndAnswer_withoutANamespaceOrNotAnObject_passedAsTheyAre() throws Exception {
    PrivateNames names = PrivateNames.of(ALICE, ENGINE.policy().grantOf(ALICE).orElseThrow());
    assertThat(names.prefix()).isEqualTo("u1001_");
    JsonNode text = JSON.readTree("\"u1001_web\"");
    assertThat(names.event(text)).isSameAs(text);
    JsonNode event =
        JSON.readTree(
            "{\"Type\":\"container\",\"Actor\":{\"Attributes\":{\"name\":\"u1001_web\"}}}");
    assertThat(PrivateNames.NONE.event(event)).isSameAs(event);
    assertThat(PrivateNames.NONE.answer(event)).isSameAs(event);
  }

  @Test
  void answer_listOfContainers_eachShownWithoutPrefix() throws Exception {
    PrivateNames names = PrivateNames.of(ALICE, ENGINE.policy().grantOf(ALICE).orElseThrow());
    JsonNode list =
        names.answer(JSON.readTree("[{\"Names\":[\"/u1001_web\"]},{\"Names\":[\"/u1001_db\"]}]"));
    assertThat(list.at("/0/Names/0").asText()).isEqualTo("/web");
    assertThat(list.at("/1/Names/0").asText()).isEqualTo("/db");
  }

  @Test
  void daemonError_toAnAdministrator_unchanged() {
    String text = "No such container: u1001_web (network bridge, berth-bridge-1001)";
    assertThat(PrivateNames.NONE.shownInText(text)).isEqualTo(text);
  }

  @Test
  void answer_containerInspectBindsAndVolumesInDf() throws Exception {
    PrivateNames names = PrivateNames.of(ALICE, ENGINE.policy().grantOf(ALICE).orElseThrow());
    assertThat(
            names
                .answer(
                    JSON.readTree(
                        """
        {"Name": "/u1001_web", "HostConfig": {"Binds": ["u1001_data:/d", "/home/alice:/h"]},
         "Mounts": [{"Type": "bind", "Name": "u1001_x"}]}"""))
                .toString())
        .isEqualTo(
            JSON.readTree(
                    """
        {"Name": "/web", "HostConfig": {"Binds": ["data:/d", "/home/alice:/h"]},
         "Mounts": [{"Type": "bind", "Name": "u1001_x"}]}""")
                .toString());
    assertThat(
            names
                .answer(
                    JSON.readTree(
                        """
        {"Volumes": [{"Name": "u1001_data"}], "Containers": [{"Names": ["/u1001_web"]}]}"""))
                .toString())
        .isEqualTo(
            "{\"Volumes\":[{\"Name\":\"data\"}],\"Containers\":" + "[{\"Names\":[\"/web\"]}]}");
  }

  @Test
  void daemonError_namingTheCallersObject_readsTheCallersName() {
    Decision.Allow a = allowed(host(), ALICE, "POST", "/containers/web/start", null);
    UnaryOperator<String> errors = a.answerNames().message();
    assertThat(errors.apply("No such container: u1001_web")).isEqualTo("No such container: web");
    assertThat(errors.apply("Conflict. The container name \"/u1001_web\" is already in use"))
        .isEqualTo("Conflict. The container name \"/web\" is already in use");
    assertThat(errors.apply("endpoint u1001_web on network u1001_bridge"))
        .isEqualTo("endpoint web on network bridge");
    assertThat(errors.apply("xu1001_web and u1002_web")).isEqualTo("xu1001_web and u1002_web");
  }

  @Test
  void events_namesOfTheCallersObjects_shownWithoutPrefix() throws Exception {
    Decision.Allow a = allowed(host(), ALICE, "GET", "/events", null);
    UnaryOperator<JsonNode> events = ((FollowUp.MapEvents) a.followUp()).event();
    assertThat(
            events
                .apply(
                    JSON.readTree(
                        """
        {"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":
         {"name":"u1001_web","image":"x"}}}"""))
                .at("/Actor/Attributes/name")
                .asText())
        .isEqualTo("web");
    assertThat(
            events
                .apply(
                    JSON.readTree(
                        """
        {"Type":"network","Action":"connect","Actor":{"ID":"n","Attributes":
         {"name":"u1001_bridge","container":"abc"}}}"""))
                .at("/Actor/Attributes/name")
                .asText())
        .isEqualTo("bridge");
    JsonNode volume =
        events.apply(
            JSON.readTree(
                """
        {"Type":"volume","Action":"create","Actor":{"ID":"u1001_data","Attributes":
         {"driver":"local"}}}"""));
    assertThat(volume.at("/Actor/ID").asText()).isEqualTo("data");
  }

  @Test
  void admin_eventsAndErrors_unmapped() {
    assertThat(allowed(host(), ROOT, "GET", "/events", null).followUp()).isEqualTo(FollowUp.NONE);
    assertThat(allowed(host(), ROOT, "POST", "/containers/u1001_web/start", null).followUp())
        .isEqualTo(FollowUp.NONE);
  }

  @Test
  void create_volumesFromLinkAndContainerModes_plainNameIsTheCallersOwn() {
    Decision.Allow a =
        allowed(
            host(),
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"VolumesFrom\":[\"web:ro\"],\"Links\":[\"web:db\"],"
                + "\"PidMode\":\"container:web\",\"NetworkMode\":\"container:web\"}}");
    assertThat(body(a).at("/HostConfig/VolumesFrom/0").asText()).isEqualTo(ALICE_WEB + ":ro");
    assertThat(body(a).at("/HostConfig/Links/0").asText()).isEqualTo(ALICE_WEB + ":db");
    assertThat(body(a).at("/HostConfig/PidMode").asText()).isEqualTo("container:" + ALICE_WEB);
    assertThat(body(a).at("/HostConfig/NetworkMode").asText()).isEqualTo("container:" + ALICE_WEB);
    Decision bobs =
        Fixtures.decide(
            ENGINE,
            host(),
            BOB,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"VolumesFrom\":[\"u1001_web\"]}}");
    assertThat(bobs).isInstanceOf(Decision.Deny.class);
  }

  @Test
  void eventsAndListFilters_namedObject_alsoSelectTheDaemonsName() throws Exception {
    Decision.Allow a =
        allowed(
            host(),
            ALICE,
            "GET",
            "/events?filters="
                + URLEncoder.encode(
                    "{\"container\":[\"web\"],\"network\":[\"bridge\"]}", StandardCharsets.UTF_8),
            null);
    JsonNode filters = JSON.readTree(a.forward().query().get("filters").orElseThrow());
    assertThat(filters.path("container").has("web")).isTrue();
    assertThat(filters.path("container").has("u1001_web")).isTrue();
    assertThat(filters.path("network").has("u1001_bridge")).isTrue();
    assertThat(filters.path("label").has("dev.berth.owner.uid=1001")).isTrue();
  }

  @Test
  void stats_sampleName_shownWithoutPrefix() throws Exception {
    Decision.Allow a = allowed(host(), ALICE, "GET", "/containers/web/stats?stream=false", null);
    UnaryOperator<JsonNode> samples = ((FollowUp.MapEvents) a.followUp()).event();
    assertThat(
            samples
                .apply(JSON.readTree("{\"name\":\"/u1001_web\",\"id\":\"a\"}"))
                .path("name")
                .asText())
        .isEqualTo("/web");
  }

  @Test
  void volume_plainName_isTheCallersOwnAndShownAsNamed() throws Exception {
    FakeObjects objects = host().volume("u1001_data", FakeObjects.owner(1001));
    Decision.Allow inspect = allowed(objects, ALICE, "GET", "/volumes/data", null);
    assertThat(inspect.forward().path()).isEqualTo("/volumes/u1001_data");
    assertThat(
            ((FollowUp.MapNames) inspect.followUp())
                .mapping()
                .apply(JSON.readTree("{\"Name\":\"u1001_data\"}"))
                .path("Name")
                .asText())
        .isEqualTo("data");
    assertThat(allowed(objects, ALICE, "DELETE", "/volumes/data", null).forward().path())
        .isEqualTo("/volumes/u1001_data");
  }

  @Test
  void volumeAndNetwork_namesBerthChose_noted() {
    assertThat(
            allowed(host(), ALICE, "POST", "/networks/create", "{\"Name\":\"lab_default\"}")
                .rewrites())
        .contains("network lab_default is u1001_lab_default");
    assertThat(
            allowed(host(), ALICE, "POST", "/networks/bridge/connect", "{\"Container\":\"web\"}")
                .rewrites())
        .contains("network bridge is your own u1001_bridge");
    assertThat(allowed(host(), ALICE, "POST", "/volumes/create", "{\"Name\":\"data\"}").rewrites())
        .contains("volume data is u1001_data");
    assertThat(
            allowed(
                    host(),
                    ALICE,
                    "POST",
                    "/containers/create",
                    "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"olddata:/d\"]}}")
                .rewrites())
        .contains("volume olddata is yours");
  }

  private static String filtered(String filters) {
    return "?filters=" + URLEncoder.encode(filters, StandardCharsets.UTF_8);
  }

  private static JsonNode shown(Decision.Allow a, String answer) throws Exception {
    return ((FollowUp.MapNames) a.followUp()).mapping().apply(JSON.readTree(answer));
  }

  @Test
  void psNameFilter_anchored_matchesTheCallersName() throws Exception {
    Decision.Allow a =
        allowed(
            host(), ALICE, "GET", "/containers/json" + filtered("{\"name\":[\"^web$\"]}"), null);
    JsonNode forwarded = JSON.readTree(a.forward().query().get("filters").orElseThrow());
    assertThat(forwarded.has("name")).as("the daemon never sees the expression").isFalse();
    assertThat(forwarded.path("label").has("dev.berth.owner.uid=1001")).isTrue();
    JsonNode list =
        shown(
            a,
            """
            [{"Id": "1", "Names": ["/u1001_web"]}, {"Id": "2", "Names": ["/u1001_webapp"]},
             {"Id": "3", "Names": ["/u1001_lab-web-1"]}]""");
    assertThat(list.findValuesAsText("Id")).containsExactly("1");
    assertThat(list.findValuesAsText("Names").toString()).doesNotContain("u1001_");
  }

  @Test
  void psNameFilter_slashAnchoredAndPlain_likeOnAPrivateDaemon() throws Exception {
    String answer =
        """
        [{"Id": "1", "Names": ["/u1001_web"]}, {"Id": "2", "Names": ["/u1001_webapp"]}]""";
    Decision.Allow slash =
        allowed(
            host(),
            ALICE,
            "GET",
            "/containers/json" + filtered("{\"name\":{\"^/web$\":true}}"),
            null);
    assertThat(shown(slash, answer).findValuesAsText("Id")).containsExactly("1");
    Decision.Allow plain =
        allowed(host(), ALICE, "GET", "/containers/json" + filtered("{\"name\":[\"web\"]}"), null);
    assertThat(shown(plain, answer).findValuesAsText("Id")).containsExactly("1", "2");
  }

  @Test
  void nameFilter_namingAnotherUsersPrefix_selectsNothingOfTheirs() throws Exception {
    Decision.Allow a =
        allowed(
            host(),
            ALICE,
            "GET",
            "/containers/json" + filtered("{\"name\":[\"^/?u1002_\",\"u1002_web\"]}"),
            null);
    JsonNode forwarded = JSON.readTree(a.forward().query().get("filters").orElseThrow());
    assertThat(forwarded.has("name")).isFalse();
    assertThat(forwarded.path("label").has("dev.berth.owner.uid=1001")).isTrue();
    // The daemon answers with alice's objects only; in her names none starts with bob's prefix.
    assertThat(shown(a, "[{\"Id\": \"1\", \"Names\": [\"/u1001_web\"]}]")).isEmpty();
  }

  @Test
  void psNameFilterWithLimit_limitAppliedAfterTheName() throws Exception {
    Decision.Allow a =
        allowed(
            host(),
            ALICE,
            "GET",
            "/containers/json" + filtered("{\"name\":[\"^web\"]}") + "&limit=1",
            null);
    assertThat(a.forward().query().get("limit")).isEmpty();
    assertThat(a.forward().query().get("all")).hasValue("1");
    JsonNode list =
        shown(
            a,
            """
            [{"Id": "1", "Names": ["/u1001_db"]}, {"Id": "2", "Names": ["/u1001_web"]},
             {"Id": "3", "Names": ["/u1001_web2"]}]""");
    assertThat(list.findValuesAsText("Id")).containsExactly("2");
  }

  @Test
  void networkAndVolumeNameFilters_inTheCallersNames() throws Exception {
    Decision.Allow nets =
        allowed(host(), ALICE, "GET", "/networks" + filtered("{\"name\":[\"^bridge$\"]}"), null);
    assertThat(JSON.readTree(nets.forward().query().get("filters").orElseThrow()).has("name"))
        .isFalse();
    assertThat(
            shown(
                    nets,
                    """
                    [{"Name": "u1001_bridge", "IPAM": {}}, {"Name": "u1001_lab_default", "IPAM": {}}]""")
                .findValuesAsText("Name"))
        .containsExactly("bridge");
    Decision.Allow vols =
        allowed(host(), ALICE, "GET", "/volumes" + filtered("{\"name\":[\"^data$\"]}"), null);
    assertThat(
            shown(
                    vols,
                    "{\"Volumes\": [{\"Name\": \"u1001_data\"}, {\"Name\": \"u1001_olddata\"}]}")
                .path("Volumes")
                .findValuesAsText("Name"))
        .containsExactly("data");
  }

  @Test
  void nameFilter_ofAnAdministrator_forwardedAsGiven() throws Exception {
    Decision d =
        Fixtures.decide(
            ENGINE,
            host(),
            ROOT,
            "GET",
            "/containers/json" + filtered("{\"name\":[\"^/u1001_web$\"]}"),
            null);
    assertThat(((Decision.Allow) d).forward().query().get("filters").orElseThrow())
        .contains("^/u1001_web$");
  }

  @Test
  void imageErrors_namingTheCallersTag_readTheCallersName() {
    FakeObjects objects =
        host()
            .image(
                "sha256:" + "1".repeat(64),
                FakeObjects.owner(1001),
                Map.of("berth.invalid/u1001/docker.io/library/app:1", FakeObjects.owner(1001)));
    Decision.Allow rmi = allowed(objects, ALICE, "DELETE", "/images/app:1", null);
    UnaryOperator<String> errors = rmi.answerNames().message();
    assertThat(
            errors.apply(
                "conflict: unable to remove repository reference"
                    + " \"berth.invalid/u1001/docker.io/library/app:1\" (must force) - container"
                    + " 0123abcd is using its referenced image 1111"))
        .isEqualTo(
            "conflict: unable to remove repository reference \"app:1\" (must force) - container"
                + " 0123abcd is using its referenced image 1111");
    assertThat(errors.apply("No such image: berth.invalid/u1001/docker.io/library/app:1"))
        .isEqualTo("No such image: app:1");
    Decision.Allow start = allowed(host(), ALICE, "POST", "/containers/web/start", null);
    assertThat(
            start
                .answerNames()
                .message()
                .apply("No such image: berth.invalid/u1001/localhost__5000/lab/app:v2."))
        .isEqualTo("No such image: localhost:5000/lab/app:v2.");
  }

  @Test
  void imageErrors_namingAnotherUsersTag_neverShowIt() {
    Decision.Allow a = allowed(host(), ALICE, "POST", "/containers/web/start", null);
    String shown =
        a.answerNames()
            .message()
            .apply(
                "conflict: berth.invalid/u1002/docker.io/bob/secret-tool:v1 and"
                    + " berth.invalid/u1001/docker.io/library/app:1");
    assertThat(shown)
        .doesNotContain("u1002")
        .doesNotContain("secret-tool")
        .isEqualTo("conflict: " + ImageNamespace.OTHERS + " and app:1");
  }

  @Test
  void progressStream_ofAPull_renamed_otherAnswersNot() {
    UnaryOperator<String> progress =
        allowed(host(), ALICE, "POST", "/images/create?fromImage=busybox&tag=1", null)
            .answerNames()
            .progress();
    assertThat(progress).isNotNull();
    Decision.Allow start = allowed(host(), ALICE, "POST", "/containers/web/start", null);
    assertThat(start.answerNames().progress())
        .as("an answer that is not a progress stream")
        .isNull();
    assertThat(progress.apply("Loaded image: berth.invalid/u1001/docker.io/library/app:1\n"))
        .isEqualTo("Loaded image: app:1\n");
    assertThat(progress.apply("Step 2/3 : RUN echo u1001_x"))
        .as("only image names are renamed in a progress stream")
        .isEqualTo("Step 2/3 : RUN echo u1001_x");
  }

  @Test
  void answerNames_ofAnAdministrator_asTheyAre() {
    Decision d = Fixtures.decide(ENGINE, host(), ROOT, "DELETE", "/images/busybox", null);
    assertThat(((Decision.Allow) d).answerNames()).isEqualTo(Decision.AnswerNames.AS_IS);
  }

  @Test
  void events_imageNames_theCallersShown_othersRemoved() throws Exception {
    Decision.Allow a = allowed(host(), ALICE, "GET", "/events", null);
    UnaryOperator<JsonNode> events = ((FollowUp.MapEvents) a.followUp()).event();
    JsonNode mine =
        events.apply(
            JSON.readTree(
                """
                {"status":"start","id":"c1","from":"berth.invalid/u1001/docker.io/library/app:1",
                 "Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":
                 {"image":"berth.invalid/u1001/docker.io/library/app:1","name":"u1001_web"}}}"""));
    assertThat(mine.path("from").asText()).isEqualTo("app:1");
    assertThat(mine.at("/Actor/Attributes/image").asText()).isEqualTo("app:1");
    assertThat(mine.at("/Actor/Attributes/name").asText()).isEqualTo("web");
    JsonNode tag =
        events.apply(
            JSON.readTree(
                """
                {"Type":"image","Action":"tag","Actor":{"ID":"sha256:aa","Attributes":
                 {"name":"berth.invalid/u1002/docker.io/library/secret:1"}}}"""));
    assertThat(tag.toString()).doesNotContain("u1002").doesNotContain("secret");
    assertThat(tag.at("/Actor/ID").asText()).isEqualTo("sha256:aa");
  }

  @Test
  void systemDf_containersImage_theCallersTagAsGiven() throws Exception {
    Decision.Allow a = allowed(host(), ALICE, "GET", "/system/df", null);
    JsonNode df =
        ((FollowUp.FilterResponse) a.followUp())
            .filter()
            .apply(
                JSON.readTree(
                    """
                    {"Images": [], "Volumes": [], "Containers": [{"Id": "c1",
                     "Names": ["/u1001_web"], "Image": "berth.invalid/u1001/docker.io/library/app:1",
                     "ImageID": "sha256:11", "Labels": {"dev.berth.owner.uid": "1001"}}]}"""));
    assertThat(df.at("/Containers/0/Image").asText()).isEqualTo("app:1");
    assertThat(df.at("/Containers/0/Names/0").asText()).isEqualTo("/web");
  }
}
