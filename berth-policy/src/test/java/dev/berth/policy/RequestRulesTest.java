package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ROOT;
import static dev.berth.policy.Fixtures.decide;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.docker.RouteMatch;
import dev.berth.policy.yaml.PolicyLoader;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rules other than container create: routes, exec, archive, images, volumes. */
class RequestRulesTest {

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "GET,/nope",
    "GET,/containers/abc",
    "PATCH_LIKE_POST,/containers/abc/json",
    "POST,/CONTAINERS/create",
    "POST,/Containers/create",
    "POST,/containers/abc/json"
  })
  void evaluate_unknownRoute_denied(String method, String path) throws Exception {
    String m = method.equals("PATCH_LIKE_POST") ? "PUT" : method;
    Decision d = decide(ALICE, m, path, null);
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(d.rule()).isEqualTo("unknown_route");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "POST,/swarm/init",
    "POST,/services/create",
    "GET,/secrets",
    "POST,/plugins/pull",
    "POST,/plugins/authz/disable",
    "GET,/containers/abc/attach/ws"
  })
  void evaluate_adminOnlyAction_deniedForUser(String method, String path) {
    Decision d =
        decide(ALICE, method, path, method.equals("GET") || method.equals("DELETE") ? null : "{}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(d.rule()).isEqualTo("action_not_granted");
    assertThat(((Decision.Deny) d).reason()).contains("is not granted to your role (user)");
  }

  @Test
  void evaluate_adminOnlyAction_namesTheDockerCommand() {
    assertThat(((Decision.Deny) decide(ALICE, "POST", "/auth", "{}")).reason())
        .contains("docker login (system_auth) is not granted");
    assertThat(((Decision.Deny) decide(ALICE, "POST", "/swarm/init", "{}")).reason())
        .contains("(swarm) is not granted");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "GET,/containers/json?all=1&trunc_cmd=0,trunc_cmd,trunc_cmd",
    "GET,/images/json?only_ids=0,only_ids,only_ids",
    "POST,/images/busybox:latest/tag?repo=r&tag=t&force=0,force,force"
  })
  void ignoredQueryParameter_droppedAndNoted(
      String method, String target, String param, String note) {
    // docker-py sends these; the daemon does not read them
    Decision d = decide(ALICE, method, target, null);
    assertThat(d).as("%s", d).isInstanceOf(Decision.Allow.class);
    Decision.Allow a = (Decision.Allow) d;
    assertThat(a.forward().query().has(param)).isFalse();
    assertThat(a.rewrites()).anyMatch(r -> r.contains(note) && r.contains("dropped"));
  }

  @Test
  void containerCreate_fieldsUnknownToBerth_droppedAndNotedPerField() {
    // a field of a newer API version (or a typo) is judged away, never forwarded unjudged, and the
    // record says which one went, so that a user's option that did nothing can be traced
    Decision d =
        decide(
            ALICE,
            "POST",
            "/containers/create",
            "{\"Image\":\"busybox\",\"FutureField\":1,\"HostConfig\":{\"NotYetKnown\":true}}");
    assertThat(d).as("%s", d).isInstanceOf(Decision.Allow.class);
    Decision.Allow a = (Decision.Allow) d;
    JsonNode forwarded = ((CanonicalRequest.Body.Json) a.forward().body()).value();
    assertThat(forwarded.has("FutureField")).isFalse();
    assertThat(forwarded.path("HostConfig").has("NotYetKnown")).isFalse();
    assertThat(a.rewrites())
        .contains(
            "body field FutureField dropped: berth does not judge it, so it is not forwarded",
            "body field HostConfig.NotYetKnown dropped: berth does not judge it, so it is not"
                + " forwarded");
  }

  @Test
  void containerCreate_onlyKnownFields_noDropNote() {
    Decision.Allow a =
        (Decision.Allow) decide(ALICE, "POST", "/containers/create", "{\"Image\":\"busybox\"}");
    assertThat(a.rewrites()).noneMatch(r -> r.startsWith("body field"));
  }

  @ParameterizedTest(name = "link={0}")
  @CsvSource({"0", "1"})
  void containerDelete_linkFalseOrTrue_forwardedAsOneFullIdSegmentOnly(String link) {
    // docker-py sends link=0 on every remove. The daemon cuts a legacy link only for a path
    // /parent/alias (moby's rmLink); berth forwards the caller's container by its full id, one
    // segment, where link=1 cuts nothing (the daemon answers its own error)
    Decision d = decide(ALICE, "DELETE", "/containers/abc?v=0&link=" + link + "&force=0", null);
    assertThat(d).as("%s", d).isInstanceOf(Decision.Allow.class);
    Decision.Allow a = (Decision.Allow) d;
    assertThat(a.forward().target()).startsWith("/containers/" + Fixtures.ALICE_CONTAINER + "?");
    assertThat(a.forward().query().get("link")).contains(link);
    assertThat(decide(ALICE, "DELETE", "/containers/abc/bobweb?link=1", null))
        .isInstanceOf(Decision.Deny.class);
  }

  @Test
  void swarmLeave_nodeInNoSwarm_answersTheDaemons503() {
    // SDK teardowns call swarm/leave?force=1 and take the daemon's 503 as success
    FakeObjects objects = Fixtures.objects();
    objects.swarm = false;
    Decision d =
        Fixtures.decide(Fixtures.ENGINE, objects, ALICE, "POST", "/swarm/leave?force=1", null);
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.UNAVAILABLE);
    assertThat(((Decision.Deny) d).reason()).isEqualTo("This node is not part of a swarm");
    assertThat(
            ((Decision.Deny)
                    Fixtures.decide(Fixtures.ENGINE, objects, ALICE, "GET", "/services/x", null))
                .reason())
        .contains("is not a swarm manager");
  }

  @Test
  void swarmLeave_nodeInASwarmOrStateUnknown_refused() {
    FakeObjects objects = Fixtures.objects();
    objects.swarm = true;
    assertThat(
            Fixtures.decide(Fixtures.ENGINE, objects, ALICE, "POST", "/swarm/leave", null).rule())
        .isEqualTo("action_not_granted");
    objects.swarm = null;
    assertThat(
            Fixtures.decide(Fixtures.ENGINE, objects, ALICE, "POST", "/swarm/leave", null).rule())
        .isEqualTo("action_not_granted");
  }

  @Test
  void pluginInspect_roleWithoutPlugins_answersTheDaemonsNotFound() {
    // docker inspect <unknown> asks for a plugin last; a 403 there made the CLI print it
    Decision d = decide(ALICE, "GET", "/plugins/it-nothing/json", null);
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.NOT_FOUND);
    assertThat(((Decision.Deny) d).reason()).isEqualTo("plugin \"it-nothing\" not found");
    assertThat(decide(ALICE, "POST", "/plugins/x/enable", null).rule())
        .isEqualTo("action_not_granted");
  }

  @Test
  void evaluate_adminOnlyAction_allowedForRoot() {
    assertThat(decide(ROOT, "POST", "/swarm/leave", null)).isInstanceOf(Decision.Allow.class);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "'/containers/abc/start?checkpoint=cp1&checkpoint-dir=%2Fhome%2Falice%2Fcp',checkpoint",
    "/containers/create?name=x&bogus=1,bogus",
    "/containers/abc/kill?signal=KILL&x=1,x",
    "/images/create?fromImage=busybox&registry=evil,registry"
  })
  void evaluate_unknownQueryParameter_denied(String target, String param) {
    Decision d = decide(ALICE, "POST", target, target.contains("create?name") ? "{}" : null);
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason()).contains("'" + param);
  }

  @Test
  void evaluate_knownQueryParameters_allowed() {
    assertThat(
            decide(ALICE, "GET", "/containers/abc/logs?follow=1&stdout=1&stderr=1&tail=all", null))
        .isInstanceOf(Decision.Allow.class);
    assertThat(
            decide(
                ALICE,
                "POST",
                "/containers/abc/attach?stream=1&stdin=1&stdout=1" + "&stderr=1",
                null))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void evaluate_unknownQueryParameter_allowedForPassthroughRole() {
    assertThat(decide(ROOT, "POST", "/containers/abc/start?checkpoint=cp1", null))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void evaluate_noMatchingBinding_deniedEverything() throws Exception {
    Policy p =
        PolicyLoader.load(
            "roles: {user: {actions: [ping]}}\nbindings: [{role: user, users: [bob]}]\n",
            "t",
            g -> Optional.empty());
    Decision d =
        new PolicyEngine(p, Fixtures.HOST)
            .evaluate(ALICE, CanonicalRequest.parse("GET", "/_ping"), null);
    assertThat(d.rule()).isEqualTo("no_role");
    assertThat(((Decision.Deny) d).reason()).contains("no role is granted to alice");
  }

  @Test
  void evaluate_ruleThrows_indeterminate() {
    // a rule that fails (here: no principal at all) must not let the request through
    Decision d = Fixtures.ENGINE.evaluate(null, Fixtures.parse("GET", "/_ping"), null);
    assertThat(d).isInstanceOf(Decision.Indeterminate.class);
    assertThat(d.rule()).isEqualTo("internal_error");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "1.24,true",
    "1.51,true",
    "1.100,true",
    "2.0,true",
    "01.024,true",
    "1.23,false",
    "0.99,false",
    "1.9,false"
  })
  void evaluate_apiVersionBoundary(String version, boolean accepted) {
    Decision d = decide(ALICE, "GET", "/v" + version + "/_ping", null);
    assertThat(d.rule().equals("api_version")).isEqualTo(!accepted);
  }

  @Test
  void evaluate_oldApiVersion_denied() {
    Decision d = decide(ALICE, "POST", "/v1.23/containers/abc/start", null);
    assertThat(d.rule()).isEqualTo("api_version");
  }

  @Test
  void evaluate_bodyOnBodylessRoute_denied() {
    // API < 1.24 applied a HostConfig sent with start; berth forwards no body there at all.
    Decision d =
        decide(ALICE, "POST", "/containers/abc/start", "{\"HostConfig\":{\"Privileged\":true}}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(((Decision.Deny) d).reason()).contains("takes no request body");
  }

  @Test
  void evaluate_emptyObjectOnBodylessRoute_allowedAndDropped() {
    Decision d = decide(ALICE, "POST", "/containers/abc/start", "{}");
    assertThat(((Decision.Allow) d).forward().body()).isEqualTo(CanonicalRequest.Body.NONE);
  }

  @Test
  void execCreate_privileged_denied() {
    Decision d =
        decide(ALICE, "POST", "/containers/abc/exec", "{\"Cmd\":[\"sh\"],\"Privileged\":true}");
    assertThat(((Decision.Deny) d).reason()).contains("exec --privileged");
  }

  @Test
  void execCreate_userRoot_denied() {
    Decision d = decide(ALICE, "POST", "/containers/abc/exec", "{\"Cmd\":[\"sh\"],\"User\":\"0\"}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
  }

  @Test
  void execCreate_plain_runsAsCaller() {
    Decision d = decide(ALICE, "POST", "/containers/abc/exec", "{\"Cmd\":[\"id\"]}");
    JsonNode body = ((CanonicalRequest.Body.Json) ((Decision.Allow) d).forward().body()).value();
    assertThat(body.get("User").asText()).isEqualTo("1001:1001");
    assertThat(body.get("Privileged").asBoolean()).isFalse();
  }

  @Test
  void archivePut_asUser_tarRewrittenAndCopyUidGidDropped() {
    Decision d = decide(ALICE, "PUT", "/containers/abc/archive?path=%2Ftmp&copyUIDGID=1", null);
    CanonicalRequest out = ((Decision.Allow) d).forward();
    assertThat(out.query().has("copyUIDGID")).isFalse();
    assertThat(((CanonicalRequest.Body.Stream) out.body()).tarOwner())
        .contains(new CanonicalRequest.Body.TarOwner(1001, 1001));
  }

  @Test
  void archivePut_asRoot_streamUnchanged() {
    Decision d = decide(ROOT, "PUT", "/containers/abc/archive?path=%2Ftmp", null);
    assertThat(((CanonicalRequest.Body.Stream) ((Decision.Allow) d).forward().body()).tarOwner())
        .isEmpty();
  }

  @Test
  void imageCreate_import_allowedIntoOwnNamespace() {
    Decision d = decide(ALICE, "POST", "/images/create?fromSrc=-&repo=busybox&tag=latest", null);
    assertThat(((Decision.Allow) d).forward().query().get("repo"))
        .hasValue("berth.invalid/u1001/docker.io/library/busybox");
  }

  @Test
  void imageCreate_importFromUrl_denied() {
    Decision d =
        decide(ALICE, "POST", "/images/create?fromSrc=http%3A%2F%2F169.254.169.254%2F", null);
    assertThat(((Decision.Deny) d).reason()).contains("docker import from a URL");
  }

  @Test
  void imageCreate_pull_allowed() {
    assertThat(decide(ALICE, "POST", "/images/create?fromImage=alpine&tag=3", null))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void volumeCreate_bindDriverOptions_denied() {
    Decision d =
        decide(
            ALICE,
            "POST",
            "/volumes/create",
            "{\"Name\":\"v\",\"Driver\":\"local\","
                + "\"DriverOpts\":{\"type\":\"none\",\"o\":\"bind\",\"device\":\"/\"}}");
    assertThat(((Decision.Deny) d).reason()).contains("o=bind");
  }

  @Test
  void volumeCreate_plain_ownerLabelled() {
    Decision d = decide(ALICE, "POST", "/volumes/create", "{\"Name\":\"v\"}");
    JsonNode body = ((CanonicalRequest.Body.Json) ((Decision.Allow) d).forward().body()).value();
    assertThat(body.at("/Labels/dev.berth.owner.uid").asText()).isEqualTo("1001");
  }

  @Test
  void volumeCreate_otherDriver_denied() {
    Decision d = decide(ALICE, "POST", "/volumes/create", "{\"Name\":\"v\",\"Driver\":\"nfs\"}");
    assertThat(((Decision.Deny) d).reason()).contains("volume driver 'nfs'");
  }

  @Test
  void volumeCreate_localDriverAndLabels_keptWithOwner() {
    Decision d =
        decide(
            ALICE,
            "POST",
            "/volumes/create",
            "{\"Name\":\"v\",\"Driver\":\"local\","
                + "\"DriverOpts\":{},\"Labels\":{\"x\":\"y\"}}");
    JsonNode body = ((CanonicalRequest.Body.Json) ((Decision.Allow) d).forward().body()).value();
    assertThat(body.at("/Labels/x").asText()).isEqualTo("y");
    assertThat(body.at("/Labels/dev.berth.owner.uid").asText()).isEqualTo("1001");
    assertThat(body.has("Driver")).isFalse();
  }

  @Test
  void volumeCreate_forgedOwnerLabel_denied() {
    Decision d =
        decide(
            ALICE,
            "POST",
            "/volumes/create",
            "{\"Name\":\"v\",\"Labels\":{\"dev.berth.owner.uid\":\"0\"}}");
    assertThat(((Decision.Deny) d).reason()).contains("set by berth");
  }

  @Test
  void volumeCreate_labelsNotAnObject_badRequest() {
    Decision d = decide(ALICE, "POST", "/volumes/create", "{\"Labels\":[1]}");
    assertThat(((Decision.Deny) d).status()).isEqualTo(Decision.Status.BAD_REQUEST);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"CgroupParent\":\"/\"}",
        "{\"DeviceCgroupRules\":[\"a\"]}",
        "{\"OomKillDisable\":true}",
        "{\"BlkioDeviceReadBps\":[{}]}"
      })
  void containerUpdate_hostFields_denied(String body) {
    assertThat(decide(ALICE, "POST", "/containers/abc/update", body))
        .isInstanceOf(Decision.Deny.class);
  }

  @Test
  void containerUpdate_emptyOrFalseHostFields_allowed() {
    assertThat(
            decide(
                ALICE,
                "POST",
                "/containers/abc/update",
                "{\"CgroupParent\":\"\","
                    + "\"Devices\":[],\"OomKillDisable\":false,\"DeviceRequests\":null,"
                    + "\"RestartPolicy\":{\"Name\":\"always\"}}"))
        .isInstanceOf(Decision.Allow.class);
  }

  @Test
  void containerUpdate_ulimits_denied() {
    Decision d =
        decide(
            ALICE,
            "POST",
            "/containers/abc/update",
            "{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":99999999,\"Hard\":99999999}]}");
    assertThat(((Decision.Deny) d).reason()).contains("Ulimits");
  }

  @Test
  void containerUpdate_devices_denied() {
    Decision d =
        decide(
            ALICE,
            "POST",
            "/containers/abc/update",
            "{\"Devices\":[{\"PathOnHost\":\"/dev/sda\"}]}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
  }

  @Test
  void caller_oneGrantOnePolicy_sameDecisionAsEvaluate() {
    PolicyEngine.Caller alice = Fixtures.ENGINE.caller(Fixtures.ALICE);
    assertThat(alice.engine()).isSameAs(Fixtures.ENGINE);
    assertThat(alice.who()).isEqualTo(Fixtures.ALICE);
    assertThat(alice.grant()).isPresent();
    CanonicalRequest stop = Fixtures.parse("POST", "/containers/abc/stop");
    RouteMatch route = Fixtures.ENGINE.route(stop).orElseThrow();
    assertThat(alice.consultsDirectory(route)).isTrue();
    assertThat(Fixtures.ENGINE.consultsDirectory(Fixtures.ALICE, route)).isTrue();
    assertThat(Fixtures.ENGINE.consultsDirectory(Fixtures.ROOT, route)).isFalse();
    Decision viaCaller = alice.evaluate(route, stop, null, Fixtures.objects());
    Decision viaRoute =
        Fixtures.ENGINE.evaluate(Fixtures.ALICE, route, stop, null, Fixtures.objects());
    assertThat(viaCaller).isInstanceOf(Decision.Allow.class).isEqualTo(viaRoute);
    assertThat(((Decision.Allow) viaCaller).forward().target())
        .isEqualTo("/containers/" + Fixtures.ALICE_CONTAINER + "/stop");
  }

  @Test
  void evaluateWithRoute_noPrincipal_indeterminate() {
    CanonicalRequest ping = Fixtures.parse("GET", "/_ping");
    RouteMatch route = Fixtures.ENGINE.route(ping).orElseThrow();
    assertThat(Fixtures.ENGINE.evaluate(null, route, ping, null, ObjectDirectory.UNAVAILABLE))
        .isInstanceOf(Decision.Indeterminate.class);
  }
}
