package dev.berth.cli.doctor;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.daemon.DaemonClient;
import dev.berth.policy.docker.DockerJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs every check of {@code berth doctor} for one host. A check that cannot read what it needs
 * reports a warning that says so; it never passes silently.
 */
public final class Doctor {
  private static final ObjectMapper JSON = DockerJson.mapper();

  /** Where to look; the defaults are those of the Debian package. */
  public record Paths(
      Path upstream,
      Path daemonConfig,
      Path pluginDir,
      Path policy,
      Path auditLog,
      Path stateDir,
      Path berthSocket,
      Path proc) {}

  private final Paths paths;
  private final Mode mode;
  private final GroupMembers members;

  public Doctor(Paths paths, Mode mode) {
    this(paths, mode, new NssGroupMembers());
  }

  Doctor(Paths paths, Mode mode, GroupMembers members) {
    this.paths = paths;
    this.mode = mode;
    this.members = members;
  }

  /** Every finding, in the order they are printed. */
  public List<Finding> run(DaemonClient daemon) {
    List<Finding> out = new ArrayList<>();
    guarded(
        out,
        DaemonSocketCheck.NAME,
        () -> List.of(DaemonSocketCheck.check(paths.upstream(), members)));
    guarded(out, DaemonConfigCheck.ENDPOINTS, this::daemonSettings);
    guarded(out, DaemonVersionCheck.NAME, () -> daemonApi(daemon));
    guarded(
        out,
        PluginDirectoryCheck.NAME,
        () -> List.of(PluginDirectoryCheck.check(paths.pluginDir())));
    guarded(out, "policy file", () -> List.of(BerthFilesCheck.policy(paths.policy())));
    guarded(
        out,
        "audit trail",
        () ->
            List.of(
                BerthFilesCheck.privateDirectory(
                    "audit trail", requireNonNull(paths.auditLog().toAbsolutePath().getParent()))));
    guarded(
        out,
        "state directory",
        () -> List.of(BerthFilesCheck.privateDirectory("state directory", paths.stateDir())));
    if (mode == Mode.PROXY) {
      guarded(out, "berth socket", () -> List.of(BerthFilesCheck.socket(paths.berthSocket())));
    }
    return out;
  }

  private List<Finding> daemonSettings() throws IOException {
    Optional<DaemonProcess> p = DaemonProcess.serving(paths.proc(), paths.upstream());
    List<String> args = p.map(DaemonProcess::args).orElse(List.of("dockerd"));
    List<String> listeners = p.isPresent() ? p.get().tcpListeners(paths.proc()) : List.of();
    List<Finding> out = new ArrayList<>();
    if (p.isEmpty()) {
      out.add(
          Finding.warn(
              DaemonConfigCheck.ENDPOINTS,
              "no dockerd process serving "
                  + paths.upstream()
                  + " was found; only "
                  + paths.daemonConfig()
                  + " was read",
              "run berth doctor as root on the daemon's host"));
    }
    out.addAll(
        DaemonConfigCheck.check(DaemonSettings.read(args, paths.daemonConfig()), listeners, mode));
    return out;
  }

  private List<Finding> daemonApi(DaemonClient daemon) throws IOException {
    JsonNode version = get(daemon, "/version");
    JsonNode info = get(daemon, "/info");
    List<Finding> out =
        new ArrayList<>(DaemonVersionCheck.check(version.path("Version").asText("unknown"), mode));
    out.add(
        Finding.ok(
            "live-restore",
            info.path("LiveRestoreEnabled").asBoolean(false)
                ? "on: containers keep running while dockerd restarts"
                : "off: a dockerd restart stops every user's containers"));
    out.add(AddressPoolCheck.check(info.path("DefaultAddressPools")));
    if (mode == Mode.PLUGIN) {
      List<String> authz = new ArrayList<>();
      info.path("Plugins").path("Authorization").forEach(n -> authz.add(n.asText()));
      out.add(
          authz.contains("berth")
              ? Finding.ok("authorization plugin", "dockerd asks " + authz)
              : Finding.fail(
                  "authorization plugin",
                  "dockerd does not ask berth (its authorization " + "plugins: " + authz + ")",
                  "start dockerd with --authorization-plugin=berth"));
    }
    return out;
  }

  private static JsonNode get(DaemonClient daemon, String path) throws IOException {
    DaemonClient.Answer a = daemon.call("GET", path, null);
    if (a.status() != 200) {
      throw new IOException("GET " + path + " answered " + a.status());
    }
    return JSON.readTree(a.body());
  }

  private interface Check {
    List<Finding> run() throws IOException;
  }

  private static void guarded(List<Finding> out, String name, Check check) {
    try {
      out.addAll(check.run());
    } catch (IOException | RuntimeException e) {
      out.add(
          Finding.warn(
              name,
              "could not be checked: " + e.getMessage(),
              "run berth doctor as root on the daemon's host"));
    }
  }
}
