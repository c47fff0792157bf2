package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: the images a classic build's Dockerfile names ({@code FROM}, {@code COPY --from}, base
 * images' ONBUILD triggers, {@code ADD} of URLs) are judged for the caller, with the stock CLI
 * ({@code DOCKER_BUILDKIT=0}) as alice and bob through berth, on both engines.
 */
class BuildFromIT extends ItBase {
  private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(120);

  private Path context;
  private final List<String> images = new ArrayList<>();
  private String bobsTag;
  private String bobsId;

  @BeforeEach
  void setUp() throws IOException {
    context =
        Files.createTempDirectory(
            "berth-buildfrom-it",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    // bob's private image: made by a build of his, with a secret in it
    bobsTag = tag("bobsecret");
    write("Dockerfile", "FROM " + image + "\nRUN echo bobs-secret > /secret\n");
    Proc.Result made = classicBuild(bob, "-t", bobsTag);
    assertThat(made.ok()).as(made.describe()).isTrue();
    Proc.Result id =
        DockerCli.upstream(
            "image", "inspect", "--format", "{{.Id}}", Tenants.daemonImage(bob, bobsTag));
    assertThat(id.ok()).as(id.describe()).isTrue();
    bobsId = id.stdout().strip();
  }

  @AfterEach
  void cleanUp() throws IOException {
    for (String i : images) {
      DockerCli.upstream("rmi", "-f", Tenants.daemonImage(alice, i));
      DockerCli.upstream("rmi", "-f", Tenants.daemonImage(bob, i));
    }
    try (var files = Files.walk(context)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private void write(String name, String text) {
    try {
      Path f = context.resolve(name);
      Files.writeString(f, text);
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String tag(String hint) {
    String t = ItEnvironment.uniqueName(hint) + ":1";
    images.add(t);
    return t;
  }

  private Proc.Result classicBuild(UnixUser user, String... args) {
    return classicBuildWithInput(user, null, args);
  }

  private Proc.Result classicBuildWithInput(UnixUser user, byte[] stdin, String... args) {
    List<String> cmd =
        new ArrayList<>(List.of("DOCKER_BUILDKIT=0", ItEnvironment.dockerCli(), "build"));
    cmd.addAll(List.of(args));
    cmd.add(context.toString());
    return Proc.run(docker.asUser(user, cmd), stdin, BUILD_TIMEOUT);
  }

  private static void assertRefused(Proc.Result r, String... parts) {
    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr()).as(r.describe()).contains("berth:").contains(parts);
  }

  @Test
  void build_fromOtherUsersImageById_refused() {
    String hex = bobsId.substring("sha256:".length());
    for (String ref :
        List.of(bobsId, hex, hex.substring(0, 12), Tenants.daemonImage(bob, bobsTag))) {
      write("Dockerfile", "FROM " + ref + "\nRUN cat /secret\n");
      Proc.Result r = classicBuild(alice, "-t", tag("stolen"));
      assertRefused(r, "No such image: " + ref);
      assertThat(r.stdout()).as(r.describe()).doesNotContain("bobs-secret");
    }
  }

  @Test
  void build_copyFromOtherUsersImage_refused() {
    for (String ref : List.of(bobsId, Tenants.daemonImage(bob, bobsTag))) {
      write("Dockerfile", "FROM " + image + "\nCOPY --from=" + ref + " /secret /stolen\n");
      assertRefused(classicBuild(alice, "-t", tag("copied")), "No such image: " + ref);
    }
  }

  @Test
  void build_fromOwnPrivateTag_works() {
    String mine = tag("app");
    write("Dockerfile", "FROM " + image + "\nRUN echo alices-own > /mine\n");
    Proc.Result base = classicBuild(alice, "-t", mine);
    assertThat(base.ok()).as(base.describe()).isTrue();
    write("Dockerfile", "FROM " + mine + "\nRUN cat /mine\n");
    Proc.Result r = classicBuild(alice, "-t", tag("onmine"));
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.stdout()).as(r.describe()).contains("alices-own");
    // bob's build of the same name is not alice's image
    Proc.Result bobs = classicBuild(bob, "-t", tag("bobonmine"));
    assertThat(bobs.exitCode()).as(bobs.describe()).isNotZero();
  }

  @Test
  void build_fromSharedImageMultiStage_works() {
    write(
        "Dockerfile",
        "FROM "
            + image
            + " AS Builder\nRUN echo staged > /x\nFROM "
            + image
            + "\nCOPY --from=builder /x /y\nCOPY --from=0 /x /z\nRUN cat /y /z\n");
    Proc.Result r = classicBuild(alice, "-t", tag("multi"));
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.stdout()).contains("staged");
  }

  @Test
  void build_argBaseWithBuildArg_works() {
    write("Dockerfile", "ARG BASE=nothing-here-berth:0\nFROM ${BASE}\nRUN echo from-arg\n");
    Proc.Result r = classicBuild(alice, "--build-arg", "BASE=" + image, "-t", tag("arg"));
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.stdout()).contains("from-arg");
    Proc.Result bobs =
        classicBuild(
            alice, "--build-arg", "BASE=" + Tenants.daemonImage(bob, bobsTag), "-t", tag("arg2"));
    assertRefused(bobs, "No such image");
  }

  @Test
  void build_customDockerfileNameAndStdin_work() {
    write("Other.dockerfile", "FROM " + image + "\nRUN echo custom-name\n");
    Proc.Result r = classicBuild(alice, "-f", context.resolve("Other.dockerfile").toString());
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.stdout()).contains("custom-name");
    byte[] stdin =
        ("FROM " + Tenants.daemonImage(bob, bobsTag) + "\n").getBytes(StandardCharsets.UTF_8);
    assertRefused(classicBuildWithInput(alice, stdin, "-f", "-"), "No such image");
    byte[] fine = ("FROM " + image + "\nRUN echo from-stdin\n").getBytes(StandardCharsets.UTF_8);
    Proc.Result s = classicBuildWithInput(alice, fine, "-f", "-");
    assertThat(s.ok()).as(s.describe()).isTrue();
    assertThat(s.stdout()).contains("from-stdin");
  }

