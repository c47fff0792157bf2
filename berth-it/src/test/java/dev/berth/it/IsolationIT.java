package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.it.Tenants.Container;
import dev.berth.it.Tenants.Kind;
import dev.berth.it.Tenants.Ref;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ownership (issue #5), command by command, with two real users and root, through the real docker
 * CLI: a user cannot see or touch another user's containers, execs, volumes and networks (refused
 * as if they did not exist, and left exactly as they were), nor take their names, nor remove or
 * re-point an image tag that is not theirs; the owner can, by name, id or id prefix; root can act
 * on everything. Lists, events and prunes: {@link IsolationListsIT}; the same promises across
 * restarts of berth and of the daemon: {@link IsolationRestartIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IsolationIT {
  private Tenants t;

  @BeforeAll
  void tenants() {
    if (ItEnvironment.problem() != null && !ItEnvironment.isCi()) {
      return; // each test is skipped in environment(), so that the report counts them
    }
    t = Tenants.open();
    // The fresh containers the owner's and root's runs of changing probes take, made ahead.
    for (ContainerProbe p : ContainerProbe.all()) {
      if (p.changes()) {
        t.prepare(t.alice, p.target(), Ref.values().length + 1);
        t.prepare(t.bob, p.target(), 1);
      }
    }
  }

  @BeforeEach
  void environment() {
    ItEnvironment.require();
  }

  @AfterAll
  void removeTenants() {
    if (t != null) {
      t.close();
    }
  }

  // ---- containers -------------------------------------------------------------------------

  static Stream<Arguments> everyProbeByEveryRef() {
    return ContainerProbe.all().stream()
        .flatMap(p -> Stream.of(Ref.values()).map(r -> arguments(p, r)));
  }

  static Stream<Arguments> everyWorkingProbeByEveryRef() {
    return everyProbeByEveryRef().filter(a -> !(a.get()[0] instanceof ContainerProbe.Attach));
  }

  static Stream<Arguments> everyWorkingProbeOnEachUser() {
    return ContainerProbe.all().stream()
        .filter(p -> !(p instanceof ContainerProbe.Attach))
        .flatMap(p -> Stream.of("alice", "bob").map(u -> arguments(p, u)));
  }

  @ParameterizedTest(name = "{0} by {1}")
  @MethodSource("everyProbeByEveryRef")
  void containerRequest_onAnotherUsersContainer_isNotFoundAndChangesNothing(
      ContainerProbe probe, Ref ref) {
    probe.assertRefused(t, t.alice, t.bobOwns, ref);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.berth.it.ContainerProbe#all")
  void containerRequest_byBobOnAlicesContainer_isNotFoundAndChangesNothing(ContainerProbe probe) {
    probe.assertRefused(t, t.bob, t.aliceOwns, Ref.NAME);
  }

  @ParameterizedTest(name = "{0} by {1}")
  @MethodSource("everyWorkingProbeByEveryRef")
  void containerRequest_onOwnContainer_works(ContainerProbe probe, Ref ref) {
    probe.assertWorks(t, t.alice, t.aliceOwns, ref);
  }

  @ParameterizedTest(name = "{0} on {1}''s container")
  @MethodSource("everyWorkingProbeOnEachUser")
  void containerRequest_asRootOnAnyUsersContainer_works(ContainerProbe probe, String owner) {
    probe.assertWorks(t, t.root, owner.equals("alice") ? t.aliceOwns : t.bobOwns, Ref.NAME);
  }

  /**
   * Objects root creates through berth carry no owner: they are nobody's, which only root reaches.
   */
  @Test
  void requests_onUnownedObjects_areNotFoundForUsersAndWorkForRoot() {
    String name = ItEnvironment.uniqueName("root-run");
    Tenants.assertOk(
        t.as(t.root, "run", "-d", "--name", name, "--label", t.label, t.image, "sleep", "3600"));
    String volume = t.newVolume(t.root);
    String network = t.newNetwork(t.root);
    assertThat(Tenants.upstreamFormat("container", name, "{{json .Config.Labels}}"))
        .as("empty owner labels: nobody's")
        .contains("\"dev.berth.owner.uid\":\"\"");
    String before = Tenants.containerState(name);
    for (UnixUser u : List.of(t.alice, t.bob)) {
      for (List<String> args :
          List.of(
              List.of("container", "inspect", name),
              List.of("exec", name, "id"),
              List.of("stop", "-t", "0", name))) {
        Proc.Result r = t.as(u, Tenants.QUICK, args);
        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stderr()).as(r.describe()).contains(ContainerProbe.MISSING + name);
      }
      Proc.Result v = t.as(u, "volume", "inspect", volume);
      assertThat(v.stderr()).as(v.describe()).contains("berth: get " + volume + ": no such volume");
      Proc.Result n = t.as(u, "network", "inspect", network);
      assertThat(n.stderr()).as(n.describe()).contains("berth: network " + network + " not found");
    }
    assertThat(Tenants.containerState(name)).isEqualTo(before);
    Proc.Result ps = t.as(t.alice, "ps", "-a", "--format", "{{.Names}}");
    assertThat(ps.stdout()).as(ps.describe()).doesNotContain(name);
    Tenants.assertOk(t.as(t.root, "stop", "-t", "0", name));
    Tenants.assertOk(t.as(t.root, "volume", "inspect", volume));
    Tenants.assertOk(t.as(t.root, "network", "inspect", network));
  }

  /**
   * The owner labels a user's image carries do not make another user's container hers (the image
   * reaches bob through a shared name root gave it: users' own images are private).
   */
  @Test
  void run_fromAnImageWithAnotherUsersOwnerLabels_givesTheContainerToTheCaller() {
    String image = t.imageRef("alice-for-bob");
    Tenants.assertOk(t.as(t.alice, "commit", t.aliceOwns.container(Kind.RUNNING).name(), image));
    String daemonName = Tenants.daemonImage(t.alice, image);
    assertThat(Tenants.upstreamFormat("image", daemonName, "{{json .Config.Labels}}"))
        .contains("\"dev.berth.owner.uid\":\"" + t.alice.uid() + "\"");
    String shared = t.imageRef("shared-from-alice");
    Tenants.assertOk(t.as(t.root, "tag", daemonName, shared));
    String name = ItEnvironment.uniqueName("bob-from-alice");
    Tenants.assertOk(
        t.as(t.bob, "run", "-d", "--name", name, "--label", t.label, shared, "sleep", "3600"));
    assertThat(
            Tenants.upstreamFormat(
                "container", name, "{{index .Config.Labels " + "\"dev.berth.owner.uid\"}}"))
        .isEqualTo(Integer.toString(t.bob.uid()));
    Proc.Result exec = t.as(t.alice, Tenants.QUICK, List.of("exec", name, "id"));
    assertThat(exec.stderr()).as(exec.describe()).contains(ContainerProbe.MISSING + name);
  }

  /**
   * regression (container_create, admin): a container takes its image's labels, and an image
   * committed by a user carries her owner labels (her container's). berth stamps the owner on
   * users' containers only, so a container root runs from alice's image is alice's: she can exec
   * into it, stop it, and copy files out of it, which the daemon reads as root, through whatever
   * root mounted into it.
   */
  @Test
  void containerRequest_onRootsContainerFromAUsersImage_isNotFoundForThatUser() {
    String image = Tenants.daemonImage(t.alice, t.imageRef("alice-for-root"));
    Tenants.assertOk(
        t.as(
            t.alice,
            "commit",
            t.aliceOwns.container(Kind.RUNNING).name(),
            image.substring(image.indexOf("/docker.io/") + "/docker.io/".length())));
    String name = ItEnvironment.uniqueName("root-from-alice");
    Tenants.assertOk(
        t.as(t.root, "run", "-d", "--name", name, "--label", t.label, image, "sleep", "3600"));
    String labels = Tenants.upstreamFormat("container", name, "{{json .Config.Labels}}");
    Proc.Result exec = t.as(t.alice, Tenants.QUICK, List.of("exec", name, "id"));
    assertThat(exec.stderr())
        .as(
            "regression (container_create as admin): root ran %s (alice's "
                + "commit) as %s through berth; the container took the image's labels %s, so alice "
                + "reaches root's container: 'docker exec %s id' as alice gave: %s",
            image, name, labels, name, exec.describe())
        .contains(ContainerProbe.MISSING + name);
    assertThat(labels)
        .as(
            "root's container carries no owner (berth empties the owner labels "
                + "the image brought)")
        .contains("\"dev.berth.owner.uid\":\"\"")
        .doesNotContain("\"dev.berth.owner.uid\":\"" + t.alice.uid() + "\"");
  }

  // ---- names --------------------------------------------------------------------------------

  static Stream<Arguments> creations() {
    return Stream.of(
        arguments(Named.of("create --name", List.of("create", "--name"))),
        arguments(Named.of("run -d --name", List.of("run", "-d", "--name"))));
  }

  /**
   * Private names (issue 13): alice's container named like bob's (by his plain name or by the
   * daemon's name of his) is hers, in her namespace; his keeps its name and state.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("creations")
  void create_withNameOfAnotherUsersContainer_isHersAndLeavesTheirs(List<String> create) {
    Container bobs = t.bobOwns.container(Kind.RUNNING);
    String before = Tenants.containerState(bobs.id());
    for (String name : List.of(bobs.name(), Tenants.daemonName(t.bob, bobs.name()))) {
      List<String> args = new ArrayList<>(create);
      args.addAll(List.of(name, "--label", t.label, t.image, "sleep", "60"));
      Proc.Result r = t.as(t.alice, Tenants.QUICK, args);
      Tenants.assertOk(r);
      String hers = Tenants.daemonName(t.alice, name);
      assertThat(
              Tenants.upstreamFormat(
                  "container", hers, "{{index .Config.Labels " + "\"dev.berth.owner.uid\"}}"))
          .isEqualTo(Integer.toString(t.alice.uid()));
      Tenants.assertOk(t.as(t.alice, "rm", "-f", name));
    }
    assertThat(Tenants.containerState(bobs.id())).isEqualTo(before);
  }

  @Test
  void containerCreate_withNameOfAnotherUsersContainer_createsHers() {
    Container bobs = t.bobOwns.container(Kind.EXITED);
    Tenants.Answer a =
        t.api(
            t.alice,
            "POST",
            "/containers/create?name=" + bobs.name(),
            Tenants.json(
                "{\"Image\":\""
                    + t.image
                    + "\",\"Labels\":{\""
                    + t.label.replace("=", "\":\"")
                    + "\"}}"));
    assertThat(a.status()).as(a.describe()).isEqualTo(201);
    assertThat(a.body()).doesNotContain(bobs.id());
    Tenants.assertOk(t.as(t.alice, "rm", "-f", bobs.name()));
    assertThat(Tenants.upstreamFormat("container", bobs.id(), "{{.Name}}"))
        .isEqualTo("/" + Tenants.daemonName(t.bob, bobs.name()));
  }

  /**
   * regression (container_create): the daemon resolves a reference as a full id, then as a name,
   * then as an id prefix. A user who names her container after the short id of another user's (the
   * one {@code docker ps} shows) took that reference over: his own {@code docker stop <short id>}
   * was refused as if his container did not exist, and root's acted on hers. With private names her
   * container's daemon name is {@code u<uid>_<short id>}, which his reference never resolves to.
   */
  @Test
  void create_withNameThatIsAnotherUsersShortId_leavesHimHisReference() {
    Container bobs = t.spareContainer(t.bob, Kind.RUNNING);
    String shortId = bobs.id().substring(0, 12);
    Proc.Result create =
        t.as(t.alice, "create", "--name", shortId, "--label", t.label, t.image, "true");
    Proc.Result stop = t.as(t.bob, "stop", "-t", "0", shortId);
    assertThat(stop.exitCode())
        .as(
            "regression (container_create): alice created a container "
                + "named %s, the short id of bob's %s (%s); now bob's 'docker stop %s' resolves to "
                + "hers and is refused:\n%s",
            shortId, bobs.name(), create.describe().strip(), shortId, stop.describe())
        .isZero();
    if (create.ok()) {
      Tenants.assertOk(t.as(t.alice, "rm", "-f", shortId));
    }
  }

  @Test
  void rename_toNameOfAnotherUsersContainer_isHersAndKeepsHis() {
    Container bobs = t.bobOwns.container(Kind.EXITED);
    Container alices = t.aliceOwns.container(Kind.EXITED);
    Tenants.assertOk(t.as(t.alice, "rename", alices.name(), bobs.name()));
    try {
      assertThat(Tenants.upstreamFormat("container", alices.id(), "{{.Name}}"))
          .isEqualTo("/" + Tenants.daemonName(t.alice, bobs.name()));
      assertThat(Tenants.upstreamFormat("container", bobs.id(), "{{.Name}}"))
          .isEqualTo("/" + Tenants.daemonName(t.bob, bobs.name()));
    } finally {
      Tenants.assertOk(t.as(t.alice, "rename", bobs.name(), alices.name()));
    }
  }

  // ---- execs --------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {"GET /exec/{e}/json", "POST /exec/{e}/start", "POST /exec/{e}/resize?h=24&w=80"})
  void execRequest_onAnotherUsersExec_isNotFoundAndNeverRunsIt(String request) {
    String before = Tenants.execState(t.bobExec);
    assertThat(before).contains("\"Running\":false").contains("\"Pid\":0");
    String[] mp = request.replace("{e}", t.bobExec).split(" ", 2);
    Tenants.Answer a =
        t.api(
            t.alice,
            mp[0],
            mp[1],
            mp[1].endsWith("/start") ? Tenants.json("{\"Detach\":true}") : null);
    assertThat(a.status()).as(a.describe()).isEqualTo(404);
    assertThat(a.body())
        .as(a.describe())
        .isEqualTo("{\"message\":\"berth: No such exec instance: " + t.bobExec + "\"}");
    assertThat(Tenants.execState(t.bobExec)).isEqualTo(before);
  }

  @Test
  void execRequests_onOwnExec_work() {
    String exec = t.createExec(t.alice, t.aliceOwns.container(Kind.RUNNING), "exit 7");
    Tenants.Answer inspect = t.api(t.alice, "GET", "/exec/" + exec + "/json", null);
    assertThat(inspect.status()).as(inspect.describe()).isEqualTo(200);
    assertThat(inspect.body()).contains("\"Pid\":0");
    Tenants.Answer start =
        t.api(t.alice, "POST", "/exec/" + exec + "/start", Tenants.json("{\"Detach\":true}"));
    assertThat(start.status()).as(start.describe()).isEqualTo(200);
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!Tenants.execState(exec).contains("\"ExitCode\":7") && System.nanoTime() < deadline) {
      Tenants.sleep(50);
    }
    assertThat(Tenants.execState(exec)).contains("\"ExitCode\":7");
    Tenants.Answer resize = t.api(t.alice, "POST", "/exec/" + exec + "/resize?h=24&w=80", null);
    assertThat(resize.body())
        .as("the daemon answers (the exec has ended), not berth: %s", resize.describe())
        .doesNotContain("berth:");
    // And bob reaches his own, which alice could not.
    Tenants.Answer bobs = t.api(t.bob, "GET", "/exec/" + t.bobExec + "/json", null);
    assertThat(bobs.status()).as(bobs.describe()).isEqualTo(200);
  }

  @Test
  void execInspect_asRoot_worksOnEveryonesExecs() {
    String alices = t.createExec(t.alice, t.aliceOwns.container(Kind.RUNNING), "true");
    for (String exec : List.of(t.bobExec, alices)) {
      Tenants.Answer a = t.api(t.root, "GET", "/exec/" + exec + "/json", null);
      assertThat(a.status()).as(a.describe()).isEqualTo(200);
      assertThat(a.body()).contains(exec);
    }
  }

  // ---- volumes ------------------------------------------------------------------------------

  static Stream<Arguments> volumeRefusals() {
    return Stream.of(
        arguments(
            Named.of("volume inspect", List.of("volume", "inspect", "{v}")),
            "get {v}: no such volume"),
        arguments(Named.of("volume rm", List.of("volume", "rm", "{v}")), "get {v}: no such volume"),
        arguments(
            Named.of("volume rm -f", List.of("volume", "rm", "-f", "{v}")),
            "get {v}: no such volume"));
  }

  /**
   * Private names (issue 13): {@code -v NAME} and {@code --mount source=NAME} with bob's volume
   * name, plain or the daemon's, give alice a volume of her own; his is not touched.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"-v", "--mount"})
  void volumeMount_withAnotherUsersVolumeName_isHersAndLeavesHis(String option) {
    String v = Tenants.daemonName(t.bob, t.bobOwns.volume());
    String before = t.volumeState(v);
    for (String name : List.of(t.bobOwns.volume(), v)) {
      Proc.Result r =
          t.as(
              t.alice,
              "run",
              "--rm",
              "--label",
              t.label,
              option,
              option.equals("-v") ? name + ":/d" : "source=" + name + ",target=/d",
              t.image,
              "sh",
              "-c",
              "cat /d/data; echo mine > /d/data");
      assertThat(r.stdout()).as(r.describe()).doesNotContain("data-bob");
      DockerCli.upstream("volume", "rm", "-f", Tenants.daemonName(t.alice, name));
    }
    assertThat(t.volumeState(v)).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("volumeRefusals")
  void volumeRequest_onAnotherUsersVolume_isRefusedAndChangesNothing(
      List<String> command, String message) {
    String v = Tenants.daemonName(t.bob, t.bobOwns.volume()); // a plain name would be hers
    String before = t.volumeState(v);
    Proc.Result r =
        t.as(
            t.alice,
            Tenants.QUICK,
            command.stream().map(a -> a.replace("{v}", v).replace("{image}", t.image)).toList());
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("Error response from daemon: berth: " + message.replace("{v}", v));
    assertThat(r.stdout()).as(r.describe()).doesNotContain("dev.berth.owner");
    assertThat(t.volumeState(v)).isEqualTo(before);
  }

  /**
   * regression (volume_create): creating a volume under the name of another user's volume answers
   * 201 with that volume, as the daemon's create is idempotent: the caller is told she has it, and
   * sees its owner's labels, creation time and mount point.
   */
  @Test
  void volumeCreate_withNameOfAnotherUsersVolume_isHersWithoutHisDetails() {
    String v = Tenants.daemonName(t.bob, t.bobOwns.volume());
    String before = t.volumeState(v);
    for (String name : List.of(t.bobOwns.volume(), v)) {
      Tenants.Answer a =
          t.api(t.alice, "POST", "/volumes/create", Tenants.json("{\"Name\":\"" + name + "\"}"));
      assertThat(a.status()).as(a.describe()).isEqualTo(201);
      assertThat(a.body())
          .as(
              "regression (volume_create): alice's create of bob's volume name "
                  + "answered with bob's volume (owner labels, creation time, mount point)")
          .doesNotContain("\"dev.berth.owner.uid\":\"" + t.bob.uid() + "\"")
          .doesNotContain("/" + v + "/");
      Tenants.assertOk(t.as(t.alice, "volume", "rm", name));
    }
    assertThat(t.volumeState(v)).isEqualTo(before);
  }

  @Test
  void volumeRequests_onOwnVolume_work() {
    String v = t.aliceOwns.volume();
    Proc.Result inspect = t.as(t.alice, "volume", "inspect", "--format", "{{.Name}}", v);
    assertThat(inspect.stdout().strip()).as(inspect.describe()).isEqualTo(v);
    Proc.Result run =
        t.as(
            t.alice, "run", "--rm", "--label", t.label, "-v", v + ":/d", t.image, "cat", "/d/data");
    assertThat(run.stdout()).as(run.describe()).isEqualTo("data-alice\n");
    Proc.Result mount =
        t.as(
            t.alice,
            "run",
            "--rm",
            "--label",
            t.label,
            "--mount",
            "source=" + v + ",target=/d",
            t.image,
            "sh",
            "-c",
            "echo more >> /d/data");
    Tenants.assertOk(mount);
    String fresh = t.newVolume(t.alice);
    Tenants.assertOk(t.as(t.alice, "volume", "rm", fresh));
    assertThat(Tenants.existsUpstream("volume", fresh)).isFalse();
  }

  @Test
  void run_withNewNamedVolume_createsItAsTheCallers() {
    String v = t.looseVolume("alice-new-vol");
    Tenants.assertOk(
        t.as(t.alice, "run", "--rm", "--label", t.label, "-v", v + ":/d", t.image, "true"));
    assertThat(Tenants.upstreamFormat("volume", v, "{{json .Labels}}"))
        .isEqualTo(
            "{\"dev.berth.owner.gid\":\"\",\"dev.berth.owner.uid\":\"" + t.alice.uid() + "\"}");
    Tenants.assertOk(t.as(t.alice, "volume", "inspect", v));
    Proc.Result bobs = t.as(t.bob, "volume", "inspect", v);
    assertThat(bobs.stderr()).as(bobs.describe()).contains("get " + v + ": no such volume");
  }

  /**
   * regression (container_create): {@code -v /data} (and an image's {@code VOLUME}) make the daemon
   * create an anonymous volume from {@code Config.Volumes}, which berth does not label, so it is
   * nobody's: its owner cannot list, inspect, prune or remove it once the container is gone (only
   * {@code docker rm -v} takes it with the container). Anonymous volumes from {@code --mount
   * type=volume,target=/d} are labelled and work.
   */
  @Test
  void run_withAnonymousVolume_makesTheVolumeTheCallers() {
    Container c = t.newContainer(t.alice, Kind.EXITED, "-v", "/data");
    String volume =
        Tenants.upstreamFormat("container", c.id(), "{{range .Mounts}}{{.Name}}{{end}}");
    t.removeAtClose(volume);
    Tenants.assertOk(t.as(t.alice, "rm", c.name())); // without -v: the volume stays
    String labels = Tenants.upstreamFormat("volume", volume, "{{json .Labels}}");
    Proc.Result inspect = t.as(t.alice, "volume", "inspect", volume);
    Proc.Result rm = t.as(t.alice, "volume", "rm", volume);
    assertThat(rm.exitCode())
        .as(
            "regression (container_create): 'docker run -v /data' as alice "
                + "made the anonymous volume %s with labels %s (no owner), so alice cannot inspect or "
                + "remove her own volume:\n%s\n%s",
            volume, labels, inspect.describe(), rm.describe())
        .isZero();
  }

  @Test
  void volumeRequests_asRoot_workOnEveryonesVolumes() {
    for (Tenants.Estate e : List.of(t.aliceOwns, t.bobOwns)) {
      String daemons = Tenants.daemonName(e.owner(), e.volume()); // root uses the daemon's names
      Proc.Result inspect = t.as(t.root, "volume", "inspect", "--format", "{{.Name}}", daemons);
      assertThat(inspect.stdout().strip()).as(inspect.describe()).isEqualTo(daemons);
      Proc.Result run =
          t.as(
              t.root,
              "run",
              "--rm",
              "--label",
              t.label,
              "-v",
              daemons + ":/d",
              t.image,
              "cat",
              "/d/data");
      assertThat(run.stdout()).as(run.describe()).startsWith("data-" + e.owner().name());
      String fresh = t.newVolume(e.owner());
      Tenants.assertOk(t.as(t.root, "volume", "rm", Tenants.daemonName(e.owner(), fresh)));
      assertThat(Tenants.existsUpstream("volume", fresh)).isFalse();
    }
  }

  // ---- networks -----------------------------------------------------------------------------

  static Stream<Arguments> networkRefusals() {
    List<Named<List<String>>> commands =
        List.of(
            Named.of("network inspect", List.of("network", "inspect", "{n}")),
            Named.of("network rm", List.of("network", "rm", "{n}")),
            Named.of(
                "network connect (her container)", List.of("network", "connect", "{n}", "{mine}")),
            Named.of(
                "network disconnect (his container)",
                List.of("network", "disconnect", "{n}", "{theirs}")),
            Named.of(
                "run --network",
                List.of("run", "--pull", "never", "--rm", "--network", "{n}", "{image}", "true")));
    return commands.stream().flatMap(c -> Stream.of(Ref.values()).map(r -> arguments(c, r)));
  }

  /**
   * ({@code docker run --pull never}: a 404 from create makes the CLI think the image is missing
   * and pull it otherwise, and the refused pull would hide the message under test.)
   */
  @ParameterizedTest(name = "{0} by {1}")
  @MethodSource("networkRefusals")
  void networkRequest_onAnotherUsersNetwork_isNotFoundAndChangesNothing(
      List<String> command, Ref ref) {
    String id = t.bobOwns.networkId();
    String n =
        switch (ref) {
          case NAME -> t.bobOwns.network();
          case ID -> id;
          case PREFIX -> id.substring(0, 12);
        };
    String before = Tenants.networkState(id);
    String mine = Tenants.containerState(t.aliceOwns.container(Kind.EXITED).id());
    Proc.Result r =
        t.as(
            t.alice,
            Tenants.QUICK,
            command.stream()
                .map(
                    a ->
                        a.replace("{n}", n)
                            .replace("{mine}", t.aliceOwns.container(Kind.EXITED).name())
                            .replace("{theirs}", t.bobOwns.container(Kind.RUNNING).name())
                            .replace("{image}", t.image))
                .toList());
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("Error response from daemon: berth: network " + n + " not found");
    assertThat(r.stdout()).as(r.describe()).doesNotContain("dev.berth.owner");
    assertThat(Tenants.networkState(id)).isEqualTo(before);
    assertThat(Tenants.containerState(t.aliceOwns.container(Kind.EXITED).id())).isEqualTo(mine);
  }

  @Test
  void networkCreate_asUser_makesABridgeNetworkLabelledAsHers() {
    String n = t.newNetwork(t.alice);
    assertThat(
            Tenants.upstreamFormat(
                "network",
                n,
                "{{.Driver}} {{index .Labels "
                    + "\"dev.berth.owner.uid\"}} {{index .Labels \"dev.berth.owner.gid\"}}|"))
        .isEqualTo("bridge " + t.alice.uid() + " |");
  }

  @Test
  void networkRequests_onOwnNetwork_work() {
    String n = t.aliceOwns.network();
    Proc.Result inspect = t.as(t.alice, "network", "inspect", "--format", "{{.Name}}", n);
    assertThat(inspect.stdout().strip()).as(inspect.describe()).isEqualTo(n);
    Container c = t.newContainer(t.alice, Kind.RUNNING);
    Tenants.assertOk(t.as(t.alice, "network", "connect", n, c.name()));
    assertThat(Tenants.networkState(t.aliceOwns.networkId())).contains(c.name() + ",");
    Tenants.assertOk(t.as(t.alice, "network", "disconnect", n, c.name()));
    assertThat(Tenants.networkState(t.aliceOwns.networkId())).doesNotContain(c.name() + ",");
    Tenants.assertOk(
        t.as(t.alice, "run", "--rm", "--label", t.label, "--network", n, t.image, "true"));
    String fresh = t.newNetwork(t.alice);
    Tenants.assertOk(t.as(t.alice, "network", "rm", fresh));
    assertThat(Tenants.existsUpstream("network", fresh)).isFalse();
  }

  @Test
  void networkRequests_asRoot_workOnEveryonesNetworks() {
    for (Tenants.Estate e : List.of(t.aliceOwns, t.bobOwns)) {
      String daemons = Tenants.daemonName(e.owner(), e.network()); // root uses the daemon's names
      Proc.Result inspect = t.as(t.root, "network", "inspect", "--format", "{{.Name}}", daemons);
      assertThat(inspect.stdout().strip()).as(inspect.describe()).isEqualTo(daemons);
      String fresh = t.newNetwork(e.owner());
      Tenants.assertOk(t.as(t.root, "network", "rm", Tenants.daemonName(e.owner(), fresh)));
      assertThat(Tenants.existsUpstream("network", fresh)).isFalse();
    }
    Container alices = t.newContainer(t.alice, Kind.RUNNING);
    String bobsNet = Tenants.daemonName(t.bob, t.bobOwns.network());
    String hers = Tenants.daemonName(t.alice, alices.name());
    Tenants.assertOk(t.as(t.root, "network", "connect", bobsNet, hers));
    Tenants.assertOk(t.as(t.root, "network", "disconnect", bobsNet, hers));
  }

  // ---- images -------------------------------------------------------------------------------

  @ParameterizedTest(name = "by {0}")
  @EnumSource(names = {"NAME", "ID"})
  void rmi_ofTheAdministratorsImage_isForbiddenAndKeepsIt(Ref how) {
    String id = Tenants.upstreamFormat("image", t.image, "{{.Id}}");
    String ref = how == Ref.NAME ? t.image : id;
    Proc.Result r = t.as(t.alice, "rmi", ref);
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains(
            "Error response from daemon: berth: the "
                + "image "
                + ref
                + " is not yours; only its owner or an administrator may remove it");
    assertThat(Tenants.upstreamFormat("image", t.image, "{{.Id}}")).isEqualTo(id);
  }

  /** issue 13: alice's tag of the administrator's name is hers; everyone else keeps the shared. */
  @Test
  void tag_overTheAdministratorsTag_landsInTheTaggersNamespaceAndKeepsTheShared() {
    String id = Tenants.upstreamFormat("image", t.image, "{{.Id}}");
    String hers = t.imageRef("alice-own");
    Tenants.assertOk(t.as(t.alice, "commit", t.aliceOwns.container(Kind.RUNNING).name(), hers));
    Tenants.assertOk(t.as(t.alice, "tag", hers, t.image));
    try {
      assertThat(Tenants.upstreamFormat("image", t.image, "{{.Id}}")).isEqualTo(id);
      Proc.Result bobs = t.as(t.bob, "image", "inspect", "--format", "{{.Id}}", t.image);
      assertThat(bobs.stdout().strip()).as(bobs.describe()).isEqualTo(id);
      Proc.Result alices = t.as(t.alice, "image", "inspect", "--format", "{{.Id}}", t.image);
      assertThat(alices.stdout().strip()).as(alices.describe()).isNotEqualTo(id);
    } finally {
      Tenants.assertOk(t.as(t.alice, "rmi", t.image)); // her own tag: the shared one stays
    }
    assertThat(Tenants.upstreamFormat("image", t.image, "{{.Id}}")).isEqualTo(id);
  }

  @Test
  void rmiTagAndCommit_overAnotherUsersTagName_reachOnlyTheCallersOwnAndTheOwnerRemovesIt() {
    String tag = t.imageRef("alice-tag");
    Tenants.assertOk(t.as(t.alice, "tag", t.image, tag));
    String daemonName = Tenants.daemonImage(t.alice, tag);
    String id = Tenants.upstreamFormat("image", daemonName, "{{.Id}}");
    Proc.Result rmi = t.as(t.bob, "rmi", tag);
    assertThat(rmi.exitCode()).as(rmi.describe()).isNotZero();
    assertThat(rmi.stderr())
        .as(rmi.describe())
        .contains("Error response from daemon: berth: " + "No such image: " + tag);
    String his = t.imageRef("bob-own");
    Tenants.assertOk(t.as(t.bob, "commit", t.bobOwns.container(Kind.RUNNING).name(), his));
    Tenants.assertOk(t.as(t.bob, "tag", his, tag));
    Tenants.assertOk(t.as(t.bob, "commit", t.bobOwns.container(Kind.RUNNING).name(), tag));
    assertThat(Tenants.upstreamFormat("image", daemonName, "{{.Id}}")).isEqualTo(id);
    assertThat(Tenants.existsUpstream("image", tag)).as("no shared name was written").isFalse();

    Proc.Result own = t.as(t.alice, "rmi", tag);
    assertThat(own.stdout()).as(own.describe()).contains("Untagged: " + tag);
    assertThat(Tenants.existsUpstream("image", daemonName)).isFalse();
    assertThat(Tenants.existsUpstream("image", Tenants.daemonImage(t.bob, tag))).isTrue();
  }

  @Test
  void rmi_byIdOfAnotherUsersImage_isNotFoundAndTheOwnerRemovesIt() {
    String hers = t.imageRef("alice-image");
    Tenants.assertOk(t.as(t.alice, "commit", t.aliceOwns.container(Kind.RUNNING).name(), hers));
    String daemonName = Tenants.daemonImage(t.alice, hers);
    String id = Tenants.upstreamFormat("image", daemonName, "{{.Id}}");
    Proc.Result bobs = t.as(t.bob, "rmi", id);
    assertThat(bobs.exitCode()).as(bobs.describe()).isNotZero();
    assertThat(bobs.stderr())
        .as(bobs.describe())
        .contains("Error response from daemon: berth: " + "No such image: " + id);
    assertThat(Tenants.upstreamFormat("image", daemonName, "{{.Id}}")).isEqualTo(id);
    Proc.Result own = t.as(t.alice, "rmi", id);
    assertThat(own.stdout())
        .as(own.describe())
        .contains("Untagged: " + hers)
        .contains("Deleted: " + id);
  }

  @Test
  void rmi_asRoot_removesAUsersTagByTheDaemonsName() {
    String tag = t.imageRef("alice-tag");
    Tenants.assertOk(t.as(t.alice, "tag", t.image, tag));
    String daemonName = Tenants.daemonImage(t.alice, tag);
    Proc.Result r = t.as(t.root, "rmi", daemonName);
    assertThat(r.stdout()).as(r.describe()).contains("Untagged: " + daemonName);
    assertThat(Tenants.existsUpstream("image", daemonName)).isFalse();
  }
}
