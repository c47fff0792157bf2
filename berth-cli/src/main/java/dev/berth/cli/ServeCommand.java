package dev.berth.cli;

import dev.berth.cli.dashboard.DashboardServer;
import dev.berth.cli.login.LoginServer;
import dev.berth.cli.systemd.SocketActivation;
import dev.berth.nss.AccountCache;
import dev.berth.nss.NssUserDirectory;
import dev.berth.proxy.ProxyConfig;
import dev.berth.proxy.ProxyServer;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code berth serve}: the filtering proxy. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the filtering proxy in the foreground until SIGTERM or SIGINT.",
      "",
      "berth is ready when the listen socket exists. On shutdown it closes every connection and",
      "removes the socket. Without --policy it enforces the embedded default policy: root passes",
      "through; every other user's containers run as that user (uid:gid, no-new-privileges, all",
      "capabilities dropped), without privileged mode, host namespaces, devices, or host mounts",
      "outside the user's home directory.",
      "",
      "Under systemd (berth.socket, berth.service) it serves the socket it is passed",
      "(LISTEN_FDS), tells systemd when it is ready (NOTIFY_SOCKET), and logs with journald",
      "priorities (JOURNAL_STREAM)."
    })
final class ServeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin ListenOptions listeners;

  @Option(
      names = "--upstream",
      paramLabel = "URL",
      defaultValue = "unix:///var/run/docker.sock",
      description = "The Docker daemon's socket (default: ${DEFAULT-VALUE}).")
  String upstream;

  @CommandLine.Mixin Services.Options serviceOptions;

  @CommandLine.Mixin BoundsOptions bounds;

  @CommandLine.Mixin LoginOptions loginOptions;

  @Option(
      names = "--dashboard",
      paramLabel = "unix:///PATH",
      description = {
        "Serve the read-only admin dashboard (a web page: who runs what, refusals "
            + "by rule, audit search and chain status, live) on this unix socket, mode 0600, for "
            + "root and berth's own user only. Reach it with e.g. ssh -L 8080:PATH host."
      })
  String dashboard;

  @Option(
      names = "--identity-cache",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = AuditOptions.DurationConverter.class,
      description = {
        "How long a caller's account and groups, once found in NSS (files, LDAP, "
            + "SSSD), are used without asking again (default: ${DEFAULT-VALUE}). A user removed "
            + "from a group loses the roles it gave after at most this long."
      })
  Duration identityCache;

  @Option(
      names = "--socket-mode",
      paramLabel = "MODE",
      defaultValue = "0666",
      description = "Octal permissions of the listen socket (default: ${DEFAULT-VALUE}).")
  String socketMode;

  @Option(
      names = "--socket-group",
      paramLabel = "GROUP",
      description = "Group owner of the listen socket (default: berth's own group).")
  String socketGroup;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "0",
      description = "Event loop threads (default: one per CPU).")
  int threads;

  @Override
  public Integer call() throws Exception {
    ProxyConfig config =
        listeners
            .config(
                unixPath(upstream, "--upstream"),
                mode(socketMode),
                socketGroup,
                threads > 0 ? threads : Runtime.getRuntime().availableProcessors())
            .withInheritedFd(SocketActivation.inherited())
            .withBounds(bounds.bounds());
    long files = FileLimit.raise();
    AccountCache users = new AccountCache(new NssUserDirectory(), identityCache);
    Optional<Services> opened = serviceOptions.open(users, spec.commandLine().getErr());
    if (opened.isEmpty()) {
      return 1;
    }
    Services services = opened.get();
    ProxyServer server =
        ProxyServer.start(config, services.policies, users, services.audit, services.owners);
    ListenOptions.reloadOnHangup(server);
    Optional<LoginServer> login =
        loginOptions.start(
            spec.commandLine(), listeners.tlsCert, listeners.tlsKey, users, services.audit);
    Optional<DashboardServer> admin =
        dashboard == null
            ? Optional.empty()
            : Optional.of(
                DashboardServer.start(
                    unixPath(dashboard, "--dashboard"),
                    config.upstream(),
                    services.owners,
                    users,
                    services.policies,
                    serviceOptions.auditLog));
    services.closeOnShutdown(
        () -> {
          admin.ifPresent(DashboardServer::close);
          login.ifPresent(LoginServer::close);
          server.close();
        },
        spec.commandLine().getErr());
    spec.commandLine()
        .getOut()
        .printf(
            "berth: serving %s -> %s (up to %d open files)%n",
            ListenOptions.describe(config), config.upstream(), files);
    spec.commandLine().getOut().flush();
    Readiness.ready("serving " + config.listen() + " -> " + config.upstream());
    server.awaitClose();
    return 0;
  }

  private Path unixPath(String url, String option) {
    URI uri = URI.create(url.startsWith("/") ? "unix://" + url : url);
    if (!"unix".equals(uri.getScheme()) || uri.getPath() == null || uri.getPath().isEmpty()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), option + ": expected unix:///path/to/socket, got " + url);
    }
    return Path.of(uri.getPath());
  }

  private Set<PosixFilePermission> mode(String octal) {
    int m;
    try {
      m = Integer.parseInt(octal, 8);
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--socket-mode: expected octal permissions such as 0660, got " + octal);
    }
    if (m < 0 || m > 0777) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--socket-mode: expected permission bits only (0000-0777), got " + octal);
    }
    StringBuilder rwx = new StringBuilder();
    String letters = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      rwx.append((m & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(rwx.toString());
  }
}
