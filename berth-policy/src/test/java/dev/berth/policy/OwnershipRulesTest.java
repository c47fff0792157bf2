package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ALICE_CONTAINER;
import static dev.berth.policy.Fixtures.ALICE_EXEC;
import static dev.berth.policy.Fixtures.ALICE_IMAGE;
import static dev.berth.policy.Fixtures.ALICE_NETWORK;
import static dev.berth.policy.Fixtures.BOB;
import static dev.berth.policy.Fixtures.BOB_EXEC;
import static dev.berth.policy.Fixtures.ENGINE;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.yaml.PolicyLoader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue #5: each user sees and touches only their own objects; admins reach all. */
class OwnershipRulesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Decision decide(Principal who, String method, String target, String body) {
    return Fixtures.decide(ENGINE, Fixtures.objects(), who, method, target, body);
  }

  /** Plugin mode: names as sent, so names of other users' objects are taken. */
  private static Decision asSent(Principal who, String method, String target, String body) {
    return Fixtures.decideAsSent(ENGINE, Fixtures.objects(), who, method, target, body);
  }

  /** {@code who}'s {@code POST /containers/create} with {@code body}. */
  private static Decision create(Principal who, String body) {
    return decide(who, "POST", "/containers/create", body);
  }

  /** Alice's {@code POST /containers/create} with {@code body}, on the host {@code objects}. */
  private static Decision create(ObjectDirectory objects, String body) {
    return Fixtures.decide(ENGINE, objects, ALICE, "POST", "/containers/create", body);
  }

  /** The JSON body berth forwards. */
  private static JsonNode forwarded(Decision.Allow a) {
    return ((Body.Json) a.forward().body()).value();
  }

  private static Decision.Allow allowed(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static Decision.Deny denied(Decision d, Decision.Status status) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    Decision.Deny deny = (Decision.Deny) d;
    assertThat(deny.status()).isEqualTo(status);
    return deny;
  }

  private static String body(String method) {
    return method.equals("POST") ? "{}" : null;
  }

  // ---- containers ---------------------------------------------------------------------------

  /** Every endpoint that names a container, with the body it needs. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "GET,json",
    "GET,top",
    "GET,logs",
    "GET,changes",
    "GET,export",
    "GET,stats",
    "POST,resize",
    "POST,start",
    "POST,stop",
    "POST,restart",
    "POST,kill",
    "POST,update",
    "POST,rename?name=x",
    "POST,pause",
    "POST,unpause",
    "POST,attach",
    "POST,wait",
    "DELETE,",
    "HEAD,archive?path=/",
    "GET,archive?path=/",
    "POST,exec"
  })
  void container_othersContainer_lookslikeNotFound(String method, String rest) {
    String path = "/containers/bobweb" + (rest == null ? "" : "/" + rest);
    Decision d =
        decide(
            ALICE,
            method,
            path,
            method.equals("POST") ? (rest.startsWith("exec") ? "{\"Cmd\":[\"sh\"]}" : "{}") : null);
    Decision.Deny deny = denied(d, Decision.Status.NOT_FOUND);
    assertThat(deny.reason()).isEqualTo("berth: No such container: bobweb");
  }

  @Test
  void container_ownByName_forwardedWithFullId() {
    Decision.Allow a = allowed(decide(ALICE, "POST", "/v1.51/containers/abc/stop?t=1", null));
    assertThat(a.forward().target())
        .isEqualTo("/v1.51/containers/" + ALICE_CONTAINER + "/stop?t=1");
  }

  @Test
  void container_idPrefixOfOthersContainer_notFound() {
    denied(decide(ALICE, "POST", "/containers/b0b/kill", null), Decision.Status.NOT_FOUND);
  }

  @Test
  void container_createdWithoutBerth_reachesOnlyAdmins() {
    denied(decide(ALICE, "GET", "/containers/site/json", null), Decision.Status.NOT_FOUND);
    allowed(decide(ROOT, "GET", "/containers/site/json", null));
  }

  @Test
  void container_admin_reachesEveryonesUnchanged() {
    Decision.Allow a = allowed(decide(ROOT, "DELETE", "/containers/bobweb?force=1", null));
    assertThat(a.forward().path()).isEqualTo("/containers/bobweb");
  }

  @Test
  void container_lookupFails_indeterminate() {
    FakeObjects broken = Fixtures.objects();
    broken.broken = true;
    Decision d = Fixtures.decide(ENGINE, broken, ALICE, "POST", "/containers/abc/stop", null);
    assertThat(d).isInstanceOf(Decision.Indeterminate.class);
    assertThat(d.rule()).isEqualTo("ownership_lookup");
  }

  @Test
  void container_withoutDirectory_indeterminateNotAllowed() {
    Decision d = ENGINE.evaluate(ALICE, Fixtures.parse("POST", "/containers/abc/stop"), null);
    assertThat(d).isInstanceOf(Decision.Indeterminate.class);
  }

  @Test
  void rename_toOthersName_conflict_namesAsSent() {
    Decision.Deny deny =
        denied(
            asSent(ALICE, "POST", "/containers/abc/rename?name=bobweb", null),
            Decision.Status.CONFLICT);
    assertThat(deny.reason()).contains("already used by another user");
  }

  @Test
  void execCreate_own_claimsExecForCaller() {
    Decision.Allow a = allowed(decide(ALICE, "POST", "/containers/abc/exec", "{\"Cmd\":[\"sh\"]}"));
    assertThat(a.followUp()).isEqualTo(new FollowUp.ClaimExec(new Owner(1001, -1)));
    assertThat(a.forward().path()).isEqualTo("/containers/" + ALICE_CONTAINER + "/exec");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"POST /exec/%s/start", "POST /exec/%s/resize?h=1&w=1", "GET /exec/%s/json"})
  void exec_othersExec_notFound(String template) {
    String[] parts = template.split(" ");
    String body = parts[1].contains("start") ? "{\"Detach\":false}" : null;
    denied(decide(ALICE, parts[0], parts[1].formatted(BOB_EXEC), body), Decision.Status.NOT_FOUND);
    allowed(decide(ALICE, parts[0], parts[1].formatted(ALICE_EXEC), body));
    allowed(decide(BOB, parts[0], parts[1].formatted(BOB_EXEC), body));
  }

  @Test
  void commit_othersContainer_notFound() {
    denied(
        decide(ALICE, "POST", "/commit?container=bobweb&repo=mine", "{}"),
        Decision.Status.NOT_FOUND);
  }

  @Test
  void commit_own_containerResolvedImageClaimedNameInNamespace() {
    Decision.Allow a =
        allowed(decide(ALICE, "POST", "/commit?container=abc&repo=mine&tag=v1", "{}"));
    assertThat(a.forward().query().get("container")).hasValue(ALICE_CONTAINER);
    assertThat(a.forward().query().get("repo"))
        .hasValue("berth.invalid/u1001/docker.io/library/mine");
    assertThat(a.forward().query().get("tag")).hasValue("v1");
    assertThat(a.followUp()).isEqualTo(new FollowUp.ClaimImage("", new Owner(1001, -1)));
  }

  // ---- create -------------------------------------------------------------------------------

  @Test
  void create_nameOfOthersContainer_conflict_namesAsSent() {
    denied(
        asSent(ALICE, "POST", "/containers/create?name=bobweb", "{\"Image\":\"x\"}"),
        Decision.Status.CONFLICT);
  }

  @Test
  void create_nameThatIsAnotherUsersShortId_conflict_namesAsSent() {
    // the daemon resolves names before id prefixes: the name would take bob's short id over
    Decision.Deny d =
        denied(
            asSent(ALICE, "POST", "/containers/create?name=b0b222222222", "{\"Image\":\"x\"}"),
            Decision.Status.CONFLICT);
    assertThat(d.reason()).contains("is the id of another user's container");
    denied(
        asSent(ALICE, "POST", "/containers/abc/rename?name=b0b2", null), Decision.Status.CONFLICT);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"VolumesFrom\":[\"bobweb\"]}|--volumes-from",
        "{\"VolumesFrom\":[\"site:ro\"]}|--volumes-from",
        "{\"Links\":[\"bobweb:db\"]}|--link",
        "{\"NetworkMode\":\"container:bobweb\"}|NetworkMode",
        "{\"PidMode\":\"container:b0b2\"}|PidMode",
        "{\"IpcMode\":\"container:site\"}|IpcMode"
      })
  void create_referenceToAContainerNotTheCallers_refused(String hostConfig, String what) {
    // HC-06: --volumes-from another user's container would mount what it mounts (their home)
    Decision.Deny d =
        denied(
            create(ALICE, "{\"Image\":\"x\"," + "\"HostConfig\":" + hostConfig + "}"),
            Decision.Status.FORBIDDEN);
    assertThat(d.reason()).contains(what).contains("no such container of yours");
  }

  @Test
  void create_referencesToTheCallersOwnContainer_forwardedWithItsFullId() {
    Decision.Allow a =
        allowed(
            create(
                ALICE,
                "{\"Image\":\"x\","
                    + "\"HostConfig\":{\"VolumesFrom\":[\"abc:ro\"],\"Links\":[\"/abc:db\", \"abc\"],"
                    + "\"NetworkMode\":\"container:abc\",\"PidMode\":\"container:abc\","
                    + "\"IpcMode\":\"container:abc\"}}"));
    JsonNode hc = forwarded(a).path("HostConfig");
    String id = Fixtures.ALICE_CONTAINER;
    assertThat(hc.at("/VolumesFrom/0").asText()).isEqualTo(id + ":ro");
    assertThat(hc.at("/Links/0").asText()).isEqualTo(id + ":db");
    assertThat(hc.at("/Links/1").asText()).isEqualTo(id + ":abc");
    assertThat(hc.path("NetworkMode").asText()).isEqualTo("container:" + id);
    assertThat(hc.path("PidMode").asText()).isEqualTo("container:" + id);
    assertThat(hc.path("IpcMode").asText()).isEqualTo("container:" + id);
  }

  @Test
  void create_nameThatIsTheCallersOwnIdPrefix_allowed() {
    allowed(decide(ALICE, "POST", "/containers/create?name=abc111", "{\"Image\":\"x\"}"));
  }

  @Test
  void create_anonymousVolumeFromConfigVolumes_becomesALabelledMount() {
    Decision.Allow a =
        allowed(
            create(
                ALICE,
                "{\"Image\":\"x\",\"Volumes\":{\"/data\":{},\"/d\":{}},"
                    + "\"HostConfig\":{\"Binds\":[\"fresh:/d\"]}}"));
    JsonNode body = forwarded(a);
    assertThat(body.path("Volumes").has("/data")).isFalse();
    assertThat(body.path("Volumes").has("/d")).as("shadowed by a bind: left alone").isTrue();
    assertThat(body.at("/HostConfig/Mounts/0/Target").asText()).isEqualTo("/data");
    assertThat(body.at("/HostConfig/Mounts/0/VolumeOptions/Labels/dev.berth.owner.uid").asText())
        .isEqualTo("1001");
  }

  @Test
  void create_byAdmin_ownerLabelsEmptiedUnlessGiven() {
    Decision.Allow a = allowed(create(ROOT, "{\"Image\":\"x\"}"));
    JsonNode labels = forwarded(a).path("Labels");
    assertThat(labels.path(Owner.UID_LABEL).asText("x")).isEmpty();
    assertThat(labels.has(Owner.UID_LABEL)).isTrue();
    assertThat(Owner.fromLabels(Map.of(Owner.UID_LABEL, ""))).isEmpty();
    Decision.Allow given =
        allowed(create(ROOT, "{\"Image\":\"x\",\"Labels\":{\"dev.berth.owner.uid\":\"1001\"}}"));
    assertThat(forwarded(given).at("/Labels/dev.berth.owner.uid").asText()).isEqualTo("1001");
  }

  @Test
  void create_othersVolume_denied_namesAsSent() {
    Decision.Deny deny =
        denied(
            asSent(
                ALICE,
                "POST",
                "/containers/create",
                "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"bobdata:/d\"]}}"),
            Decision.Status.FORBIDDEN);
    assertThat(deny.reason()).contains("the volume \"bobdata\" belongs to someone else");
    denied(
        asSent(
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":"
                + "{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"bobdata\",\"Target\":\"/d\"}]}}"),
        Decision.Status.FORBIDDEN);
  }

  @Test
  void create_siteVolume_denied_namesAsSent() {
    denied(
        asSent(
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"sitedata:/d\"]}}"),
        Decision.Status.FORBIDDEN);
  }

  @Test
  void create_newNamedVolume_createdAsCallers() throws Exception {
    FakeObjects objects = Fixtures.objects();
    Decision.Allow a =
        allowed(create(objects, "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"fresh:/d\"]}}"));
    assertThat(forwarded(a).at("/HostConfig/Binds/0").asText()).isEqualTo("u1001_fresh:/d");
    assertThat(objects.volume("u1001_fresh")).as("not while deciding").isEmpty();
    assertThat(a.effects())
        .filteredOn(Effect.EnsureVolume.class::isInstance)
        .containsExactly(new Effect.EnsureVolume("u1001_fresh", new Owner(1001, -1)));
    assertThat(a.effects().get(0).perform(objects)).isEmpty();
    assertThat(objects.volume("u1001_fresh"))
        .hasValueSatisfying(v -> assertThat(v.owner()).hasValue(new Owner(1001, -1)));
  }

  @Test
  void create_ownNamedVolume_ensuredAfterTheRecord() throws Exception {
    FakeObjects objects = Fixtures.objects().volume("u1001_alicedata", FakeObjects.owner(1001));
    Decision.Allow a =
        allowed(
            create(
                objects,
                "{\"Image\":\"x\",\"HostConfig\":{\"Mounts\":[{\"Type\":"
                    + "\"volume\",\"Source\":\"alicedata\",\"Target\":\"/d\"}]}}"));
    assertThat(a.effects())
        .filteredOn(Effect.EnsureVolume.class::isInstance)
        .containsExactly(new Effect.EnsureVolume("u1001_alicedata", new Owner(1001, -1)));
    assertThat(a.effects().get(0).perform(objects)).isEmpty();
  }

  @Test
  void decide_anyRequest_writesNothingToTheDirectory() {
    ObjectDirectory readOnly =
        new ReadOnlyObjects(
            Fixtures.objects()
                .volume("alicedata", FakeObjects.owner(1001))
                .volume("u1001_squat", FakeObjects.owner(1002)));
    for (String body :
        new String[] {
          "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"fresh:/d\",\"alicedata:/e\"]}}",
          "{\"Image\":\"x\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\","
              + "\"Source\":\"new2\",\"Target\":\"/d\"}]}}",
          "{\"Image\":\"x\",\"Volumes\":{\"/data\":{}}}"
        }) {
      allowed(create(readOnly, body));
    }
    denied(
        create(readOnly, "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"squat:/d\"]}}"),
        Decision.Status.FORBIDDEN);
    allowed(
        Fixtures.decide(ENGINE, readOnly, ALICE, "POST", "/volumes/create", "{\"Name\":\"new\"}"));
  }

  @Test
  void ensureVolume_createdBySomeoneElseAfterTheDecision_refused() throws Exception {
    FakeObjects objects = Fixtures.objects();
    Decision.Allow a =
        allowed(create(objects, "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"fresh:/d\"]}}"));
    objects.volume("u1001_fresh", FakeObjects.owner(1002)); // somebody wins the race
    Decision.Deny deny = a.effects().get(0).perform(objects).orElseThrow();
    assertThat(deny.status()).isEqualTo(Decision.Status.FORBIDDEN);
    assertThat(deny.reason()).contains("the volume \"u1001_fresh\" belongs to someone else");
  }

  @Test
  void ensureVolume_groupScope_groupMatesVolumeAccepted() throws Exception {
    FakeObjects objects = Fixtures.objects().volume("shared", Optional.of(new Owner(1002, 2000)));
    Effect mine = new Effect.EnsureVolume("shared", new Owner(1001, 2000));
    assertThat(mine.perform(objects)).isEmpty();
    Effect unshared = new Effect.EnsureVolume("shared", new Owner(1001, -1));
    assertThat(unshared.perform(objects)).isPresent();
    objects.volume("root-group", Optional.of(new Owner(1002, 0)));
    assertThat(new Effect.EnsureVolume("root-group", new Owner(1001, 0)).perform(objects))
        .as("group 0 is a group like any other")
        .isEmpty();
    objects.volume("nobodys", Optional.empty());
    assertThat(new Effect.EnsureVolume("nobodys", new Owner(1001, 2000)).perform(objects))
        .isPresent();
  }

  @Test
  void create_anonymousVolumeMount_labelledAsCallers() {
    Decision.Allow a =
        allowed(
            create(
                ALICE,
                "{\"Image\":\"x\","
                    + "\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/d\"}]}}"));
    JsonNode labels = forwarded(a).at("/HostConfig/Mounts/0/VolumeOptions/Labels");
    assertThat(labels.path(Owner.UID_LABEL).asText()).isEqualTo("1001");
  }

  @Test
  void create_anonymousVolumeForgingOwnerLabel_denied() {
    denied(
        create(
            ALICE,
            "{\"Image\":\"x\",\"HostConfig\":"
                + "{\"Mounts\":[{\"Type\":\"volume\",\"Target\":\"/d\",\"VolumeOptions\":{\"Labels\":"
                + "{\"dev.berth.owner.uid\":\"1002\"}}}]}}"),
        Decision.Status.FORBIDDEN);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"bobnet\"}}",
        "{\"Image\":\"x\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"bobnet\":{}}}}",
        "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"b1\"}}"
      })
  void create_othersNetwork_refusedAsNotFoundWith403(String body) {
    // 403, not 404: the CLI takes a 404 from create for a missing image and would pull
    Decision.Deny d = denied(create(ALICE, body), Decision.Status.FORBIDDEN);
    assertThat(d.reason()).endsWith(" not found");
  }

  @ParameterizedTest
  @ValueSource(strings = {"alicenet", "bridge", "none", "default"})
  void create_ownOrDaemonNetwork_allowed(String net) {
    allowed(create(ALICE, "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"" + net + "\"}}"));
  }

  @Test
  void create_stampsBothOwnerLabels_soImageLabelsCannotShare() {
    Decision.Allow a = allowed(create(ALICE, "{\"Image\":\"x\"}"));
    JsonNode labels = forwarded(a).path("Labels");
    assertThat(labels.path(Owner.UID_LABEL).asText()).isEqualTo("1001");
    assertThat(labels.has(Owner.GID_LABEL)).isTrue();
    assertThat(labels.path(Owner.GID_LABEL).asText()).isEmpty();
  }

  @Test
  void create_ownerLabelsTheCallerWouldGet_acceptedAsGiven() {
    Decision.Allow a =
        allowed(
            create(
                ALICE,
                "{\"Image\":\"x\","
                    + "\"Labels\":{\"dev.berth.owner.uid\":\"1001\",\"dev.berth.owner.gid\":\"\"}}"));
    assertThat(a.rewrites()).noneMatch(r -> r.startsWith("label "));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"dev.berth.owner.uid\":\"1002\"}",
        "{\"dev.berth.owner.gid\":\"2000\"}",
        "{\"dev.berth.other\":\"x\"}"
      })
  void create_forgedBerthLabels_denied(String labels) {
    denied(create(ALICE, "{\"Image\":\"x\",\"Labels\":" + labels + "}"), Decision.Status.FORBIDDEN);
  }

  // ---- volumes and networks -----------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({"GET,/volumes/bobdata", "DELETE,/volumes/bobdata", "GET,/volumes/sitedata"})
  void volume_notOwn_notFound(String method, String path) {
    Decision.Deny deny = denied(decide(ALICE, method, path, null), Decision.Status.NOT_FOUND);
    assertThat(deny.reason()).contains("no such volume");
  }

  @Test
  void volumeCreate_nameOfOthersVolume_conflictWithoutItsDetails_namesAsSent() {
    Decision.Deny d =
        denied(
            asSent(ALICE, "POST", "/volumes/create", "{\"Name\":\"bobdata\"}"),
            Decision.Status.CONFLICT);
    assertThat(d.reason()).contains("already used by another user");
    allowed(asSent(ALICE, "POST", "/volumes/create", "{\"Name\":\"a\"}"));
    allowed(asSent(ALICE, "POST", "/volumes/create", "{\"Name\":\"new\"}"));
  }

  @Test
  void systemDf_imagesCountOnlyTheCallersContainers() throws Exception {
    FollowUp.FilterResponse f =
        (FollowUp.FilterResponse) allowed(decide(ALICE, "GET", "/system/df", null)).followUp();
    JsonNode out =
        f.filter()
            .apply(
                JSON.readTree(
                    """
        {"Images": [{"Id": "i1", "Containers": 3}, {"Id": "i2", "Containers": 1}],
         "Containers": [{"Id": "a", "ImageID": "i1", "Labels": {"dev.berth.owner.uid": "1001"}},
                        {"Id": "b", "ImageID": "i1", "Labels": {"dev.berth.owner.uid": "1002"}},
                        {"Id": "c", "ImageID": "i2", "Labels": {"dev.berth.owner.uid": "1002"}}]}
        """));
    assertThat(out.at("/Images/0/Containers").asInt()).isEqualTo(1);
    assertThat(out.at("/Images/1/Containers").asInt()).isEqualTo(0);
  }

  @Test
  void volume_own_allowed() {
    allowed(decide(ALICE, "DELETE", "/volumes/a", null));
  }

  @ParameterizedTest
  @CsvSource({
    "GET,/networks/bobnet",
    "DELETE,/networks/bobnet",
    "POST,/networks/bobnet/connect",
    "POST,/networks/bobnet/disconnect"
  })
  void network_notOwn_notFound(String method, String path) {
    denied(
        decide(ALICE, method, path, method.equals("POST") ? "{\"Container\":\"abc\"}" : null),
        Decision.Status.NOT_FOUND);
  }

  @Test
  void networkConnect_othersContainerToOwnNetwork_notFound() {
    denied(
        decide(ALICE, "POST", "/networks/alicenet/connect", "{\"Container\":\"bobweb\"}"),
        Decision.Status.NOT_FOUND);
  }

  @Test
  void networkConnect_own_bodyRebuiltWithIds() throws Exception {
    Decision.Allow a =
        allowed(
            decide(
                ALICE,
                "POST",
                "/networks/alicenet/connect",
                "{\"container\":\"abc\",\"EndpointConfig\":{\"Aliases\":[\"w\"]},\"Extra\":1}"));
    assertThat(a.forward().path()).isEqualTo("/networks/" + ALICE_NETWORK + "/connect");
    assertThat(forwarded(a))
        .isEqualTo(
            JSON.readTree(
                "{\"EndpointConfig\":{\"Aliases\":[\"w\"]},\"Container\":\""
                    + ALICE_CONTAINER
                    + "\"}"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"Name\":\"n\",\"Driver\":\"macvlan\"}",
        "{\"Name\":\"n\",\"Options\":{\"com.docker.network.bridge.name\":\"docker0\"}}",
        "{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/8\"}]}}",
        "{\"Name\":\"n\",\"Attachable\":true}",
        "{\"Name\":\"n\",\"Labels\":{\"dev.berth.owner.uid\":\"1002\"}}",
        "{\"name\":\"n\",\"driver\":\"ipvlan\"}"
      })
  void networkCreate_hostReachingOrForged_denied(String body) {
    denied(decide(ALICE, "POST", "/networks/create", body), Decision.Status.FORBIDDEN);
  }

  @Test
  void networkCreate_plain_bridgeLabelledAsCallers() {
    Decision.Allow a =
        allowed(
            decide(
                ALICE,
                "POST",
                "/networks/create",
                "{\"Name\":\"n\",\"Labels\":{\"app\":\"x\"},\"Internal\":true}"));
    JsonNode out = forwarded(a);
    assertThat(out.path("Driver").asText()).isEqualTo("bridge");
    assertThat(out.path("Internal").asBoolean()).isTrue();
    assertThat(out.at("/Labels/app").asText()).isEqualTo("x");
    assertThat(out.at("/Labels/dev.berth.owner.uid").asText()).isEqualTo("1001");
  }

  // ---- lists --------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    "GET,/containers/json",
    "GET,/volumes",
    "GET,/networks",
    "GET,/events",
    "POST,/containers/prune",
    "POST,/volumes/prune",
    "POST,/networks/prune",
    "POST,/images/prune"
  })
  void list_narrowedToOwnerLabel(String method, String path) throws Exception {
    Decision.Allow a = allowed(decide(ALICE, method, path, null));
    JsonNode filters = JSON.readTree(a.forward().query().get("filters").orElseThrow());
    assertThat(filters.path("label").has("dev.berth.owner.uid=1001")).isTrue();
  }

  @Test
  void buildPrune_user_matchesNoCacheWhateverTheFilters() throws Exception {
    // docker system prune ends with a build-cache prune; the cache is everyone's, so a user's
    // prune completes and removes nothing (label filters are not applied by the 20.10 builder)
    String f = URLEncoder.encode("{\"label\":[\"x=y\"]}", StandardCharsets.UTF_8);
    Decision.Allow a = allowed(decide(ALICE, "POST", "/build/prune?all=1&filters=" + f, null));
    assertThat(a.forward().query().asMap()).containsOnlyKeys("filters");
    assertThat(a.forward().query().get("filters"))
        .contains("{\"id\":[\"berth-users-own-no-build-cache\"]}");
  }

  @Test
  void list_callersFiltersKept_legacyFormNormalised() throws Exception {
    String f =
        URLEncoder.encode(
            "{\"status\":[\"exited\"],\"label\":{\"app=x\":true}}", StandardCharsets.UTF_8);
    Decision.Allow a = allowed(decide(ALICE, "GET", "/containers/json?all=1&filters=" + f, null));
    JsonNode filters = JSON.readTree(a.forward().query().get("filters").orElseThrow());
    assertThat(filters)
        .isEqualTo(
            JSON.readTree(
                "{\"status\":{\"exited\":true},\"label\":"
                    + "{\"app=x\":true,\"dev.berth.owner.uid=1001\":true}}"));
  }

  @Test
  void list_callerAsksForOthersLabel_stillAndedWithOwn() throws Exception {
    String f =
        URLEncoder.encode("{\"label\":[\"dev.berth.owner.uid=1002\"]}", StandardCharsets.UTF_8);
    Decision.Allow a = allowed(decide(ALICE, "GET", "/containers/json?filters=" + f, null));
    JsonNode filters = JSON.readTree(a.forward().query().get("filters").orElseThrow());
    assertThat(filters.path("label").has("dev.berth.owner.uid=1001")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[1]",
        "{\"label\":\"x\"}",
        "{\"label\":[1]}",
        "{\"label\":{\"a\":1}}",
        "{\"label\":[\"a\"],\"label\":[\"b\"]}",
        "{\"a\":[]} x",
        "nope"
      })
  void list_malformedFilters_badRequest(String filters) {
    String f = URLEncoder.encode(filters, StandardCharsets.UTF_8);
    denied(
        decide(ALICE, "GET", "/containers/json?filters=" + f, null), Decision.Status.BAD_REQUEST);
  }

  @Test
  void list_repeatedFilters_refusedWhenParsed() {
    assertThatThrownBy(
            () -> CanonicalRequest.parse("GET", "/containers/json?filters=%7B%7D&filters=%7B%7D"))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("more than once");
  }

  @Test
  void systemDf_answerNarrowed() throws Exception {
    Decision.Allow a = allowed(decide(ALICE, "GET", "/system/df", null));
    FollowUp.FilterResponse f = (FollowUp.FilterResponse) a.followUp();
    JsonNode df =
        JSON.readTree(
            """
        {"LayersSize": 5, "Images": [{"Id": "i"}],
         "Containers": [{"Id": "a", "Labels": {"dev.berth.owner.uid": "1001"}},
                        {"Id": "b", "Labels": {"dev.berth.owner.uid": "1002"}},
                        {"Id": "s", "Labels": {}}],
         "Volumes": [{"Name": "v", "Labels": {"dev.berth.owner.uid": "1002"}}],
         "BuildCache": [{"ID": "x"}], "SomethingNew": [{"Id": "b"}]}""");
    assertThat(f.filter().apply(df))
        .isEqualTo(
            JSON.readTree(
                """
        {"LayersSize": 5, "Images": [{"Id": "i"}],
         "Containers": [{"Id": "a", "Labels": {"dev.berth.owner.uid": "1001"}}],
         "Volumes": [], "BuildCache": []}"""));
  }

  // ---- images -------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    "DELETE,/images/busybox:latest",
    "DELETE,/images/busybox",
    "POST,/images/busybox/push?tag=latest"
  })
  void image_removingOrPushingSitesTag_denied(String method, String path) {
    denied(decide(ALICE, method, path, null), Decision.Status.FORBIDDEN);
    allowed(decide(ROOT, method, path, null));
  }

  /** A pull of a shared name only refreshes it from the registry; a tag lands in the namespace. */
  @ParameterizedTest
  @CsvSource({
    "POST,/images/create?fromImage=busybox&tag=latest",
    "POST,/images/create?fromImage=docker.io/library/busybox&tag=latest",
    "POST,/images/create?fromImage=busybox:latest",
    "POST,/images/alice/tool:1/tag?repo=busybox&tag=latest"
  })
  void image_pullOverSharedTagOrTagToItsName_allowed(String method, String path) {
    Decision.Allow a = allowed(decide(ALICE, method, path, null));
    assertThat(a.forward().query().get("repo").orElse(""))
        .isIn("", "berth.invalid/u1001/docker.io/library/busybox");
  }

  @Test
  void image_pullAllTags_denied() {
    denied(
        decide(ALICE, "POST", "/images/create?fromImage=alpine&tag=", null),
        Decision.Status.FORBIDDEN);
  }

  @Test
  void image_pullNewTag_claimedForCaller() {
    Decision.Allow a =
        allowed(
            decide(ALICE, "POST", "/images/create?fromImage=docker.io/library/alpine&tag=3", null));
    assertThat(a.followUp()).isEqualTo(new FollowUp.ClaimImage("alpine:3", new Owner(1001, -1)));
  }

  @Test
  void image_ownTag_mayBeReplacedAndRemoved() {
    allowed(decide(ALICE, "POST", "/images/busybox/tag?repo=alice/tool&tag=1", null));
    allowed(decide(ALICE, "DELETE", "/images/alice/tool:1", null));
    allowed(decide(ALICE, "DELETE", "/images/" + ALICE_IMAGE, null));
    denied(decide(BOB, "DELETE", "/images/alice/tool:1", null), Decision.Status.FORBIDDEN);
  }

  @Test
  void image_deleteUnknown_notFound() {
    denied(decide(ALICE, "DELETE", "/images/nothere:1", null), Decision.Status.NOT_FOUND);
  }

  @Test
  void image_pullByDigest_allowedWithoutClaim() {
    Decision.Allow a =
        allowed(
            decide(
                ALICE,
                "POST",
                "/images/create?fromImage=busybox&tag=sha256:" + "a".repeat(64),
                null));
    assertThat(a.followUp()).isEqualTo(FollowUp.NONE);
    assertThat(
            allowed(
                    decide(
                        ALICE,
                        "POST",
                        "/images/create?fromImage=busybox@sha256:" + "a".repeat(64),
                        null))
                .followUp())
        .isEqualTo(FollowUp.NONE);
  }

  @Test
  void image_tagOfUnknownSource_notFound() {
    denied(
        decide(ALICE, "POST", "/images/nothere/tag?repo=mine&tag=1", null),
        Decision.Status.NOT_FOUND);
  }

  @Test
  void image_tagToNewName_writtenInCallersNamespace() {
    Decision.Allow a = allowed(decide(ALICE, "POST", "/images/busybox/tag?repo=mine", null));
    assertThat(a.forward().query().get("repo"))
        .hasValue("berth.invalid/u1001/docker.io/library/mine");
    assertThat(a.forward().query().get("tag")).hasValue("latest");
    assertThat(a.followUp()).isEqualTo(FollowUp.NONE);
  }

  @Test
  void image_pushOwnTag_allowed_unknownNotFound() {
    allowed(decide(ALICE, "POST", "/images/alice/tool/push?tag=1", null));
    denied(
        decide(ALICE, "POST", "/images/alice/other/push?tag=1", null), Decision.Status.NOT_FOUND);
  }

  @Test
  void image_deleteByIdWithATagNotTheCallers_denied() {
    FakeObjects objects =
        Fixtures.objects()
            .image(
                "sha256:" + "9".repeat(64),
                Optional.empty(),
                Map.of("alice/a:1", FakeObjects.owner(1001), "bob/b:1", FakeObjects.owner(1002)));
    denied(
        Fixtures.decide(ENGINE, objects, ALICE, "DELETE", "/images/sha256:" + "9".repeat(64), null),
        Decision.Status.FORBIDDEN);
    FakeObjects mine =
        Fixtures.objects()
            .image(
                "sha256:" + "9".repeat(64),
                Optional.empty(),
                Map.of("alice/a:1", FakeObjects.owner(1001), "alice/b:1", FakeObjects.owner(1001)));
    allowed(
        Fixtures.decide(ENGINE, mine, ALICE, "DELETE", "/images/sha256:" + "9".repeat(64), null));
  }

  @Test
  void commit_withoutRepo_claimsTheCreatedImage() {
    Decision.Allow a = allowed(decide(ALICE, "POST", "/commit?container=abc", "{}"));
    assertThat(a.followUp()).isEqualTo(new FollowUp.ClaimImage("", new Owner(1001, -1)));
  }

  @Test
  void networkDisconnect_bodyRebuiltWithForce() throws Exception {
    Decision.Allow a =
        allowed(
            decide(
                ALICE,
                "POST",
                "/networks/alicenet/disconnect",
                "{\"Container\":\"abc\",\"force\":true,\"EndpointConfig\":{}}"));
    assertThat(forwarded(a))
        .isEqualTo(JSON.readTree("{\"Force\":true,\"Container\":\"" + ALICE_CONTAINER + "\"}"));
  }

  @Test
  void networkConnect_endpointDriverOptions_denied() {
    denied(
        decide(
            ALICE,
            "POST",
            "/networks/alicenet/connect",
            "{\"Container\":\"abc\"," + "\"EndpointConfig\":{\"DriverOpts\":{\"x\":\"y\"}}}"),
        Decision.Status.FORBIDDEN);
  }

  @Test
  void networkConnect_bodyNotAnObject_badRequest() {
    denied(decide(ALICE, "POST", "/networks/alicenet/connect", "[]"), Decision.Status.BAD_REQUEST);
  }

  @Test
  void container_plainAction_hasNoFollowUpAndNotes() {
    Decision.Allow stop = allowed(decide(ALICE, "POST", "/containers/abc/stop", null));
    assertThat(stop.followUp()).as("only the daemon's errors are renamed").isEqualTo(FollowUp.NONE);
    assertThat(stop.answerNames()).isNotEqualTo(Decision.AnswerNames.AS_IS);
    Decision.Allow list = allowed(decide(ALICE, "GET", "/containers/json", null));
    assertThat(list.rewrites()).contains("filters narrowed to label dev.berth.owner.uid=1001");
    Decision.Allow create =
        allowed(create(ALICE, "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"fresh:/d\"]}}"));
    assertThat(create.rewrites()).contains("volume fresh is yours (u1001_fresh)");
  }

  @Test
  void consultsDirectory_onlyForRequestsThatNameObjects() {
    assertThat(ENGINE.consultsDirectory(ALICE, Fixtures.parse("GET", "/containers/json")))
        .isFalse();
    assertThat(ENGINE.consultsDirectory(ALICE, Fixtures.parse("GET", "/_ping"))).isFalse();
    assertThat(ENGINE.consultsDirectory(ROOT, Fixtures.parse("POST", "/containers/x/stop")))
        .isFalse();
    assertThat(ENGINE.consultsDirectory(ALICE, Fixtures.parse("GET", "/nope"))).isFalse();
  }

  // ---- scopes -------------------------------------------------------------------------------

  private static final String LAB_POLICY =
      """
      roles:
        lab: {scope: group, actions: [container_list, container_stop, container_create]}
        ops: {scope: all, actions: [container_stop]}
      bindings:
        - {role: ops, users: [carol]}
        - {role: lab, groups: [lab]}
      """;

  private static PolicyEngine labEngine() throws Exception {
    return new PolicyEngine(
        PolicyLoader.load(
            LAB_POLICY, "t.yaml", g -> g.equals("lab") ? Optional.of(2000) : Optional.empty()),
        Fixtures.HOST);
  }

  @Test
  void groupScope_membersReachEachOthersSharedObjects() throws Exception {
    FakeObjects objects =
        Fixtures.objects()
            .container("1ab" + "9".repeat(61), "labjob", Optional.of(new Owner(1002, 2000)));
    allowed(Fixtures.decide(labEngine(), objects, ALICE, "POST", "/containers/labjob/stop", null));
    denied(
        Fixtures.decide(labEngine(), objects, ALICE, "POST", "/containers/bobweb/stop", null),
        Decision.Status.NOT_FOUND);
  }

  @Test
  void groupScope_createSharesWithGroup_listFiltersByGroup() throws Exception {
    Decision.Allow a =
        allowed(
            Fixtures.decide(
                labEngine(),
                Fixtures.objects(),
                ALICE,
                "POST",
                "/containers/create",
                "{\"Image\":\"x\"}"));
    assertThat(forwarded(a).at("/Labels/dev.berth.owner.gid").asText()).isEqualTo("2000");
    Decision.Allow list =
        allowed(
            Fixtures.decide(
                labEngine(), Fixtures.objects(), ALICE, "GET", "/containers/json", null));
    assertThat(list.forward().query().get("filters").orElseThrow())
        .contains("dev.berth.owner.gid=2000");
  }

  @Test
  void allScope_noLookupNeeded() throws Exception {
    FakeObjects broken = Fixtures.objects();
    broken.broken = true;
    Principal carol = new Principal(1003, 1003, 1, "carol", "/home/carol", List.of(1003), -1);
    allowed(Fixtures.decide(labEngine(), broken, carol, "POST", "/containers/bobweb/stop", null));
    assertThat(
            labEngine().consultsDirectory(carol, Fixtures.parse("POST", "/containers/bobweb/stop")))
        .isFalse();
    assertThat(ENGINE.consultsDirectory(ALICE, Fixtures.parse("POST", "/containers/bobweb/stop")))
        .isTrue();
  }

  @Test
  void owner_labelsParsed_strictly() {
    assertThat(Owner.fromLabels(Map.of(Owner.UID_LABEL, "1001", Owner.GID_LABEL, "")))
        .hasValue(new Owner(1001, -1));
    assertThat(Owner.fromLabels(Map.of(Owner.UID_LABEL, "-1"))).isEmpty();
    assertThat(Owner.fromLabels(Map.of(Owner.UID_LABEL, " 1001"))).isEmpty();
    assertThat(Owner.fromLabels(Map.of())).isEmpty();
  }

  @Test
  void create_volumesFromANameOfTheCallersGivenToAnotherUser_refused() {
    // an administrator named bob's container u1001_web: alice's "web" must not reach it
    FakeObjects objects =
        Fixtures.objects().container("c0" + "9".repeat(62), "u1001_web", FakeObjects.owner(1002));
    assertThat(
            denied(
                    create(objects, "{\"Image\":\"x\",\"HostConfig\":{\"VolumesFrom\":[\"web\"]}}"),
                    Decision.Status.FORBIDDEN)
                .reason())
        .contains("--volumes-from web: no such container of yours");
  }

  @Test
  void create_configVolumeShadowedByAMount_leftAlone() {
    Decision.Allow a =
        allowed(
            create(
                ALICE,
                "{\"Image\":\"x\",\"Volumes\":{\"/data\":{}},\"HostConfig\":{\"Mounts\":[{\"Type\":"
                    + "\"volume\",\"Source\":\"fresh\",\"Target\":\"/data\"}]}}"));
    JsonNode body = forwarded(a);
    assertThat(body.at("/HostConfig/Mounts")).hasSize(1);
    assertThat(body.at("/HostConfig/Mounts/0/Source").asText()).isEqualTo("u1001_fresh");
    assertThat(body.path("Volumes").has("/data")).isTrue();
  }
}
