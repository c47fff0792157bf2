package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** docker attach, wait, stop and rm through berth. */
class AttachIT extends ItBase {

  /**
   * Keystrokes reach the container and its output comes back. stdin stays open: with {@code run -i}
   * (not {@code --attach}), closing stdin makes the daemon end the attach at once, racing the echo;
   * and docker attach ignores SIGTERM, so it is killed with SIGKILL.
   */
  @Test
  void attach_toInteractiveCat_relaysStdinAndStdout() {
    String name = container("attach");
    Proc.Result run = docker.run(alice, "run", "-d", "-i", "--name", name, image, "cat");
    assertThat(run.exitCode()).as(run.describe()).isZero();

    try (Proc.Running attach = docker.start(alice, "attach", "--sig-proxy=false", name)) {
      // The attach must be established before typing: wait for the container to be attached
      // (docker attach prints nothing by itself), by retrying the write until the echo arrives.
      boolean echoed = false;
      for (int i = 0; i < 10 && !echoed; i++) {
        attach.write("hello\n");
        echoed = attach.awaitStdout("hello", Duration.ofSeconds(2));
      }
      assertThat(echoed)
          .as(
              "no echo through docker attach; stdout: %s stderr: %s",
              attach.stdout(), attach.stderr())
          .isTrue();
      assertThat(attach.isAlive()).as("attach ended early: %s", attach.stderr()).isTrue();
    }
    Proc.Result stillRunning =
        DockerCli.upstream(
            "inspect", "--format", "{{.State.Running}}", Tenants.upstreamName("container", name));
    assertThat(stillRunning.stdout().strip())
        .as(
            "killing the attach client must not stop the " + "container: %s",
            stillRunning.describe())
        .isEqualTo("true");
  }

  @Test
  void attach_containerExits_attachExitsWithItsStatus() {
    String name = container("attach-exit");
    Proc.Result run =
        docker.run(
            alice,
            "run",
            "-d",
            "-i",
            "--name",
            name,
            image,
            "sh",
            "-c",
            "read x; echo got:$x; exit 3");
    assertThat(run.exitCode()).as(run.describe()).isZero();

    try (Proc.Running attach = docker.start(alice, "attach", name)) {
      boolean answered = false;
      for (int i = 0; i < 10 && !answered; i++) {
        attach.write("ping\n");
        answered = attach.awaitStdout("got:ping", Duration.ofSeconds(2));
      }
      assertThat(answered).as("stdout: %s stderr: %s", attach.stdout(), attach.stderr()).isTrue();
      Proc.Result r = attach.waitFor(Duration.ofSeconds(20));
      assertThat(r.timedOut())
          .as("docker attach did not exit after the container did: %s", r.describe())
          .isFalse();
      assertThat(r.exitCode()).as(r.describe()).isEqualTo(3);
    }
  }

  @Test
  void wait_untilStop_returnsExitCodeThenRmRemoves() {
    String name = container("wait");
    Proc.Result run = docker.run(alice, "run", "-d", "-i", "--name", name, image, "cat");
    assertThat(run.exitCode()).as(run.describe()).isZero();

    try (Proc.Running wait = docker.start(alice, "wait", name)) {
      // docker wait must block while the container runs.
      assertThat(wait.awaitStdout("\n", Duration.ofSeconds(2)))
          .as("docker wait returned early: " + "%s %s", wait.stdout(), wait.stderr())
          .isFalse();
      assertThat(wait.isAlive()).isTrue();

      Proc.Result stop = docker.run(alice, "stop", "-t", "1", name);
      assertThat(stop.exitCode()).as(stop.describe()).isZero();
      assertThat(stop.stdout().strip()).isEqualTo(name);

      Proc.Result w = wait.waitFor(Duration.ofSeconds(20));
      assertThat(w.timedOut())
          .as("docker wait did not return after docker stop: %s", w.describe())
          .isFalse();
      assertThat(w.exitCode()).as(w.describe()).isZero();
      // cat as PID 1 ignores SIGTERM, so stop ends it with SIGKILL after 1 s: 137.
      assertThat(w.stdout().strip()).as(w.describe()).isEqualTo("137");
    }

    Proc.Result rm = docker.run(alice, "rm", name);
    assertThat(rm.exitCode()).as(rm.describe()).isZero();
    assertThat(existsUpstream(name))
        .as("container %s still exists after docker rm", name)
        .isFalse();
  }
}
