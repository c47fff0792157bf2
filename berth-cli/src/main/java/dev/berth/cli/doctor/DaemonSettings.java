package dev.berth.cli.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.docker.DockerJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the daemon was told at start-up: its configuration file merged with its command line, the
 * way dockerd merges them (a setting in both places is an error to dockerd, so either source may be
 * read first). Only the settings the checks need are kept.
 *
 * @param hosts every {@code hosts} / {@code -H} endpoint ({@code unix://…}, {@code tcp://…}, …)
 * @param tlsVerify whether client certificates are required on TCP endpoints
 * @param networkHost {@code builder.Entitlements.network-host}; empty when unset (dockerd's default
 *     is on)
 * @param securityInsecure {@code builder.Entitlements.security-insecure}; empty when unset (off)
 * @param device {@code builder.Entitlements.device}; empty when unset (on)
 * @param usernsRemap whether {@code userns-remap} is set
 * @param configFile the configuration file that was read, if any
 */
record DaemonSettings(
    List<String> hosts,
    boolean tlsVerify,
    Optional<Boolean> networkHost,
    Optional<Boolean> securityInsecure,
    Optional<Boolean> device,
    boolean usernsRemap,
    Optional<Path> configFile) {
  private static final ObjectMapper JSON = DockerJson.mapper();

  DaemonSettings {
    hosts = List.copyOf(hosts);
  }

  /**
   * Reads the settings from a dockerd command line ({@code args[0]} is the program) and the
   * configuration file it names with {@code --config-file}, else {@code defaultConfig}.
   */
  static DaemonSettings read(List<String> args, Path defaultConfig) throws IOException {
    List<String> hosts = new ArrayList<>();
    boolean tlsVerify = false;
    boolean userns = false;
    Path config = defaultConfig;
    for (int i = 1; i < args.size(); i++) {
      String a = args.get(i);
      String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
      String inline = a.contains("=") ? a.substring(a.indexOf('=') + 1) : null;
      switch (name) {
        case "-H", "--host" -> {
          String v = inline != null ? inline : i + 1 < args.size() ? args.get(++i) : "";
          hosts.add(v);
        }
        case "--tlsverify" -> tlsVerify = inline == null || Boolean.parseBoolean(inline);
        case "--userns-remap" -> {
          String v = inline != null ? inline : i + 1 < args.size() ? args.get(++i) : "";
          userns = !v.isEmpty();
        }
        case "--config-file" ->
            config =
                Path.of(
                    inline != null
                        ? inline
                        : i + 1 < args.size() ? args.get(++i) : defaultConfig.toString());
        default -> {}
      }
    }
    Optional<Boolean> networkHost = Optional.empty();
    Optional<Boolean> insecure = Optional.empty();
    Optional<Boolean> device = Optional.empty();
    Optional<Path> read = Optional.empty();
    if (Files.isRegularFile(config)) {
      read = Optional.of(config);
      JsonNode json = JSON.readTree(Files.readAllBytes(config));
      if (json != null && json.isObject()) {
        json.path("hosts").forEach(h -> hosts.add(h.asText()));
        tlsVerify |= json.path("tlsverify").asBoolean(false);
        userns |= !json.path("userns-remap").asText("").isEmpty();
        JsonNode ents = json.path("builder").path("Entitlements");
        networkHost = flag(ents, "network-host");
        insecure = flag(ents, "security-insecure");
        device = flag(ents, "device");
      }
    }
    return new DaemonSettings(hosts, tlsVerify, networkHost, insecure, device, userns, read);
  }

  private static Optional<Boolean> flag(JsonNode node, String name) {
    JsonNode v = node.get(name);
    return v != null && v.isBoolean() ? Optional.of(v.booleanValue()) : Optional.empty();
  }
}
