package dev.berth.it;

import dev.berth.it.ItEnvironment.UnixUser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The real docker CLI, run as a real Unix user against berth: {@code setpriv --reuid U --regid G
 * --init-groups env -i HOME=... DOCKER_HOST=unix://SOCK docker ...}; or, for setup and cleanup, as
 * root straight against the upstream daemon.
 */
final class DockerCli {
  private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** DOCKER_HOST and, for TLS, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH. */
  private final List<String> env;

  /** A group added to the user's own groups (the daemon's socket group), or null. */
  private final String extraGroup;

  DockerCli(Path berthSocket) {
    this(List.of("DOCKER_HOST=unix://" + berthSocket), null);
  }

  private DockerCli(List<String> env, String extraGroup) {
    this.env = List.copyOf(env);
    this.extraGroup = extraGroup;
  }

  /**
   * The CLI straight against the daemon's socket, as a user who is also a member of the socket's
   * group ({@code docker}): what berth replaces, for side-by-side comparisons.
   */
  static DockerCli dockerGroupMember(Path daemonSocket, String socketGroup) {
    return new DockerCli(List.of("DOCKER_HOST=unix://" + daemonSocket), socketGroup);
  }

  /** The CLI against berth's TLS listener with the client certificate in {@code certPath}. */
  static DockerCli overTls(String hostPort, Path certPath) {
    return new DockerCli(
        List.of(
            "DOCKER_HOST=tcp://" + hostPort, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + certPath),
        null);
  }

  /** {@code cmd} run as {@code user} with a clean environment pointing docker at berth. */
  List<String> asUser(UnixUser user, List<String> cmd) {
    List<String> full =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid",
                Integer.toString(user.uid()),
                "--regid",
                Integer.toString(user.gid())));
    if (extraGroup == null) {
      full.add("--init-groups");
    } else {
      String groups = Proc.run(List.of("id", "-G", user.name())).stdout().strip();
      full.addAll(List.of("--groups", groups.replace(' ', ',') + "," + extraGroup));
    }
    full.addAll(
        List.of(
            "env",
            "-i",
            "PATH=" + PATH,
            "HOME=" + user.home(),
            "USER=" + user.name(),
            "LOGNAME=" + user.name(),
            "LANG=C.UTF-8",
            "TERM=xterm"));
    full.addAll(env);
    full.addAll(cmd);
    return full;
  }

  /** The docker command line (as {@code user}, through berth). */
  List<String> docker(UnixUser user, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ItEnvironment.dockerCli());
    cmd.addAll(List.of(args));
    return asUser(user, cmd);
  }

  /** Runs docker as {@code user} through berth with the default time limit. */
  Proc.Result run(UnixUser user, String... args) {
    return Proc.run(docker(user, args), null, ItEnvironment.PROCESS_TIMEOUT);
  }

  /** Runs docker as {@code user} through berth, feeding {@code stdin}. */
  Proc.Result runWithInput(UnixUser user, String stdin, Duration timeout, String... args) {
    return Proc.run(docker(user, args), stdin.getBytes(StandardCharsets.UTF_8), timeout);
  }

  /** Starts docker as {@code user} through berth and leaves it running (stdin open). */
  Proc.Running start(UnixUser user, String... args) {
    return Proc.start(docker(user, args));
  }

  /**
   * The docker command line wrapped in {@code script -qec "..." /dev/null}, so that docker's stdin
   * and stdout are a pseudo-terminal (needed for {@code -t}).
   */
  List<String> dockerInPty(UnixUser user, String... args) {
    StringBuilder sh = new StringBuilder(quote(ItEnvironment.dockerCli()));
    for (String a : args) {
      sh.append(' ').append(quote(a));
    }
    return asUser(user, List.of("script", "-qec", sh.toString(), "/dev/null"));
  }

  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Runs docker as root directly against the upstream daemon (setup, inspection, cleanup). */
  static Proc.Result upstream(String... args) {
    List<String> cmd =
        new ArrayList<>(List.of(ItEnvironment.dockerCli(), "-H", ItEnvironment.upstreamUrl()));
    cmd.addAll(List.of(args));
    return Proc.run(cmd);
  }

  /** Force-removes containers directly on the upstream daemon; unknown names are ignored. */
  static void removeContainers(Collection<String> names) {
    if (names.isEmpty()) {
      return;
    }
    List<String> args = new ArrayList<>(List.of("rm", "-f"));
    args.addAll(names);
    for (String user : List.of("alice", "bob")) {
      // what alice and bob named so is theirs in the daemon (issue 13)
      names.forEach(n -> args.add("u" + ItEnvironment.user(user).uid() + "_" + n));
    }
    upstream(args.toArray(String[]::new));
  }

  /** Removes every container of this run (name prefix {@code it-<run>-}) from the daemon. */
  static void removeAllOfThisRun() {
    Proc.Result ps = upstream("ps", "-aq", "--filter", "name=it-" + ItEnvironment.RUN_ID + "-");
    List<String> ids = ps.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    removeContainers(ids);
  }
}
