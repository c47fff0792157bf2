package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way out of the container sandbox that {@code docker run} offers is refused with a 403 whose
 * message names the offending option, so the CLI prints {@code Error response from daemon: berth:
 * <option>: ...}, and nothing is created.
 */
class DenialsIT extends ItBase {

  static Stream<Arguments> forbiddenOptions() {
    // Evaluated before each test's environment check: never skip or fail from here.
    String upstream =
        ItEnvironment.problem() == null
            ? ItEnvironment.upstreamSocket().toString()
            : "/nonexistent/docker.sock";
    return Stream.of(
        Arguments.of("--privileged", "HostConfig.Privileged"),
        Arguments.of("-v /:/host", "-v /:/host"),
        Arguments.of("-v /var/run/docker.sock:/s", "-v /var/run/docker.sock:/s"),
        Arguments.of("-v " + upstream + ":/s", "-v " + upstream + ":/s"),
        Arguments.of("--pid host", "--pid"),
        Arguments.of("--ipc host", "--ipc"),
        Arguments.of("--uts host", "--uts"),
        Arguments.of("--userns host", "--userns"),
        Arguments.of("--network host", "--network host"),
        Arguments.of("--cap-add SYS_ADMIN", "--cap-add"),
        Arguments.of("--cap-add ALL", "--cap-add"),
        Arguments.of("--device /dev/sda", "--device"),
        Arguments.of("--device /dev/null", "--device"),
        Arguments.of("--security-opt seccomp=unconfined", "--security-opt seccomp=unconfined"),
        Arguments.of("--security-opt apparmor=unconfined", "--security-opt apparmor=unconfined"),
        Arguments.of("--user 0", "--user 0"),
        Arguments.of("--user root", "--user root"),
        Arguments.of("--user 0:0", "--user 0:0"),
        Arguments.of("--group-add 0", "--group-add 0"),
        Arguments.of("--mount type=bind,source=/,target=/h", "--mount type=bind"),
        Arguments.of("--mount type=bind,source=/etc,target=/h", "host path /etc"),
        Arguments.of("--tmpfs /proc", "--tmpfs /proc"),
        Arguments.of("-v /home/bob:/b", "-v /home/bob:/b"),
        Arguments.of("--sysctl kernel.shm_rmid_forced=1", "--sysctl"),
        // HC-07: nested mount targets (the runc mount-race shape)
        Arguments.of("--tmpfs /d --tmpfs /d/x", "/d and /d/x nest"),
        Arguments.of("-v /d -v " + "/d//x/", "nest"),
        // HC-27: sizes and ulimits above the role's limits
        Arguments.of("--shm-size 2g", "--shm-size"),
        Arguments.of("--tmpfs /t:size=2g", "--tmpfs /t"),
        Arguments.of("--mount type=tmpfs,target=/t,tmpfs-size=4294967296", "type=tmpfs"),
        Arguments.of("--ulimit rtprio=99", "--ulimit rtprio"),
        Arguments.of("--ulimit nofile=4096:2000000", "--ulimit nofile"));
  }

  @ParameterizedTest(name = "[{index}] docker run {0}")
  @MethodSource("forbiddenOptions")
  void run_asAliceWithForbiddenOption_isDeniedNamingTheOption(String options, String field) {
    String name = container("deny");
    List<String> args = new ArrayList<>(List.of("run", "--rm", "--name", name));
    args.addAll(List.of(options.split(" ")));
    args.addAll(List.of(image, "id"));
    Proc.Result r = docker.run(alice, args.toArray(String[]::new));

    assertThat(r.timedOut()).as(r.describe()).isFalse();
    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.stderr())
        .as(r.describe())
        .contains("Error response from daemon: berth:")
        .contains(field);
    assertThat(r.stdout()).as(r.describe()).doesNotContain("uid=");
    assertThat(existsUpstream(name)).as("container %s must not have been created", name).isFalse();
  }
}
