package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, the daemon's own words in the caller's names, with the real CLI as two real users on
 * the default policy (private names on): {@code name} filters of {@code ps}, {@code network ls} and
 * {@code volume ls} select by the names the caller gave (anchored expressions included) and never
 * another user's object of the same name; a daemon error, {@code ps}, {@code inspect} and {@code
 * events} name the caller's image by the tag the caller gave, never by berth's private name.
 */
class CallersNamesIT extends ItBase {
  private final List<String> networks = new ArrayList<>();
  private final List<String> volumes = new ArrayList<>();
  private final List<String> images = new ArrayList<>();

  @AfterEach
  void removeTheRest() {
    for (UnixUser u : List.of(alice, bob)) {
      for (String n : networks) {
        DockerCli.upstream("network", "rm", Tenants.daemonName(u, n));
      }
      for (String v : volumes) {
        DockerCli.upstream("volume", "rm", "-f", Tenants.daemonName(u, v));
      }
      for (String i : images) {
        DockerCli.upstream("rmi", "-f", Tenants.daemonImage(u, i));
      }
    }
  }

  private Proc.Result ok(UnixUser u, String... args) {
    Proc.Result r = docker.run(u, args);
    assertThat(r.exitCode()).as("%s: %s", u.name(), r.describe()).isZero();
    return r;
  }

  private String idOf(UnixUser u, String name) {
    return ok(u, "inspect", "--format", "{{.Id}}", name).stdout().strip();
  }

  @Test
  void psNameFilter_anchored_findsAlicesWebNotBobs() {
    String web = container("web");
    container(web + "app");
    ok(alice, "create", "--name", web, image, "true");
    ok(alice, "create", "--name", web + "app", image, "true");
    ok(bob, "create", "--name", web, image, "true");
    String alices = idOf(alice, web);
    String bobs = idOf(bob, web);
    assertThat(alices).isNotEqualTo(bobs);

    for (String filter : List.of("^" + web + "$", "^/" + web + "$", web + "$")) {
      Proc.Result ps =
          ok(alice, "ps", "-a", "--no-trunc", "-f", "name=" + filter, "--format", "{{.ID}}");
      assertThat(ps.stdout().lines().toList()).as(filter).containsExactly(alices);
      Proc.Result bobPs =
          ok(bob, "ps", "-a", "--no-trunc", "-f", "name=" + filter, "--format", "{{.ID}}");
      assertThat(bobPs.stdout().lines().toList()).as(filter).containsExactly(bobs);
    }
    Proc.Result plain = ok(alice, "ps", "-a", "-f", "name=" + web, "--format", "{{.Names}}");
    assertThat(plain.stdout().lines().toList())
        .as("unanchored, as on a private daemon")
        .containsExactlyInAnyOrder(web, web + "app");
    Proc.Result others =
        ok(alice, "ps", "-a", "-f", "name=u" + bob.uid() + "_", "--format", "{{.Names}}");
    assertThat(others.stdout()).as("bob's prefix selects nothing of bob's").isBlank();
    Proc.Result invalid = docker.run(alice, "ps", "-a", "-f", "name=[", "--format", "{{.Names}}");
    assertThat(invalid.exitCode()).as("an invalid expression selects nothing, no error").isZero();
    assertThat(invalid.stdout()).isBlank();
  }

  @Test
  void networkAndVolumeNameFilters_anchored_findTheCallersOwn() {
    String net = ItEnvironment.uniqueName("net");
    String vol = ItEnvironment.uniqueName("vol");
    networks.add(net);
    volumes.add(vol);
    for (UnixUser u : List.of(alice, bob)) {
      ok(u, "network", "create", net);
      ok(u, "volume", "create", vol);
    }
    for (UnixUser u : List.of(alice, bob)) {
      Proc.Result nets =
          ok(u, "network", "ls", "--no-trunc", "-f", "name=^" + net + "$", "--format", "{{.ID}}");
      assertThat(nets.stdout().lines().toList()).containsExactly(idOf(u, net));
      Proc.Result vols = ok(u, "volume", "ls", "-f", "name=^" + vol + "$", "--format", "{{.Name}}");
      assertThat(vols.stdout().lines().toList()).containsExactly(vol);
    }
  }

  @Test
  void rmi_ownTagUsedByAContainer_conflictNamesTheTagAsGiven() {
    String source = container("src");
    ok(alice, "create", "--name", source, image, "true");
    String ref = ItEnvironment.uniqueName("app") + ":1";
    images.add(ref);
    ok(alice, "commit", source, ref);
    String user = container("user");
    Instant before = Instant.now().minusSeconds(2);
    ok(alice, "create", "--name", user, ref, "true");

    Proc.Result rmi = docker.run(alice, "rmi", ref);
    assertThat(rmi.exitCode()).as(rmi.describe()).isNotZero();
    assertThat(rmi.stderr())
        .as(rmi.describe())
        .contains("\"" + ref + "\"")
        .contains("must force")
        .doesNotContain("berth.invalid");

    assertThat(
            ok(alice, "ps", "-a", "-f", "name=^" + user + "$", "--format", "{{.Image}}").stdout())
        .isEqualTo(ref + "\n");
    assertThat(ok(alice, "inspect", "--format", "{{.Config.Image}}", user).stdout().strip())
        .isEqualTo(ref);
    Proc.Result events =
        ok(
            alice,
            "events",
            "--since",
            Long.toString(before.getEpochSecond()),
            "--until",
            Long.toString(Instant.now().plusSeconds(1).getEpochSecond()),
            "-f",
            "container=" + user,
            "--format",
            "{{json .}}");
    assertThat(events.stdout())
        .as(events.describe())
        .contains("\"" + ref + "\"")
        .doesNotContain("berth.invalid");
  }

