package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ALICE_CONTAINER;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code docker commit --change}: the same instructions as {@code docker import --change} ({@code
 * ImageArchiveRulesTest}), judged by the same rule ({@code ImageChanges}).
 */
class ImageChangesTest {
  private static String changes(String... changes) {
    StringBuilder out = new StringBuilder();
    for (String c : changes) {
      out.append("&changes=").append(URLEncoder.encode(c, StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  private static Decision commit(String query) {
    return Fixtures.decide(ALICE, "POST", "/commit?container=abc&repo=box&tag=1" + query, "{}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ONBUILD RUN id",
        "onbuild run id",
        "RUN id",
        "HEALTHCHECK CMD id",
        "STOPSIGNAL KILL",
        "# escape=`",
        "# syntax=docker/dockerfile:1",
        "ENV A=b\nONBUILD RUN id",
        "ENV A=b\rRUN id",
        "ENV A=b \\",
        "ENV A=b `",
        "RUN\tid",
        "LABEL\tdev.berth.owner.uid=1002",
        "LABEL dev.berth.owner.uid=1002",
        "LABEL \"DEV.BERTH.owner.uid\"=1002",
        "LABEL dev.\"berth\".owner.uid=1002",
        "LABEL dev\\.berth.owner.uid=1002",
        "LABEL $K=1002",
        "LABEL ${K}=1002",
        "FROM scratch",
        "COPY / /",
        "uſer 0",
        ""
      })
  void commit_unsafeChange_refused(String change) {
    Decision d = commit(changes("ENV A=b", change));
    assertThat(d)
        .isInstanceOfSatisfying(
            Decision.Deny.class,
            deny -> {
              assertThat(deny.status()).isEqualTo(Decision.Status.FORBIDDEN);
              assertThat(deny.reason()).startsWith("berth: docker commit --change '");
            });
  }

  @Test
  void commit_safeChanges_forwardedAsSentOfTheOwnContainerIntoTheOwnNamespace() {
    String[] safe = {
      "ENV A=b",
      "LABEL org.example=1",
      "WORKDIR /app",
      "CMD [\"/bin/sh\"]",
      "ENTRYPOINT [\"/x\"]",
      "EXPOSE 8080",
      "USER 0",
      "VOLUME /data",
      "env lower=case",
      "ENV\tTAB=separated",
      "CMD"
    };
    Decision d = commit(changes(safe));
    assertThat(d)
        .isInstanceOfSatisfying(
            Decision.Allow.class,
            a -> {
              assertThat(a.forward().query().getAll("changes")).containsExactly(safe);
              assertThat(a.forward().query().get("container")).hasValue(ALICE_CONTAINER);
              assertThat(a.forward().query().get("repo"))
                  .hasValue("berth.invalid/u1001/docker.io/library/box");
            });
  }

  @Test
  void commit_refusal_namesTheInstructionsAllowed() {
    assertThat(((Decision.Deny) commit(changes("ONBUILD RUN id"))).reason())
        .isEqualTo(
            "berth: docker commit --change 'ONBUILD RUN id': only CMD, ENTRYPOINT, ENV, EXPOSE,"
                + " LABEL, USER, VOLUME, WORKDIR are allowed (a container of the image runs as you"
                + " whatever it says)");
  }
}
