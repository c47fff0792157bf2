package dev.berth.cli;

import dev.berth.cli.doctor.Doctor;
import dev.berth.cli.doctor.Finding;
import dev.berth.cli.doctor.Mode;
import dev.berth.daemon.DaemonClient;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code berth doctor}: checks that the host gives berth what its guarantees rest on, and exits
 * non-zero when they do not hold.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Check the host posture berth relies on.",
      "The raw daemon socket must be root's only (else users go around berth), no TCP endpoint",
      "may lack client certificates, the daemon's build entitlements and version are checked",
      "against known bypasses, and the plugin directory and berth's own files must be root's.",
      "Exit status: 0 when berth's guarantees hold (warnings allowed), 1 when one does not."
    })
final class DoctorCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--mode",
      defaultValue = "proxy",
      paramLabel = "proxy|plugin",
      description = "How berth stands in front of the daemon (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--upstream",
      defaultValue = "/var/run/docker.sock",
      paramLabel = "FILE",
      description = "The daemon's socket (default: ${DEFAULT-VALUE}).")
  Path upstream;

  @Option(
      names = "--daemon-config",
      defaultValue = "/etc/docker/daemon.json",
      paramLabel = "FILE",
      description =
          "dockerd's configuration, unless its command line names another "
              + "(default: ${DEFAULT-VALUE}).")
  Path daemonConfig;

  @Option(
      names = "--plugins-dir",
      defaultValue = "/run/docker/plugins",
      paramLabel = "DIR",
      description = "Where dockerd looks for plugins (default: ${DEFAULT-VALUE}).")
  Path pluginDir;

  @Option(
      names = "--policy",
      defaultValue = "/etc/berth/policy.yaml",
      paramLabel = "FILE",
      description = "berth's policy file (default: ${DEFAULT-VALUE}).")
  Path policy;

  @Option(
      names = "--audit-log",
      defaultValue = "/var/log/berth/audit.jsonl",
      paramLabel = "FILE",
      description = "berth's audit trail (default: ${DEFAULT-VALUE}).")
  Path auditLog;

  @Option(
      names = "--state-dir",
      defaultValue = "/var/lib/berth",
      paramLabel = "DIR",
      description = "berth's owner store (default: ${DEFAULT-VALUE}).")
  Path stateDir;

  @Option(
      names = "--socket",
      defaultValue = "/run/berth/docker.sock",
      paramLabel = "FILE",
      description = "berth's own socket, in proxy mode (default: ${DEFAULT-VALUE}).")
  Path socket;

  @Override
  public Integer call() {
    Mode m;
    try {
      m = Mode.valueOf(mode.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--mode must be proxy or plugin, not '" + mode + "'");
    }
    Doctor doctor =
        new Doctor(
            new Doctor.Paths(
                upstream,
                daemonConfig,
                pluginDir,
                policy,
                auditLog,
                stateDir,
                socket,
                Path.of("/proc")),
            m);
    var group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    List<Finding> findings;
    try {
      findings = doctor.run(new DaemonClient(group, new DomainSocketAddress(upstream.toString())));
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    PrintWriter out = spec.commandLine().getOut();
    for (Finding f : findings) {
      out.printf("%-4s  %-20s %s%n", f.severity(), f.check(), f.detail());
      if (!f.remedy().isEmpty()) {
        out.printf("      %-20s fix: %s%n", "", f.remedy());
      }
    }
    long failed = findings.stream().filter(f -> f.severity() == Finding.Severity.FAIL).count();
    long warned = findings.stream().filter(f -> f.severity() == Finding.Severity.WARN).count();
    out.printf(
        "%n%d check(s): %d failed, %d warning(s). %s%n",
        findings.size(),
        failed,
        warned,
        failed > 0 ? "berth's guarantees do NOT hold on this host." : "berth's guarantees hold.");
    out.flush();
    return failed > 0 ? 1 : 0;
  }
}