  /**
   * alice's and bob's own {@code app:1}, each committed from a container of theirs, and a container
   * of each made from it; the image ids by user.
   */
  private List<String> twoUsersOwnImages(String ref) {
    images.add(ref);
    List<String> ids = new ArrayList<>();
    for (UnixUser u : List.of(alice, bob)) {
      String source = container("src" + u.name());
      ok(u, "create", "--name", source, image, "true");
      ids.add(ok(u, "commit", source, ref).stdout().strip());
    }
    return ids;
  }

  @Test
  void imagesReferenceFilter_ownTag_listsTheCallersNeverTheOthers() {
    String repo = ItEnvironment.uniqueName("app");
    List<String> ids = twoUsersOwnImages(repo + ":1");
    for (int i = 0; i < 2; i++) {
      UnixUser u = i == 0 ? alice : bob;
      for (String filter :
          List.of(repo, repo + ":1", repo + ":*", "*" + repo.substring(2) + ":1")) {
        Proc.Result ls =
            ok(
                u,
                "images",
                "--no-trunc",
                "-f",
                "reference=" + filter,
                "--format",
                "{{.ID}} {{.Tag}}");
        assertThat(ls.stdout().lines().toList()).as(filter).containsExactly(ids.get(i) + " 1");
      }
      assertThat(ok(u, "images", "--no-trunc", "--format", "{{.ID}}", repo).stdout().lines())
          .containsExactly(ids.get(i));
    }
    for (String other :
        List.of(
            Tenants.daemonImage(bob, repo) + ":1",
            "berth.invalid/*/*/*/" + repo + ":1",
            "berth.invalid/u" + bob.uid() + "/docker.io/library/" + repo)) {
      Proc.Result ls = ok(alice, "images", "-q", "-f", "reference=" + other);
      assertThat(ls.stdout()).as("alice's filter %s selects nothing of bob's", other).isBlank();
    }
    Proc.Result bad = docker.run(alice, "images", "-f", "reference=[");
    assertThat(bad.exitCode()).as(bad.describe()).isNotZero();
    assertThat(bad.stderr()).contains("syntax error in pattern");
  }

  @Test
  void psAncestorAndEventsImageFilters_ownTag_selectTheCallersContainersNeverTheOthers() {
    String repo = ItEnvironment.uniqueName("app");
    String ref = repo + ":1";
    Instant before = Instant.now().minusSeconds(2);
    List<String> ids = twoUsersOwnImages(ref);
    String user = container("user");
    List<String> made = new ArrayList<>();
    for (UnixUser u : List.of(alice, bob)) {
      ok(u, "create", "--name", user, ref, "true");
      made.add(idOf(u, user));
    }
    for (int i = 0; i < 2; i++) {
      UnixUser u = i == 0 ? alice : bob;
      // (the repository alone would be repo:latest, which neither has)
      for (String filter : List.of(ref, ids.get(i), ids.get(i).substring(7, 19))) {
        Proc.Result ps =
            ok(u, "ps", "-a", "--no-trunc", "-f", "ancestor=" + filter, "--format", "{{.ID}}");
        assertThat(ps.stdout().lines().toList()).as(filter).containsExactly(made.get(i));
      }
    }
    for (String other :
        List.of(ids.get(1), ids.get(1).substring(7, 19), Tenants.daemonImage(bob, repo) + ":1")) {
      Proc.Result ps = ok(alice, "ps", "-a", "-q", "-f", "ancestor=" + other);
      assertThat(ps.stdout()).as("alice's ancestor=%s selects nothing of bob's", other).isBlank();
    }
    String until = Long.toString(Instant.now().plusSeconds(1).getEpochSecond());
    String since = Long.toString(before.getEpochSecond());
    for (int i = 0; i < 2; i++) {
      UnixUser u = i == 0 ? alice : bob;
      Proc.Result events =
          ok(
              u,
              "events",
              "--since",
              since,
              "--until",
              until,
              "-f",
              "type=container",
              "-f",
              "event=create",
              "-f",
              "image=" + ref,
              "--format",
              "{{.Actor.ID}}");
      assertThat(events.stdout().lines().toList())
          .as(events.describe())
          .containsExactly(made.get(i));
    }
    Proc.Result others =
        ok(
            alice,
            "events",
            "--since",
            since,
            "--until",
            until,
            "-f",
            "image=" + Tenants.daemonImage(bob, repo) + ":1",
            "--format",
            "{{.Actor.ID}}");
    assertThat(others.stdout()).as(others.describe()).isBlank();
  }

  @Test
  void psBeforeSince_ownContainerByName_anotherUsersByIdNotFound() {
    String first = container("first");
    String second = container("second");
    ok(alice, "create", "--name", first, image, "true");
    ok(alice, "create", "--name", second, image, "true");
    ok(bob, "create", "--name", first, image, "true");
    assertThat(ok(alice, "ps", "-a", "-f", "before=" + second, "--format", "{{.Names}}").stdout())
        .contains(first)
        .doesNotContain(second);
    assertThat(ok(alice, "ps", "-a", "-f", "since=" + first, "--format", "{{.Names}}").stdout())
        .contains(second)
        .doesNotContain(first);
    String alices = idOf(alice, second);
    for (String ref : List.of(alices, alices.substring(0, 12), "u" + alice.uid() + "_" + second)) {
      Proc.Result r = docker.run(bob, "ps", "-a", "-f", "before=" + ref);
      assertThat(r.exitCode()).as(r.describe()).isNotZero();
      assertThat(r.stderr()).as(r.describe()).contains("No such container");
    }
  }
}
