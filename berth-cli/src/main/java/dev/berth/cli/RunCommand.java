package dev.berth.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code berth run}: {@code docker run} as the caller, with the caller's identity inside.
 *
 * <p>Design note. It is a convenience, not a privilege: it builds a {@code docker run} command line
 * and runs the caller's own docker CLI against berth (or, in plugin mode, against dockerd's TLS
 * endpoint), where the policy judges it like any other request. It adds the caller's uid, gid and
 * supplementary groups; a passwd and a group file with the caller's entries (written under {@code
 * ~/.cache/berth}, inside the home the policy lets users mount) so that {@code whoami}, {@code id
 * -n} and {@code ls -l} work; the home directory and the working directory; an allowlist of
 * environment variables; and the flags plugin mode asks for.
 *
 * <p>It starts a JVM in front of every container, so its start-up is its cost (docs/benchmarks.md,
 * sessions 5 and 6). The caller comes from the kernel ({@link Caller}) and the group names from
 * {@link GroupNames}, not from NSS calls through FFM, whose linking was a third of the start-up.
 * Its options are declared once, in code ({@link #declare}), and bound to the fields below: reading
 * annotations spins a proxy class per annotation, which no class-data cache keeps (another third),
 * so {@code berth run} itself parses with {@link #commandLine()}, which reads none. The full
 * command line (help, man pages, completion) makes {@code run} from the annotation, which gives
 * only its name and {@link Declaration}, through which picocli hands it the model to declare the
 * same options on. (Until session 8 they were declared twice, by annotation as well; one
 * declaration cost {@code berth run} nothing: bench/startup, CPU 0.99 of before.)
 */
@Command(name = "run", modelTransformer = RunCommand.Declaration.class)
final class RunCommand implements Callable<Integer> {
  /** Environment variables passed into the container when they are set. */
  static final List<String> ENV_ALLOWLIST =
      List.of("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TERM", "TZ", "COLORTERM");

  /** The label that asks for profiles (comma-separated names); see the policy's profiles. */
  static final String PROFILE_LABEL = "dev.berth.profile";

  /** berth's socket, used when DOCKER_HOST is not set. */
  static final String DEFAULT_HOST = "unix:///run/berth/docker.sock";

  @CommandLine.Spec CommandSpec spec;

  List<String> profiles = new ArrayList<>();
  boolean print;
  boolean noHome;
  List<String> dockerArgs = new ArrayList<>();

  /** What {@link #command} did not do as asked, for the user (printed to standard error). */
  final List<String> notices = new ArrayList<>();

  /** Where the caller's environment comes from; a test may replace it. */
  Map<String, String> environment = System.getenv();

  /** {@code run} declared in code, parsing into a new command's fields (see the design note). */
  static CommandLine commandLine() {
    RunCommand run = new RunCommand();
    CommandSpec spec = CommandSpec.wrapWithoutInspection(run).name("run");
    run.spec = spec;
    return new CommandLine(declare(spec, run));
  }

  /**
   * The full command line's {@code run}: picocli made it from the annotation (its name only) and
   * hands its model here, to declare the options on, bound to the command it made.
   */
  static final class Declaration implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      return declare(spec, (RunCommand) spec.userObject());
    }
  }

  /**
   * Declares {@code run}'s description, options and parameters on {@code spec}, bound to {@code
   * run}.
   */
  private static CommandSpec declare(CommandSpec spec, RunCommand run) {
    spec.usageMessage()
        .description(
            "Run a container as yourself: your uid, gid and groups, your user name inside, your"
                + " home",
            "and current directory mounted, and the working directory set to where you are.",
            "",
            "Every other docker run option is passed on (put them before IMAGE) and judged by the",
            "policy as usual; berth options come first. Example:",
            "  berth run --profile gpu -it --rm python:3 python train.py");
    // No -h: docker run's -h is --hostname, and it must reach docker.
    spec.addOption(
        OptionSpec.builder("--help")
            .usageHelp(true)
            .type(boolean.class)
            .description("Show this help and exit.")
            .build());
    spec.addOption(
        OptionSpec.builder("--profile")
            .paramLabel("NAME")
            .type(List.class)
            .auxiliaryTypes(String.class)
            .description(
                "An admin-defined profile (mounts, devices, environment) granted to your role;"
                    + " repeatable.")
            .getter(getter(() -> run.profiles))
            .setter(setter(v -> run.profiles = strings(v)))
            .build());
    spec.addOption(
        OptionSpec.builder("--print")
            .type(boolean.class)
            .description("Print the docker command line instead of running it.")
            .setter(setter(v -> run.print = Boolean.TRUE.equals(v)))
            .build());
    spec.addOption(
        OptionSpec.builder("--no-home")
            .type(boolean.class)
            .description("Do not mount your home directory.")
            .setter(setter(v -> run.noHome = Boolean.TRUE.equals(v)))
            .build());
    spec.addPositional(
        PositionalParamSpec.builder()
            .paramLabel("[DOCKER-RUN-OPTIONS] IMAGE [COMMAND [ARG...]]")
            .arity("1..*")
            .required(true)
            .type(List.class)
            .auxiliaryTypes(String.class)
            .description("Passed on to docker run.")
            .getter(getter(() -> run.dockerArgs))
            .setter(setter(v -> run.dockerArgs = strings(v)))
            .build());
    return spec;
  }

  private static CommandLine.Model.IGetter getter(Supplier<Object> field) {
    return new CommandLine.Model.IGetter() {
      @Override
      @SuppressWarnings("unchecked") // picocli asks for the type it declared: the field's
      public <T> T get() {
        return (T) field.get();
      }
    };
  }

  private static CommandLine.Model.ISetter setter(Consumer<@Nullable Object> field) {
    return new CommandLine.Model.ISetter() {
      @Override
      public <T> @Nullable T set(@Nullable T value) {
        field.accept(value);
        return null;
      }
    };
  }

  /** A List option's value: picocli resets it to null before parsing, then fills a List. */
  @SuppressWarnings("unchecked") // picocli makes the List of the option's auxiliary type
  private static List<String> strings(@Nullable Object v) {
    return v == null ? new ArrayList<>() : (List<String>) v;
  }

  @Override
  public Integer call() throws Exception {
    Caller me;
    try {
      me = Caller.current();
    } catch (IOException e) {
      throw new CommandLine.ExecutionException(spec.commandLine(), "berth run: " + e.getMessage());
    }
    List<String> cmd = command(me, GroupNames.of(me.groups()));
    notices.forEach(spec.commandLine().getErr()::println);
    spec.commandLine().getErr().flush();
    String host = environment.get("DOCKER_HOST");
    if (print) {
      spec.commandLine()
          .getOut()
          .println((host == null ? "DOCKER_HOST=" + DEFAULT_HOST + " " : "") + shellQuote(cmd));
      spec.commandLine().getOut().flush();
      return 0;
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    if (host == null) {
      pb.environment().put("DOCKER_HOST", DEFAULT_HOST);
    }
    return pb.start().waitFor();
  }

  /** The docker command line for {@code me}, whose groups are named by {@code groupNames}. */
  List<String> command(Caller me, Map<Integer, String> groupNames) throws IOException {
    String home = environment.getOrDefault("HOME", me.home());
    String pwd = workingDirectory();
    boolean pluginMode =
        environment.getOrDefault("DOCKER_HOST", "").startsWith("tcp://")
            && !environment.getOrDefault("DOCKER_TLS_VERIFY", "").isEmpty();
    Path identity = writeIdentityFiles(me, groupNames, Path.of(me.home(), ".cache", "berth"));
    List<String> cmd =
        new ArrayList<>(List.of("docker", "run", "--user", me.uid() + ":" + me.gid()));
    for (int gid : me.groups()) {
      if (gid != me.gid()) {
        cmd.addAll(List.of("--group-add", Integer.toString(gid)));
      }
    }
    cmd.addAll(List.of("--security-opt", "no-new-privileges", "--cap-drop", "ALL"));
    if (pluginMode) {
      // dockerd with berth as its plugin cannot add these itself
      cmd.addAll(
          List.of("--label", "dev.berth.owner.uid=" + me.uid(), "--label", "dev.berth.owner.gid="));
    }
    if (!profiles.isEmpty()) {
      cmd.addAll(List.of("--label", PROFILE_LABEL + "=" + String.join(",", profiles)));
    }
    cmd.addAll(
        List.of(
            "-v",
            identity.resolve("passwd") + ":/etc/passwd:ro",
            "-v",
            identity.resolve("group") + ":/etc/group:ro"));
    if (!noHome) {
      cmd.addAll(List.of("-v", me.home() + ":" + me.home()));
    }
    boolean inHome = Path.of(pwd).startsWith(me.home());
    String workdir = pwd;
    if (!inHome) {
      // The default policy lets users bind only their home: mounting the working directory from
      // elsewhere would be refused (with a message about a -v the user never typed). Say so.
      workdir = noHome ? "" : me.home();
      notices.add(
          "berth run: "
              + pwd
              + " is outside your home, so it is not mounted"
              + (workdir.isEmpty() ? "" : "; the container starts in " + workdir)
              + " (add -v "
              + pwd
              + ":"
              + pwd
              + " if your site allows it)");
    } else if (noHome) {
      cmd.addAll(List.of("-v", pwd + ":" + pwd));
    }
    if (!workdir.isEmpty()) {
      cmd.addAll(List.of("-w", workdir));
    }
    cmd.addAll(
        List.of("-e", "HOME=" + home, "-e", "USER=" + me.name(), "-e", "LOGNAME=" + me.name()));
    for (String name : ENV_ALLOWLIST) {
      String v = environment.get(name);
      if (v != null) {
        cmd.addAll(List.of("-e", name + "=" + v));
      }
    }
    cmd.addAll(dockerArgs);
    return cmd;
  }

  /**
   * Where the caller is: {@code $PWD} (which keeps the caller's view through symlinks) when it
   * names the process's real working directory, else that directory.
   */
  private String workingDirectory() throws IOException {
    Path real = Path.of("").toAbsolutePath();
    String pwd = environment.get("PWD");
    if (pwd != null && pwd.startsWith("/")) {
      try {
        if (Files.isSameFile(Path.of(pwd), real)) {
          return pwd;
        }
      } catch (IOException e) {
        // $PWD names nothing: use the real directory
      }
    }
    return real.toString();
  }

  /**
   * {@code passwd} and {@code group} files with root, the caller, and the caller's groups, replaced
   * atomically so concurrent runs never see half a file.
   */
  static Path writeIdentityFiles(Caller me, Map<Integer, String> groupNames, Path dir)
      throws IOException {
    Files.createDirectories(dir);
    StringBuilder passwd =
        new StringBuilder("root:x:0:0:root:/root:/bin/sh\n")
            .append(me.name())
            .append(":x:")
            .append(me.uid())
            .append(':')
            .append(me.gid())
            .append("::")
            .append(me.home())
            .append(":/bin/sh\n")
            .append("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    StringBuilder group = new StringBuilder("root:x:0:\n");
    for (int gid : me.groups()) {
      if (gid == 0) {
        continue;
      }
      String name = groupNames.getOrDefault(gid, "group" + gid);
      group.append(name).append(":x:").append(gid).append(':').append(me.name()).append('\n');
    }
    group.append("nogroup:x:65534:\n");
    replace(dir.resolve("passwd"), passwd.toString());
    replace(dir.resolve("group"), group.toString());
    return dir;
  }

  /**
   * Writes {@code text} to a file named after this process beside {@code file}, then renames it
   * over {@code file}. No other process writes that name while this one lives, so it needs no
   * random part (a random temporary name would start the JVM's SecureRandom: 10 ms of each {@code
   * berth run}); one left behind by a process that died with the same pid is overwritten.
   */
  private static void replace(Path file, String text) throws IOException {
    Path tmp =
        file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.writeString(
        Files.createFile(
            tmp,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"))),
        text,
        StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static String shellQuote(List<String> cmd) {
    List<String> out = new ArrayList<>();
    for (String s : cmd) {
      out.add(s.matches("[A-Za-z0-9_@%+=:,./-]+") ? s : "'" + s.replace("'", "'\\''") + "'");
    }
    return String.join(" ", out);
  }
}
