package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import org.junit.jupiter.api.Test;

/** Containers run as the caller, whatever the image says: the core promise of berth. */
class RunAsCallerIT extends ItBase {

  @Test
  void run_asAlice_runsAsAlicesUidAndGid() {
    assertRunsAs(alice);
  }

  @Test
  void run_asBob_runsAsBobsUidAndGid() {
    assertRunsAs(bob);
  }

  private void assertRunsAs(UnixUser user) {
    Proc.Result r = docker.run(user, "run", "--rm", "--name", container("id"), image, "id");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout())
        .as(r.describe())
        .startsWith(user.idPrefix() + " ")
        .doesNotContain("uid=0");
  }

  @Test
  void create_asAlice_isRewrittenToHerIdsWithoutPrivileges() {
    String name = container("rewrite");
    Proc.Result r = docker.run(alice, "create", "--name", name, image, "true");
    assertThat(r.exitCode()).as(r.describe()).isZero();

    Proc.Result inspect =
        DockerCli.upstream(
            "inspect",
            "--format",
            "{{.Config.User}}|{{json .HostConfig.CapDrop}}|{{json .HostConfig.SecurityOpt}}"
                + "|{{.HostConfig.Privileged}}|{{index .Config.Labels \"dev.berth.owner.uid\"}}",
            Tenants.upstreamName("container", name));
    assertThat(inspect.exitCode()).as(inspect.describe()).isZero();
    assertThat(inspect.stdout().strip())
        .as(inspect.describe())
        .isEqualTo(
            alice.uid()
                + ":"
                + alice.gid()
                + "|[\"ALL\"]|[\"no-new-privileges\"]|false|"
                + alice.uid());
  }

  @Test
  void run_asAliceWithHerOwnUser_isAllowed() {
    Proc.Result r =
        docker.run(
            alice,
            "run",
            "--rm",
            "--name",
            container("self"),
            "--user",
            alice.uid() + ":" + alice.gid(),
            image,
            "id");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout()).as(r.describe()).startsWith(alice.idPrefix() + " ");
  }

  @Test
  void run_asAliceWithUnsizedTmpfsAndShm_getsTheRolesDefaultSizes() {
    // HC-27: an unsized tmpfs could fill half the host's RAM; the default policy gives 64 MiB
    Proc.Result r =
        docker.run(
            alice,
            "run",
            "--rm",
            "--name",
            container("tmpfs"),
            "--tmpfs",
            "/t",
            "--ulimit",
            "nofile=1024:2048",
            image,
            "sh",
            "-c",
            "df -k /t /dev/shm | tail -n 2 | awk '{print $2}'; ulimit -n");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout().strip().split("\\s+"))
        .as(r.describe())
        .containsExactly("65536", "65536", "1024");
  }

  @Test
  void run_asAliceWithBindOfHerHome_isAllowedAndSeesHerFiles() {
    Proc.Result r =
        docker.run(
            alice,
            "run",
            "--rm",
            "--name",
            container("home"),
            "-v",
            alice.home() + ":/h:ro",
            image,
            "sh",
            "-c",
            "test -r /h/.profile && echo readable");
    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.stdout()).as(r.describe()).contains("readable");
  }
}
