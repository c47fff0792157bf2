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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
 * picocli reads the annotations below for the full command line (help, man pages, completion);
 * {@code berth run} itself parses with {@link #commandLine()}, the same options declared in code
 * and bound to the same fields, because reading annotations spins a proxy class per annotation,
 * which no class-data cache keeps: another third. The two declarations share their texts, and a
 * test holds their help and their parsing equal.
 */
@Command(
    name = "run",
    description = {
      RunCommand.SUMMARY,
      RunCommand.SUMMARY_2,
      "",
      RunCommand.PASS_ON,
      RunCommand.PASS_ON_2,
      RunCommand.EXAMPLE
    })
final class RunCommand implements Callable<Integer> {
  /** Environment variables passed into the container when they are set. */
  static final List<String> ENV_ALLOWLIST =
      List.of("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TERM", "TZ", "COLORTERM");

  /** The label that asks for profiles (comma-separated names); see the policy's profiles. */
  static final String PROFILE_LABEL = "dev.berth.profile";

  /** berth's socket, used when DOCKER_HOST is not set. */
  static final String DEFAULT_HOST = "unix:///run/berth/docker.sock";

  // The texts, shared by the annotations and the model built in code (see the design note).
  static final String SUMMARY =
      "Run a container as yourself: your uid, gid and groups, your user name inside, your home";
  static final String SUMMARY_2 =
      "and current directory mounted, and the working directory set to where you are.";
  static final String PASS_ON =
      "Every other docker run option is passed on (put them before IMAGE) and judged by the";
  static final String PASS_ON_2 = "policy as usual; berth options come first. Example:";
  static final String EXAMPLE = "  berth run --profile gpu -it --rm python:3 python train.py";
  private static final String HELP = "Show this help and exit.";
  private static final String PROFILE = "--profile";
  private static final String PROFILE_HELP =
      "An admin-defined profile (mounts, devices, environment) granted to your role; repeatable.";
  private static final String NAME = "NAME";
  private static final String PRINT = "--print";
  private static final String PRINT_HELP = "Print the docker command line instead of running it.";
  private static final String NO_HOME = "--no-home";
  private static final String NO_HOME_HELP = "Do not mount your home directory.";
  private static final String DOCKER_ARGS = "[DOCKER-RUN-OPTIONS] IMAGE [COMMAND [ARG...]]";
  private static final String DOCKER_ARGS_ARITY = "1..*";
  private static final String DOCKER_ARGS_HELP = "Passed on to docker run.";

  @CommandLine.Spec CommandSpec spec;

  // No -h: docker run's -h is --hostname, and it must reach docker.
  @Option(names = "--help", usageHelp = true, description = HELP)
  boolean help;

  @Option(names = PROFILE, paramLabel = NAME, description = PROFILE_HELP)
  List<String> profiles = new ArrayList<>();

  @Option(names = PRINT, description = PRINT_HELP)
  boolean print;

  @Option(names = NO_HOME, description = NO_HOME_HELP)
  boolean noHome;

  @Parameters(paramLabel = DOCKER_ARGS, arity = DOCKER_ARGS_ARITY, description = DOCKER_ARGS_HELP)
  List<String> dockerArgs = new ArrayList<>();

  /** What {@link #command} did not do as asked, for the user (printed to standard error). */
  final List<String> notices = new ArrayList<>();

  /** Where the caller's environment comes from; a test may replace it. */
  Map<String, String> environment = System.getenv();

  /** {@code run} declared in code, parsing into a new command's fields (see the design note). */
  static CommandLine commandLine() {
    RunCommand run = new RunCommand();
    CommandSpec spec = CommandSpec.wrapWithoutInspection(run);
    run.spec = spec;
    spec.name("run")
        .usageMessage()
        .description(SUMMARY, SUMMARY_2, "", PASS_ON, PASS_ON_2, EXAMPLE);
    spec.addOption(
        OptionSpec.builder("--help").usageHelp(true).type(boolean.class).description(HELP).build());
    spec.addOption(
        OptionSpec.builder(PROFILE)
            .paramLabel(NAME)
            .type(List.class)
            .auxiliaryTypes(String.class)
            .description(PROFILE_HELP)
            .getter(getter(() -> run.profiles))
            .setter(setter(v -> run.profiles = strings(v)))
            .build());
    spec.addOption(
        OptionSpec.builder(PRINT)
            .type(boolean.class)
            .description(PRINT_HELP)
            .setter(setter(v -> run.print = Boolean.TRUE.equals(v)))
            .build());
    spec.addOption(
        OptionSpec.builder(NO_HOME)
            .type(boolean.class)
            .description(NO_HOME_HELP)
            .setter(setter(v -> run.noHome = Boolean.TRUE.equals(v)))
            .build());
    spec.addPositional(
        PositionalParamSpec.builder()
            .paramLabel(DOCKER_ARGS)
            .arity(DOCKER_ARGS_ARITY)
            .required(true)
            .type(List.class)
            .auxiliaryTypes(String.class)
            .description(DOCKER_ARGS_HELP)
            .getter(getter(() -> run.dockerArgs))
            .setter(setter(v -> run.dockerArgs = strings(v)))
            .build());
    return new CommandLine(spec);
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
