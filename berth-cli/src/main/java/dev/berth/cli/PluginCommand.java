package dev.berth.cli;

import dev.berth.nss.NssUserDirectory;
import dev.berth.plugin.PluginConfig;
import dev.berth.plugin.PluginServer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code berth plugin}: berth as a Docker AuthZ plugin. */
@Command(
    name = "plugin",
    mixinStandardHelpOptions = true,
    description = {
      "Run berth as a Docker authorization plugin, for sites that keep dockerd's own TLS",
      "endpoint with per-user client certificates (see 'berth pki').",
      "",
      "Start it before dockerd, and start dockerd with --authorization-plugin=berth. The same",
      "policy judges every request; where the proxy would rewrite a request, the plugin refuses",
      "it and names the flags to add (or use 'berth run')."
    })
final class PluginCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--socket",
      paramLabel = "FILE",
      defaultValue = "/run/docker/plugins/berth.sock",
      description = "Where the daemon finds the plugin (default: ${DEFAULT-VALUE}).")
  Path socket;

  @Option(
      names = "--docker",
      paramLabel = "FILE",
      defaultValue = "/var/run/docker.sock",
      description =
          "The daemon's unix socket, asked who owns objects (default: " + "${DEFAULT-VALUE}).")
  Path docker;

  @CommandLine.Mixin Services.Options serviceOptions;

  @Option(
      names = "--crl",
      paramLabel = "FILE",
      description =
          "Certificate revocation list to honour (dockerd itself checks none), e.g. "
              + "/etc/berth/pki/crl.pem.")
  Path crl;

  @Option(
      names = "--socket-user",
      paramLabel = "USER",
      defaultValue = "root",
      description =
          "Who callers of the daemon's unix socket are (they send no certificate); "
              + "'none' refuses them (default: ${DEFAULT-VALUE}; keep that socket root-only).")
  String socketUser;

  @Override
  public Integer call() throws Exception {
    NssUserDirectory users = new NssUserDirectory();
    Optional<Services> opened = serviceOptions.open(users, spec.commandLine().getErr());
    if (opened.isEmpty()) {
      return 1;
    }
    Services services = opened.get();
    PluginServer server =
        PluginServer.start(
            new PluginConfig(
                socket,
                docker,
                Optional.ofNullable(crl),
                socketUser.equals("none") ? Optional.empty() : Optional.of(socketUser)),
            services.policies,
            users,
            services.audit,
            services.owners);
    services.closeOnShutdown(server, spec.commandLine().getErr());
    spec.commandLine().getOut().printf("berth: authorization plugin on %s%n", socket);
    spec.commandLine().getOut().flush();
    Readiness.ready("authorization plugin on " + socket);
    server.awaitClose();
    return 0;
  }
}