  @Test
  void build_dockerignoreListingTheDockerfile_worksAndLeavesNoBerthFile() {
    write(".dockerignore", "Dockerfile\n");
    write("data.txt", "hello\n");
    write("Dockerfile", "FROM " + image + "\nCOPY . /ctx\nRUN ls -a /ctx\n");
    Proc.Result r = classicBuild(alice, "-t", tag("ignore"));
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.stdout()).contains("data.txt").doesNotContain(".berth-dockerfile");
  }

  @Test
  void build_compressedContext_works() {
    write("Dockerfile", "FROM " + image + "\nRUN echo compressed\n");
    Proc.Result r = classicBuild(alice, "--compress", "-t", tag("gz"));
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.stdout()).contains("compressed");
  }

  @Test
  void build_onbuildTriggerReadingOthersImage_refused() {
    String base = tag("onbuildbase");
    write(
        "Dockerfile",
        "FROM "
            + image
            + "\nONBUILD COPY --from="
            + Tenants.daemonImage(bob, bobsTag)
            + " /secret /stolen\n");
    Proc.Result made = classicBuild(alice, "-t", base);
    assertThat(made.ok()).as(made.describe()).isTrue();
    write("Dockerfile", "FROM " + base + "\nRUN cat /stolen\n");
    assertRefused(classicBuild(alice, "-t", tag("triggered")), "ONBUILD trigger");
  }

  @Test
  void build_addUrl_refused() {
    write("Dockerfile", "FROM " + image + "\nADD http://127.0.0.1:9/x /x\n");
    assertRefused(classicBuild(alice, "-t", tag("url")), "fetch it inside a RUN step");
  }
}
