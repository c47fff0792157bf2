package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.BOB;
import static dev.berth.policy.Fixtures.ENGINE;
import static dev.berth.policy.Fixtures.ROOT;
import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision.FollowUp;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code docker import} and {@code docker load} as a user (issue 13): private, judged, claimed. */
class ImageArchiveRulesTest {
  private static final String ALICE_IMPORTED = "sha256:" + "d".repeat(64);
  private static final String ALICE_BOX = "berth.invalid/u1001/docker.io/library/box:1";

  private static Decision decide(FakeObjects objects, Principal who, String target) {
    return Fixtures.decide(ENGINE, objects, who, "POST", target, null);
  }

  private static Decision decide(Principal who, String target) {
    return decide(Fixtures.objects(), who, target);
  }

  private static Decision.Allow allowed(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static String refused(Decision d) {
    assertThat(d).isInstanceOf(Decision.Deny.class);
    return ((Decision.Deny) d).reason();
  }

  private static String changes(String... changes) {
    StringBuilder out = new StringBuilder();
    for (String c : changes) {
      out.append("&changes=").append(URLEncoder.encode(c, StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"python&tag=3.12", "python%3A3.12", "docker.io%2Flibrary%2Fpython%3A3.12"})
  void import_overSharedName_staysPrivate(String repo) {
    Decision.Allow a = allowed(decide(ALICE, "/images/create?fromSrc=-&repo=" + repo));
    assertThat(a.forward().query().get("repo"))
        .hasValue("berth.invalid/u1001/docker.io/library/python");
    assertThat(a.forward().query().get("tag")).hasValue("3.12");
    assertThat(a.followUp()).isInstanceOf(FollowUp.ClaimLoaded.class);
  }

  @Test
  void import_withoutName_claimedFromTheAnswer() throws Exception {
    Decision.Allow a = allowed(decide(ALICE, "/images/create?fromSrc=-"));
    assertThat(a.forward().query().has("repo")).isFalse();
    FollowUp.ClaimLoaded c = (FollowUp.ClaimLoaded) a.followUp();
    assertThat(c.owner().uid()).isEqualTo(1001);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data",
        "file%3A%2F%2F%2Fetc%2Fshadow",
        "https%3A%2F%2Fexample.com%2Frootfs.tar",
        ""
      })
  void import_urlSource_refused(String from) {
    assertThat(refused(decide(ALICE, "/images/create?fromSrc=" + from + "&repo=x")))
        .contains("docker import from a URL");
  }

  @Test
  void import_fromImageAndFromSrcTogether_refused() {
    assertThat(refused(decide(ALICE, "/images/create?fromSrc=-&fromImage=busybox&tag=1")))
        .contains("not both");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "berth.invalid%2Fu1002%2Fdocker.io%2Flibrary%2Fpython&tag=3.12",
        "BERTH.INVALID%2Fu1002%2Fdocker.io%2Flibrary%2Fpython"
      })
  void import_otherUsersNamespace_refused(String repo) {
    assertThat(refused(decide(ALICE, "/images/create?fromSrc=-&repo=" + repo)))
        .contains("berth.invalid");
  }

  @Test
  void import_safeChanges_allowedAsSent() {
    String q =
        changes(
            "ENV A=b",
            "LABEL org.example=1",
            "WORKDIR /app",
            "CMD [\"/bin/sh\"]",
            "ENTRYPOINT [\"/x\"]",
            "EXPOSE 8080",
            "USER 0",
            "VOLUME /data",
            "env lower=case");
    Decision.Allow a = allowed(decide(ALICE, "/images/create?fromSrc=-&repo=box" + q));
    assertThat(a.forward().query().getAll("changes")).hasSize(9).contains("USER 0");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ONBUILD RUN id",
        "RUN id",
        "HEALTHCHECK CMD id",
        "# escape=`",
        "ENV A=b\nONBUILD RUN id",
        "ENV A=b \\",
        "LABEL dev.berth.owner.uid=1002",
        "LABEL \"DEV.BERTH.owner.uid\"=1002",
        "LABEL dev.\"berth\".owner.uid=1002",
        "LABEL $K=1002",
        "FROM scratch"
      })
  void import_unsafeChange_refused(String change) {
    assertThat(refused(decide(ALICE, "/images/create?fromSrc=-&repo=box" + changes(change))))
        .contains("docker import --change");
  }

  @Test
  void import_importedImage_othersCannotSeeIt() {
    FakeObjects host =
        Fixtures.objects()
            .image(ALICE_IMPORTED, FakeObjects.owner(1001), Map.of(ALICE_BOX, Optional.empty()));
    assertThat(
            ((Decision.Deny) Fixtures.decide(ENGINE, host, BOB, "GET", "/images/box:1/json", null))
                .status())
        .isEqualTo(Decision.Status.NOT_FOUND);
    assertThat(
            ((Decision.Deny)
                    Fixtures.decide(
                        ENGINE, host, BOB, "GET", "/images/" + ALICE_IMPORTED + "/json", null))
                .status())
        .isEqualTo(Decision.Status.NOT_FOUND);
    assertThat(
            allowed(Fixtures.decide(ENGINE, host, ALICE, "GET", "/images/box:1/json", null))
                .forward()
                .path())
        .isEqualTo("/images/" + ALICE_BOX + "/json");
  }

  @Test
  void load_asUser_archiveRewrittenIntoOwnNamespaceAndClaimed() throws Exception {
    Decision.Allow a = allowed(decide(ALICE, "/images/load?quiet=1"));
    Body.Stream s = (Body.Stream) a.forward().body();
    assertThat(s.imageNames()).contains(new Body.ImageNames(1001));
    assertThat(s.tarOwner()).contains(new Body.TarOwner(1001, 1001));
    assertThat(s.keepsLength()).isFalse();
    assertThat(a.followUp()).isInstanceOf(FollowUp.ClaimLoaded.class);
    // the answer's lines are renamed by the progress mapping every image stream gets
    UnaryOperator<String> progress = requireNonNull(a.answerNames().progress());
    assertThat(progress.apply("Loaded image: " + ALICE_BOX + "\n"))
        .isEqualTo("Loaded image: box:1\n");
  }

  @Test
  void load_asAdministrator_streamAsSent() {
    Decision.Allow a = allowed(decide(ROOT, "/images/load"));
    assertThat(((Body.Stream) a.forward().body()).keepsLength()).isTrue();
  }
}
