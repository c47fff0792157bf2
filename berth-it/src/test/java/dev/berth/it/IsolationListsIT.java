package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.it.Tenants.Container;
import dev.berth.it.Tenants.Estate;
import dev.berth.it.Tenants.Kind;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Ownership (issue #5) in what lists objects: {@code docker ps}, {@code volume ls}, {@code network
 * ls}, {@code system df}, {@code events} and the prunes show and touch only the caller's objects
 * (root's: everyone's), and the caller's own filters still work within them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IsolationListsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Tenants t;

  /** A container root made through berth: it carries no owner, so it is nobody's. */
  private Container unowned;

  @BeforeAll
  void tenants() {
    if (ItEnvironment.problem() != null && !ItEnvironment.isCi()) {
      return; // each test is skipped in environment(), so that the report counts them
    }
    t = Tenants.open();
    unowned = t.newContainer(t.root, Kind.EXITED);
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

  private static List<String> names(Estate e) {
    return e.containers().values().stream().map(Container::name).toList();
  }

  /** The daemon's names of an estate's containers (what root sees, issue 13). */
  private static List<String> daemonNames(Estate e) {
    return names(e).stream().map(n -> Tenants.daemonName(e.owner(), n)).toList();
  }

  private List<String> list(UnixUser who, String... args) {
    Proc.Result r = t.as(who, args);
    Tenants.assertOk(r);
    return Tenants.lines(r);
  }

  // ---- containers -------------------------------------------------------------------------

  @Test
  void ps_asEachUser_listsOnlyTheirOwnContainers() {
    List<String> alices = list(t.alice, "ps", "-a", "--format", "{{.Names}}");
    assertThat(alices)
        .containsAll(names(t.aliceOwns))
        .doesNotContainAnyElementsOf(names(t.bobOwns))
        .doesNotContain(unowned.name());
    List<String> bobs = list(t.bob, "ps", "-a", "--format", "{{.Names}}");
    assertThat(bobs)
        .containsAll(names(t.bobOwns))
        .doesNotContainAnyElementsOf(names(t.aliceOwns))
        .doesNotContain(unowned.name());
    List<String> roots = list(t.root, "ps", "-a", "--format", "{{.Names}}");
    assertThat(roots)
        .as("root sees the daemon's names")
        .containsAll(daemonNames(t.aliceOwns))
        .containsAll(daemonNames(t.bobOwns))
        .contains(unowned.name());
  }

  @Test
  void ps_withTheCallersOwnFilters_filtersWithinTheirContainers() {
    Container bobs = t.bobOwns.container(Kind.RUNNING);
    Container alices = t.aliceOwns.container(Kind.RUNNING);
    assertThat(list(t.alice, "ps", "-a", "--filter", "label=" + t.label, "--format", "{{.Names}}"))
        .containsExactlyInAnyOrderElementsOf(names(t.aliceOwns));
    assertThat(
            list(
                t.alice,
                "ps",
                "-a",
                "--filter",
                "label=" + t.label,
                "--filter",
                "status=exited",
                "--format",
                "{{.Names}}"))
        .containsExactly(t.aliceOwns.container(Kind.EXITED).name());
    assertThat(
            list(
                t.alice, "ps", "-a", "--filter", "name=" + alices.name(), "--format", "{{.Names}}"))
        .containsExactly(alices.name());
    assertThat(list(t.alice, "ps", "-aq", "--filter", "name=" + bobs.name()))
        .as("by name")
        .isEmpty();
    assertThat(list(t.alice, "ps", "-aq", "--filter", "id=" + bobs.id())).as("by id").isEmpty();
    assertThat(list(t.alice, "ps", "-aq", "--filter", "label=dev.berth.owner.uid=" + t.bob.uid()))
        .as("by bob's owner label")
        .isEmpty();
    assertThat(list(t.alice, "ps", "-aq", "--filter", "label=dev.berth.owner.uid"))
        .as("by the owner label's key")
        .doesNotContain(bobs.id().substring(0, 12));
  }

  // ---- volumes and networks -----------------------------------------------------------------

  @Test
  void volumeLs_asEachUser_listsOnlyTheirOwnVolumes() {
    String a = t.aliceOwns.volume();
    String b = t.bobOwns.volume();
    assertThat(list(t.alice, "volume", "ls", "--format", "{{.Name}}"))
        .contains(a)
        .doesNotContain(b);
    assertThat(list(t.bob, "volume", "ls", "--format", "{{.Name}}")).contains(b).doesNotContain(a);
    assertThat(list(t.root, "volume", "ls", "--format", "{{.Name}}"))
        .contains(Tenants.daemonName(t.alice, a), Tenants.daemonName(t.bob, b));
    assertThat(list(t.alice, "volume", "ls", "-q", "--filter", "label=" + t.label))
        .containsExactly(a);
    assertThat(list(t.alice, "volume", "ls", "-q", "--filter", "name=" + b)).isEmpty();
  }

  @Test
  void networkLs_asEachUser_listsOnlyTheirOwnNetworks() {
    String a = t.aliceOwns.network();
    String b = t.bobOwns.network();
    assertThat(list(t.alice, "network", "ls", "--format", "{{.Name}}"))
        .contains(a)
        .doesNotContain(b);
    assertThat(list(t.bob, "network", "ls", "--format", "{{.Name}}")).contains(b).doesNotContain(a);
    assertThat(list(t.root, "network", "ls", "--format", "{{.Name}}"))
        .contains(Tenants.daemonName(t.alice, a), Tenants.daemonName(t.bob, b));
    assertThat(
            list(t.alice, "network", "ls", "--format", "{{.Name}}", "--filter", "label=" + t.label))
        .containsExactly(a);
    assertThat(list(t.alice, "network", "ls", "-q", "--filter", "id=" + t.bobOwns.networkId()))
        .isEmpty();
  }

  // ---- system df ----------------------------------------------------------------------------

  private static final String DF =
      """
      {{range .Containers}}container {{.Names}}
      {{end}}{{range .Volumes}}volume {{.Name}}
      {{end}}{{range .Images}}image {{.Repository}}:{{.Tag}} {{.Containers}}
      {{end}}""";

  @Test
  void systemDf_asEachUser_showsOnlyTheirOwnContainersAndVolumes() {
    for (Estate[] pair :
        List.of(new Estate[] {t.aliceOwns, t.bobOwns}, new Estate[] {t.bobOwns, t.aliceOwns})) {
      List<String> df = list(pair[0].owner(), "system", "df", "-v", "--format", DF);
      for (String n : names(pair[0])) {
        assertThat(df).contains("container " + n);
      }
      assertThat(df).contains("volume " + pair[0].volume());
      for (String n : names(pair[1])) {
        assertThat(df).doesNotContain("container " + n);
      }
      assertThat(df).doesNotContain("volume " + pair[1].volume(), "container " + unowned.name());
      assertThat(df)
          .as("images are shared for reading")
          .anyMatch(l -> l.startsWith("image " + t.image + " "));
    }
    List<String> roots = list(t.root, "system", "df", "-v", "--format", DF);
    assertThat(roots)
        .contains(
            "container " + unowned.name(),
            "volume " + Tenants.daemonName(t.alice, t.aliceOwns.volume()),
            "volume " + Tenants.daemonName(t.bob, t.bobOwns.volume()));
  }

  /**
   * regression (system_df): the images of {@code docker system df -v} keep the daemon's count of
   * the containers that use each image, everyone's: a user learns how many containers the other
   * users have (and when they start more) from the image they share.
   */
  @Test
  void systemDf_asUser_countsOnlyTheirOwnContainersPerImage() {
    String imageId = Tenants.upstreamFormat("image", t.image, "{{.Id}}");
    long hers =
        containersOf(t.alice).stream()
            .filter(c -> c.path("ImageID").asText().equals(imageId))
            .count();
    long everyones =
        containersOf(null).stream().filter(c -> c.path("ImageID").asText().equals(imageId)).count();
    assertThat(everyones).as("bob's containers use the image too").isGreaterThan(hers);
    String row =
        list(t.alice, "system", "df", "-v", "--format", DF).stream()
            .filter(l -> l.startsWith("image " + t.image + " "))
            .findFirst()
            .orElseThrow();
    assertThat(row)
        .as(
            "regression (system_df): alice's 'docker system df -v' shows '%s', but "
                + "%d containers on that image are hers and %d are everyone's: GET /system/df keeps "
                + "Images[].Containers as the daemon counted them; berth should count only the "
                + "containers the caller may see",
            row, hers, everyones)
        .isEqualTo("image " + t.image + " " + hers);
  }

  /** The daemon's containers (all of them, or {@code owner}'s), asked directly as root. */
  private static List<JsonNode> containersOf(UnixUser owner) {
    String path = "/containers/json?all=1";
    if (owner != null) {
      path +=
          "&filters="
              + URLEncoder.encode(
                  "{\"label\":[\"dev.berth.owner.uid=" + owner.uid() + "\"]}",
                  StandardCharsets.UTF_8);
    }
    Tenants.Reply r = Tenants.daemonGet(path);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    try {
      List<JsonNode> out = new ArrayList<>();
      JSON.readTree(r.body()).forEach(out::add);
      return out;
    } catch (IOException e) {
      throw new AssertionError(r.text(), e);
    }
  }

  // ---- events -------------------------------------------------------------------------------

  /**
   * alice, bob and root follow {@code docker events} over the same few seconds while bob and alice
   * each create, start, stop and remove a container and bob makes a volume and a network: alice
   * sees her container's events and nothing of bob's; root sees both.
   */
  @Test
  void events_whileAnotherUserActs_showNothingOfTheirs() {
    long since = System.currentTimeMillis();
    String window = String.format(Locale.ROOT, "%.3f", since / 1000.0);
    String until = String.format(Locale.ROOT, "%.3f", since / 1000.0 + 5);
    try (Proc.Running alices =
            t.start(
                t.alice, "events", "--since", window, "--until", until, "--format", "{{json .}}");
        Proc.Running alicesStarts =
            t.start(
                t.alice,
                "events",
                "--since",
                window,
                "--until",
                until,
                "--filter",
                "type=container",
                "--filter",
                "event=start",
                "--format",
                "{{.Actor.Attributes.name}}");
        Proc.Running roots =
            t.start(
                t.root, "events", "--since", window, "--until", until, "--format", "{{json .}}")) {
      String bobs = ItEnvironment.uniqueName("bob-events");
      String hers = ItEnvironment.uniqueName("alice-events");
      String[] bobsOthers = new String[2];
      Tenants.parallel(
          () -> {
            Tenants.assertOk(
                t.as(t.bob, "run", "--name", bobs, "--label", t.label, t.image, "true"));
            Tenants.assertOk(t.as(t.bob, "rm", bobs));
            bobsOthers[0] = t.newVolume(t.bob);
            bobsOthers[1] = t.newNetwork(t.bob);
          },
          () -> {
            Tenants.assertOk(
                t.as(t.alice, "run", "--name", hers, "--label", t.label, t.image, "true"));
            Tenants.assertOk(t.as(t.alice, "rm", hers));
          });
      assertThat(System.currentTimeMillis())
          .as("the actions ended within the window")
          .isLessThan(since + 4_000);
      Proc.Result a = alices.waitFor(Duration.ofSeconds(15));
      Proc.Result s = alicesStarts.waitFor(Duration.ofSeconds(15));
      Proc.Result r = roots.waitFor(Duration.ofSeconds(15));
      for (Proc.Result p : List.of(a, s, r)) {
        assertThat(p.ok()).as("docker events ends at --until: %s", p.describe()).isTrue();
      }
      assertThat(r.stdout())
          .as("root sees bob's events, in the daemon's names: %s", r.describe())
          .contains("\"name\":\"" + Tenants.daemonName(t.bob, bobs) + "\"")
          .contains("\"name\":\"" + Tenants.daemonName(t.alice, hers) + "\"");
      assertThat(a.stdout())
          .as(a.describe())
          .contains("\"name\":\"" + hers + "\"")
          .doesNotContain(bobs)
          .doesNotContain(bobsOthers[0])
          .doesNotContain(bobsOthers[1])
          .doesNotContain("\"dev.berth.owner.uid\":\"" + t.bob.uid() + "\"");
      assertThat(Tenants.lines(s))
          .as("her own filters still apply: %s", s.describe())
          .containsExactly(hers);
    }
  }

  // ---- prunes -------------------------------------------------------------------------------

  /**
   * Unused containers, volumes and networks of alice, bob and nobody (made by root), all matching
   * the filter alice prunes with: her prunes remove hers only, root's remove the rest.
   */
  @Test
  void prunes_asUser_removeOnlyTheirOwnObjectsAndAsRootEveryones() {
    String prune = "it.berth.prune=" + ItEnvironment.uniqueName("prune");
    Map<UnixUser, String[]> objects = new LinkedHashMap<>();
    for (UnixUser u : List.of(t.alice, t.bob, t.root)) {
      objects.put(
          u,
          new String[] {
            t.newContainer(u, Kind.EXITED, "--label", prune).name(),
            t.newVolume(u, "--label", prune),
            t.newNetwork(u, "--label", prune)
          });
    }
    List<String> volumePrune =
        new ArrayList<>(List.of("volume", "prune", "-f", "--filter", "label=" + prune));
    if (t.apiAtLeast(42)) {
      volumePrune.add("--all"); // since 1.42 named volumes are pruned only with --all
    }
    Tenants.assertOk(t.as(t.alice, "container", "prune", "-f", "--filter", "label=" + prune));
    Tenants.assertOk(t.as(t.alice, volumePrune.toArray(String[]::new)));
    Tenants.assertOk(t.as(t.alice, "network", "prune", "-f", "--filter", "label=" + prune));
    assertExist(objects.get(t.alice), false);
    assertExist(objects.get(t.bob), true);
    assertExist(objects.get(t.root), true);

    Tenants.assertOk(t.as(t.root, "container", "prune", "-f", "--filter", "label=" + prune));
    Tenants.assertOk(t.as(t.root, volumePrune.toArray(String[]::new)));
    Tenants.assertOk(t.as(t.root, "network", "prune", "-f", "--filter", "label=" + prune));
    assertExist(objects.get(t.bob), false);
    assertExist(objects.get(t.root), false);
  }

  private static void assertExist(String[] containerVolumeNetwork, boolean exist) {
    assertThat(Tenants.existsUpstream("container", containerVolumeNetwork[0]))
        .as("container %s exists", containerVolumeNetwork[0])
        .isEqualTo(exist);
    assertThat(Tenants.existsUpstream("volume", containerVolumeNetwork[1]))
        .as("volume %s exists", containerVolumeNetwork[1])
        .isEqualTo(exist);
    assertThat(Tenants.existsUpstream("network", containerVolumeNetwork[2]))
        .as("network %s exists", containerVolumeNetwork[2])
        .isEqualTo(exist);
  }
}
