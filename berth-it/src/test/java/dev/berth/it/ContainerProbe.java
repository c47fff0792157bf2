package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.it.Tenants.Container;
import dev.berth.it.Tenants.Estate;
import dev.berth.it.Tenants.Kind;
import dev.berth.it.Tenants.Ref;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One request that names a container, for the isolation matrix (issue #5): refused with 404 {@code
 * No such container: <ref>} to a user who does not own the container, leaving it exactly as it was;
 * working for its owner and for root.
 *
 * <p>Arguments may hold placeholders: {@code {c}} the container reference, {@code {name}} a
 * container name nobody uses, {@code {image}} an image reference nobody uses, {@code {file}} a host
 * file anyone may read, {@code {net}} a network the actor may use. Expected output may hold {@code
 * {owner}} (the owner's name), {@code {uid}} (the owner's {@code uid=U gid=G}) and {@code {id}}
 * (the container's id).
 */
sealed interface ContainerProbe {
  String MISSING = "Error response from daemon: berth: No such container: ";

  /** What the matrix calls it: the docker command or the request. */
  String label();

  /** The state the container must be in. */
  Kind target();

  /** Whether it changes the container when it works, so the owner's runs need a fresh one. */
  boolean changes();

  /** A docker CLI command. */
  record Cli(
      String label, Kind target, boolean changes, List<String> args, String output, String after)
      implements ContainerProbe {
    @Override
    public String toString() {
      return "docker " + label;
    }
  }

  /** A raw request (curl), for what the CLI never sends on its own. */
  record Api(String label, Kind target, String method, String path) implements ContainerProbe {
    @Override
    public boolean changes() {
      return false;
    }

    @Override
    public String toString() {
      return method + " " + label;
    }
  }

  /** {@code docker attach}, refused only: working, it would follow the container forever. */
  record Attach() implements ContainerProbe {
    @Override
    public String label() {
      return "attach";
    }

    @Override
    public Kind target() {
      return Kind.RUNNING;
    }

    @Override
    public boolean changes() {
      return false;
    }

    @Override
    public String toString() {
      return "docker attach";
    }
  }

  /**
   * Every request of the Docker API that names a container and that a user's role may send (the
   * default policy's container actions), one probe each.
   */
  static List<ContainerProbe> all() {
    String exited = "{{.State.Status}}=exited";
    return List.of(
        cli(
            "container inspect",
            Kind.RUNNING,
            false,
            "{id}",
            null,
            "container",
            "inspect",
            "--format",
            "{{.Id}}",
            "{c}"),
        cli("logs", Kind.RUNNING, false, "log-{owner}", null, "logs", "{c}"),
        cli("top", Kind.RUNNING, false, "sleep", null, "top", "{c}"),
        cli(
            "stats",
            Kind.RUNNING,
            false,
            "",
            null,
            "stats",
            "--no-stream",
            "--format",
            "{{.ID}}",
            "{c}"),
        cli("diff", Kind.RUNNING, false, "/tmp/marker", null, "diff", "{c}"),
        cli("export", Kind.RUNNING, false, "bin/busybox", null, "export", "{c}"),
        cli(
            "exec",
            Kind.RUNNING,
            false,
            "{uid}",
            null,
            "exec",
            "{c}",
            "sh",
            "-c",
            "id; touch /tmp/exec-ran"),
        cli(
            "cp (out of the container)",
            Kind.RUNNING,
            false,
            "marker-{owner}",
            null,
            "cp",
            "{c}:/tmp/marker",
            "-"),
        cli(
            "cp (into the container)",
            Kind.RUNNING,
            false,
            "",
            null,
            "cp",
            "{file}",
            "{c}:/tmp/intruder.txt"),
        new Attach(),
        cli(
            "start --attach",
            Kind.CREATED,
            true,
            "started-{owner}",
            null,
            "start",
            "--attach",
            "{c}"),
        cli("start", Kind.CREATED, true, "", null, "start", "{c}"),
        cli("kill", Kind.RUNNING, true, "", exited, "kill", "{c}"),
        cli("stop", Kind.RUNNING, true, "", exited, "stop", "-t", "0", "{c}"),
        cli(
            "restart",
            Kind.RUNNING,
            true,
            "",
            "{{.State.Status}}=running",
            "restart",
            "-t",
            "0",
            "{c}"),
        cli("pause", Kind.RUNNING, true, "", "{{.State.Status}}=paused", "pause", "{c}"),
        cli("unpause", Kind.PAUSED, true, "", "{{.State.Status}}=running", "unpause", "{c}"),
        cli("rename", Kind.CREATED, true, "", "{{.Name}}=/{daemonname}", "rename", "{c}", "{name}"),
        cli(
            "update",
            Kind.RUNNING,
            true,
            "",
            "{{.HostConfig.PidsLimit}}=2000",
            "update",
            "--pids-limit",
            "2000",
            "{c}"),
        cli("wait", Kind.EXITED, false, "3", null, "wait", "{c}"),
        cli("rm", Kind.EXITED, true, "", "gone", "rm", "{c}"),
        cli("rm -f", Kind.RUNNING, true, "", "gone", "rm", "-f", "{c}"),
        cli("commit", Kind.RUNNING, false, "sha256:", null, "commit", "{c}", "{image}"),
        cli("network connect", Kind.RUNNING, true, "", null, "network", "connect", "{net}", "{c}"),
        new Api("/containers/{c}/resize", Kind.RUNNING, "POST", "/containers/{c}/resize?h=24&w=80"),
        new Api(
            "/containers/{c}/archive",
            Kind.RUNNING,
            "HEAD",
            "/containers/{c}/archive?path=/tmp/marker"),
        new Api(
            "/containers/{c}/archive",
            Kind.RUNNING,
            "GET",
            "/containers/{c}/archive?path=/tmp/marker"),
        new Api(
            "/containers/{c}/archive", Kind.RUNNING, "PUT", "/containers/{c}/archive?path=/tmp"));
  }

  private static Cli cli(
      String label, Kind target, boolean changes, String output, String after, String... args) {
    return new Cli(label, target, changes, List.of(args), output, after);
  }

  /**
   * {@code actor} sends this naming {@code victim}'s container by {@code ref}: refused as if the
   * container did not exist, and the container (state, name, limits, networks, files) is unchanged,
   * with no image or container made from it.
   */
  default void assertRefused(Tenants t, UnixUser actor, Estate victim, Ref ref) {
    Container c = victim.container(target());
    String r = ref.of(c);
    String before = Tenants.containerState(c.id());
    Placeholders p = new Placeholders(t, actor, victim, c, r);
    switch (this) {
      case Cli cli -> {
        Proc.Result res = t.as(actor, Tenants.QUICK, p.apply(cli.args()));
        assertThat(res.timedOut()).as(res.describe()).isFalse();
        assertThat(res.stderr()).as(res.describe()).contains(MISSING + r);
        if (!cli.args().equals(List.of("rm", "-f", "{c}"))) {
          // docker rm -f reports "No such container" but exits 0, whoever answers it.
          assertThat(res.exitCode()).as(res.describe()).isNotZero();
        }
        assertThat(res.stdout())
            .as(res.describe())
            .doesNotContain(c.id().substring(0, 12))
            .doesNotContain("log-")
            .doesNotContain("marker-");
        if (cli.args().contains("{image}")) {
          assertThat(
                  Tenants.existsUpstream("image", p.image)
                      || Tenants.existsUpstream("image", Tenants.daemonImage(actor, p.image)))
              .as("committed %s", p.image)
              .isFalse();
        }
        if (cli.args().contains("{name}")) {
          assertThat(Tenants.existsUpstream("container", p.name))
              .as("renamed to %s", p.name)
              .isFalse();
        }
      }
      case Api api -> {
        Tenants.Answer a =
            t.api(
                actor,
                api.method(),
                p.apply(api.path()),
                api.method().equals("PUT") ? p.tar() : null);
        assertThat(a.status()).as(a.describe()).isEqualTo(404);
        if (!api.method().equals("HEAD")) {
          assertThat(a.body())
              .as(a.describe())
              .isEqualTo("{\"message\":\"berth: No such container: " + r + "\"}");
        }
      }
      case Attach _ -> {
        Proc.Result res = t.as(actor, Tenants.QUICK, List.of("attach", "--no-stdin", r));
        assertThat(res.timedOut()).as("attach was let through: %s", res.describe()).isFalse();
        assertThat(res.stderr()).as(res.describe()).contains(MISSING + r);
        assertThat(res.exitCode()).as(res.describe()).isNotZero();
      }
    }
    assertThat(Tenants.containerState(c.id()))
        .as("%s's container %s after %s as %s", victim.owner().name(), c.name(), this, actor.name())
        .isEqualTo(before);
  }

  /**
   * {@code actor} (the owner, or root) sends this naming {@code owner}'s container by {@code ref}:
   * it works. A probe that changes the container gets a fresh one.
   */
  default void assertWorks(Tenants t, UnixUser actor, Estate owner, Ref ref) {
    Container c = changes() ? t.spareContainer(owner.owner(), target()) : owner.container(target());
    String r = ref.of(c);
    Placeholders p = new Placeholders(t, actor, owner, c, r);
    switch (this) {
      case Cli cli -> {
        Proc.Result res = t.as(actor, Tenants.QUICK, p.apply(cli.args()));
        assertThat(res.ok()).as(res.describe()).isTrue();
        assertThat(res.stdout()).as(res.describe()).contains(p.apply(cli.output()));
        if (cli.after() != null) {
          if (cli.after().equals("gone")) {
            assertThat(Tenants.existsUpstream("container", c.id())).as(res.describe()).isFalse();
          } else {
            String[] check = p.apply(cli.after()).split("=", 2);
            assertThat(Tenants.upstreamFormat("container", c.id(), check[0]))
                .as("%s after %s", check[0], res.describe())
                .isEqualTo(check[1]);
          }
        }
      }
      case Api api -> {
        Tenants.Answer a =
            t.api(
                actor,
                api.method(),
                p.apply(api.path()),
                api.method().equals("PUT") ? p.tar() : null);
        assertThat(a.status()).as(a.describe()).isEqualTo(200);
      }
      case Attach _ -> throw new IllegalStateException("attach is probed as start --attach");
    }
  }

  /** The values of the placeholders for one run. */
  final class Placeholders {
    final String name = ItEnvironment.uniqueName("renamed");
    final String image;
    private final Tenants t;
    private final UnixUser actor;
    private final Estate owner;
    private final Container c;
    private final String ref;

    Placeholders(Tenants t, UnixUser actor, Estate owner, Container c, String ref) {
      this.t = t;
      this.actor = actor;
      this.owner = owner;
      this.c = c;
      this.ref = ref;
      this.image = t.imageRef(actor.name() + "-commit");
    }

    String apply(String s) {
      return s.replace("{c}", ref)
          .replace("{daemonname}", actor.uid() == 0 ? name : Tenants.daemonName(actor, name))
          .replace("{name}", name)
          .replace("{image}", image)
          .replace("{file}", t.hostFile.toString())
          .replace("{net}", network())
          .replace("{owner}", owner.owner().name())
          .replace("{uid}", owner.owner().idPrefix())
          .replace("{id}", c.id());
    }

    List<String> apply(List<String> args) {
      List<String> out = new ArrayList<>();
      for (String a : args) {
        out.add(apply(a));
      }
      return out;
    }

    /** The actor's own network; root's is the other tenant's (only root may cross). */
    private String network() {
      if (actor.equals(t.alice) || actor.equals(t.bob)) {
        return (actor.equals(t.alice) ? t.aliceOwns : t.bobOwns).network();
      }
      Estate other = owner == t.aliceOwns ? t.bobOwns : t.aliceOwns;
      return Tenants.daemonName(other.owner(), other.network()); // root uses the daemon's names
    }

    byte[] tar() {
      return Tar.singleFile(
          "put-by-" + actor.name(),
          "put\n".getBytes(StandardCharsets.UTF_8),
          0644,
          actor.uid(),
          actor.gid());
    }
  }
}
