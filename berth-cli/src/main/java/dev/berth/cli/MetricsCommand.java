package dev.berth.cli;

import dev.berth.daemon.DaemonClient;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code berth metrics}: prints berth's counters (Prometheus text format) from a running {@code
 * berth serve}, e.g. for a node exporter's textfile collector: {@code berth metrics >
 * /var/lib/node_exporter/berth.prom}. Administrators only.
 */
@Command(
    name = "metrics",
    mixinStandardHelpOptions = true,
    description = {
      "Print the counters of a running berth (Prometheus text format).",
      "Decisions by action, outcome and rule; decision and relay latency histograms; open",
      "streams and connections; audit records not yet on disk. Administrators only."
    })
final class MetricsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--socket",
      paramLabel = "FILE",
      defaultValue = "/run/berth/docker.sock",
      description = "berth's socket (default: ${DEFAULT-VALUE}).")
  Path socket;

  @Override
  public Integer call() throws Exception {
    var group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      DaemonClient.Answer a =
          new DaemonClient(group, new DomainSocketAddress(socket.toString()))
              .call("GET", "/berth/metrics", null);
      String text = new String(a.body(), StandardCharsets.UTF_8);
      if (a.status() != 200) {
        spec.commandLine().getErr().println("berth metrics: " + a.status() + " " + text.strip());
        return 1;
      }
      spec.commandLine().getOut().print(text);
      spec.commandLine().getOut().flush();
      return 0;
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }
}
