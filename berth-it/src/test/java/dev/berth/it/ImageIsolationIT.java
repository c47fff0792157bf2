package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.it.Tenants.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 13, with two real users and root through the real docker CLI: an image a user makes is
 * theirs (others can neither run, inspect, save, history, tag nor remove it, by name or by id, nor
 * see it in their lists), a name a user gives is resolved in that user's namespace first and never
 * shadows the shared name for anyone else, and root sees the daemon's real names. The shared name
 * stands for a registry image: root tags it (the test daemons have no registry).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageIsolationIT {
  private Tenants t;

  /** A shared name (root's, as a pull would make it) and the image it holds. */
  private String shared;

  private String sharedId;

  @BeforeAll
  void tenants() {
    if (ItEnvironment.problem() != null && !ItEnvironment.isCi()) {
      return; // each test is skipped in environment(), so that the report counts them
    }
    t = Tenants.open();
    shared = t.imageRef("python");
    Tenants.assertOk(t.as(t.root, "tag", t.image, shared));
    sharedId = Tenants.upstreamFormat("image", shared, "{{.Id}}");
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

  /** alice's own image (a commit of her running container, so another id than the shared). */
  private String commit(UnixUser u, String ref) {
    Tenants.assertOk(
        t.as(
            u,
            "commit",
            "--change",
            "LABEL made.by=" + u.name(),
            (u.equals(t.alice) ? t.aliceOwns : t.bobOwns).container(Kind.RUNNING).name(),
            ref));
    return Tenants.upstreamFormat("image", Tenants.daemonImage(u, ref), "{{.Id}}");
  }

  private String idAs(UnixUser u, String ref) {
    Proc.Result r = t.as(u, "image", "inspect", "--format", "{{.Id}}", ref);
    Tenants.assertOk(r);
    return r.stdout().strip();
  }

  /** The image a container {@code u} creates from {@code ref} really runs, as the daemon says. */
  private String runsAs(UnixUser u, String ref) {
    String name = ItEnvironment.uniqueName(u.name() + "-img");
    Tenants.assertOk(t.as(u, "create", "--name", name, "--label", t.label, ref, "true"));
    return Tenants.upstreamFormat("container", name, "{{.Image}}");
  }

  @Test
  void tag_userTagsAnotherImageAsASharedName_othersStillRunTheShared() {
    String hers = commit(t.alice, t.imageRef("alice-made"));
    Tenants.assertOk(t.as(t.alice, "tag", hers, shared));
    assertThat(Tenants.upstreamFormat("image", shared, "{{.Id}}")).isEqualTo(sharedId);
    assertThat(idAs(t.bob, shared)).isEqualTo(sharedId);
    assertThat(runsAs(t.bob, shared))
        .as("bob runs the shared image, not alice's")
        .isEqualTo(sharedId);
    assertThat(idAs(t.alice, shared)).as("alice's own name comes first for her").isEqualTo(hers);
    assertThat(runsAs(t.alice, shared)).isEqualTo(hers);
  }

  @Test
  void commit_toASharedName_staysTheCommittersAndOthersKeepTheShared() {
    String hers = commit(t.alice, shared);
    assertThat(hers).isNotEqualTo(sharedId);
    assertThat(Tenants.upstreamFormat("image", shared, "{{.Id}}")).isEqualTo(sharedId);
    assertThat(runsAs(t.bob, shared)).isEqualTo(sharedId);
    Proc.Result ps = t.as(t.alice, "image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");
    assertThat(ps.stdout()).as(ps.describe()).contains(shared + " " + hers.substring(7, 19));
  }

  @Test
  void referenceByNameOrId_toAnotherUsersImage_isNotFoundForEveryCommand() {
    String ref = t.imageRef("alice-private");
    String id = commit(t.alice, ref);
    String daemonName = Tenants.daemonImage(t.alice, ref);
    for (String r : List.of(ref, id, id.substring(7, 19), daemonName)) {
      for (List<String> cmd :
          List.of(
              List.of("image", "inspect", r),
              List.of("history", r),
              List.of("save", "-o", "/tmp/" + ItEnvironment.uniqueName("bob-save") + ".tar", r),
              List.of("tag", r, t.imageRef("bob-copy")),
              List.of("rmi", r),
              List.of("run", "--rm", "--pull", "never", r, "true"))) {
        Proc.Result res = t.as(t.bob, Tenants.QUICK, cmd);
        assertThat(res.exitCode()).as(res.describe()).isNotZero();
        assertThat(res.stderr().toLowerCase())
            .as(res.describe())
            .containsAnyOf("no such image", "berth.invalid");
      }
    }
    assertThat(Tenants.upstreamFormat("image", daemonName, "{{.Id}}")).isEqualTo(id);
    Proc.Result list =
        t.as(
            t.bob,
            "image",
            "ls",
            "-a",
            "--no-trunc",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.ID}}");
    assertThat(list.stdout())
        .as(list.describe())
        .doesNotContain(id)
        .doesNotContain(ref)
        .doesNotContain("berth.invalid");
    Proc.Result df = t.as(t.bob, "system", "df", "-v", "--format", "{{json .}}");
    assertThat(df.stdout())
        .as(df.describe())
        .doesNotContain(id.substring(7, 19))
        .doesNotContain("berth.invalid");
    Proc.Result own =
        t.as(t.alice, "image", "ls", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}");
    assertThat(own.stdout())
        .as(own.describe())
        .contains(ref + " " + id)
        .doesNotContain("berth.invalid");
  }

  @Test
  void sameTagName_twoUsers_eachKeepsAndRemovesTheirOwn() {
    String ref = t.imageRef("both");
    String hers = commit(t.alice, ref);
    String his = commit(t.bob, ref);
    assertThat(idAs(t.alice, ref)).isEqualTo(hers);
    assertThat(idAs(t.bob, ref)).isEqualTo(his);
    Proc.Result rmi = t.as(t.bob, "rmi", ref);
    assertThat(rmi.stdout()).as(rmi.describe()).contains("Untagged: " + ref);
    assertThat(idAs(t.alice, ref)).isEqualTo(hers);
    Proc.Result gone = t.as(t.bob, "image", "inspect", ref);
    assertThat(gone.exitCode()).as(gone.describe()).isNotZero();
  }

  @Test
  void rmi_ofTheSharedName_isForbiddenForUsers_andTheSharedStays() {
    Proc.Result r = t.as(t.alice, "rmi", shared);
    assertThat(r.stderr()).as(r.describe()).contains("is not yours");
    assertThat(Tenants.upstreamFormat("image", shared, "{{.Id}}")).isEqualTo(sharedId);
  }

  @Test
  void reservedNamespace_cannotBeWrittenOrPulledByUsers() {
    String target = Tenants.daemonImage(t.alice, t.imageRef("forged"));
    Proc.Result tag = t.as(t.bob, "tag", t.image, target);
    assertThat(tag.stderr()).as(tag.describe()).contains("are berth's");
    Proc.Result pull = t.as(t.bob, Tenants.QUICK, List.of("pull", target));
    assertThat(pull.exitCode()).as(pull.describe()).isNotZero();
    assertThat(Tenants.existsUpstream("image", target)).isFalse();
  }

  @Test
  void import_overASharedName_staysTheImportersAndOthersKeepTheShared() throws IOException {
    Path fs = Files.createTempFile(Path.of("/tmp"), "it-import-", ".tar");
    try {
      Files.write(fs, Tar.singleFile("hello", "hi\n".getBytes(StandardCharsets.UTF_8), 0644, 0, 0));
      Files.setPosixFilePermissions(fs, PosixFilePermissions.fromString("rw-r--r--"));
      Tenants.assertOk(t.as(t.alice, "import", fs.toString(), shared));
      String mine = idAs(t.alice, shared);
      assertThat(mine).isNotEqualTo(sharedId);
      assertThat(Tenants.upstreamFormat("image", shared, "{{.Id}}")).isEqualTo(sharedId);
      assertThat(idAs(t.bob, shared)).isEqualTo(sharedId);
      assertThat(Tenants.upstreamFormat("image", Tenants.daemonImage(t.alice, shared), "{{.Id}}"))
          .isEqualTo(mine);
      Tenants.assertOk(t.as(t.alice, "rmi", shared));
    } finally {
      Files.deleteIfExists(fs);
    }
  }

  @Test
  void psAndInspect_showTheImageAsItsOwnerNamedIt_rootSeesTheDaemonsName() {
    String ref = t.imageRef("shown");
    commit(t.alice, ref);
    String name = ItEnvironment.uniqueName("alice-shown");
    Tenants.assertOk(t.as(t.alice, "create", "--name", name, "--label", t.label, ref, "true"));
    Proc.Result ps =
        t.as(t.alice, "ps", "-a", "--filter", "name=" + name, "--format", "{{.Image}}");
    assertThat(ps.stdout().strip()).as(ps.describe()).isEqualTo(ref);
    Proc.Result inspect =
        t.as(t.alice, "container", "inspect", "--format", "{{.Config.Image}}", name);
    assertThat(inspect.stdout().strip()).as(inspect.describe()).isEqualTo(ref);
    Proc.Result root =
        t.as(
            t.root,
            "container",
            "inspect",
            "--format",
            "{{.Config.Image}}",
            "u" + t.alice.uid() + "_" + name); // root sees the daemon's names (issue 13)
    assertThat(root.stdout().strip())
        .as(root.describe())
        .isEqualTo(Tenants.daemonImage(t.alice, ref));
  }

  /**
   * {@code docker commit --change} is held to {@code docker import --change}'s instructions: a
   * trigger for later builds, a build step, a parser directive, two instructions in one, berth's
   * owner label. Nothing is made.
   */
  @Test
  void commit_unsafeChange_refused() {
    String container = t.aliceOwns.container(Kind.RUNNING).name();
    for (String change :
        List.of(
            "ONBUILD RUN id",
            "RUN id",
            "# syntax=docker/dockerfile:1",
            "ENV A=b\nONBUILD RUN id",
            "LABEL dev.berth.owner.uid=" + t.bob.uid())) {
      String ref = t.imageRef("unsafe");
      Proc.Result r = t.as(t.alice, "commit", "--change", change, container, ref);
      assertThat(r.exitCode()).as(r.describe()).isNotZero();
      assertThat(r.stderr()).as(r.describe()).contains("berth: docker commit --change '");
      assertThat(Tenants.existsUpstream("image", Tenants.daemonImage(t.alice, ref)))
          .as("nothing committed for %s", change)
          .isFalse();
    }
  }

  /** Every instruction a commit may apply reaches the image's config. */
  @Test
  void commit_safeChanges_applied() {
    String ref = t.imageRef("safe");
    Tenants.assertOk(
        t.as(
            t.alice,
            "commit",
            "--change",
            "ENV GREETING=hi",
            "--change",
            "LABEL org.example.role=web",
            "--change",
            "WORKDIR /srv",
            "--change",
            "ENTRYPOINT [\"/bin/sh\", \"-c\"]",
            "--change",
            "CMD [\"echo $GREETING\"]",
            "--change",
            "EXPOSE 8080",
            "--change",
            "USER 0",
            "--change",
            "VOLUME /data",
            t.aliceOwns.container(Kind.RUNNING).name(),
            ref));
    String config =
        Tenants.upstreamFormat("image", Tenants.daemonImage(t.alice, ref), "{{json .Config}}");
    assertThat(config)
        .contains("\"GREETING=hi\"")
        .contains("\"org.example.role\":\"web\"")
        .contains("\"WorkingDir\":\"/srv\"")
        .contains("\"Entrypoint\":[\"/bin/sh\",\"-c\"]")
        .contains("\"Cmd\":[\"echo $GREETING\"]")
        .contains("\"8080/tcp\"")
        .contains("\"User\":\"0\"")
        .contains("\"/data\"");
  }
}
