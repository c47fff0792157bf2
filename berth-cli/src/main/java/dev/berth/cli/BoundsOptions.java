package dev.berth.cli;

import dev.berth.proxy.ClientBounds;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * How much of berth one client may hold, and for how long ({@code berth serve}). The per-user
 * numbers are host-wide ceilings; a role's {@code bounds} in the policy may lower them.
 */
final class BoundsOptions {
  @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--max-connections-per-user",
      paramLabel = "N",
      defaultValue = "256",
      description =
          "Host-wide: connections one user may have open at once, for roles without "
              + "bounds.connections, and the most a role may give; more are answered 429 "
              + "(default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(
      names = "--max-requests-per-user",
      paramLabel = "N",
      defaultValue = "128",
      description =
          "Host-wide: requests one user may have in flight at once, streams (logs -f, "
              + "attach, events) included until they end, for roles without "
              + "bounds.requests_in_flight, and the most a role may give; more are answered 429 "
              + "(default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(
      names = "--request-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = AuditOptions.DurationConverter.class,
      description =
          "Time a client has to send a request head once it began, and a body berth "
              + "judges from its head on; then 408 (default: ${DEFAULT-VALUE}).")
  Duration requestTimeout;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      defaultValue = "5m",
      converter = AuditOptions.DurationConverter.class,
      description =
          "Time a connection may stay open between requests without sending anything "
              + "(default: ${DEFAULT-VALUE}).")
  Duration idleTimeout;

  ClientBounds bounds() {
    try {
      return new ClientBounds(connections, requests, requestTimeout, idleTimeout);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
