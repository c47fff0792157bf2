package dev.berth.plugin;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How the plugin runs.
 *
 * @param socket where the daemon finds the plugin ({@code /run/docker/plugins/berth.sock})
 * @param daemon the daemon's unix socket, asked about existing objects
 * @param crl the revocation list of berth's PKI, when certificates can be revoked
 * @param socketUser who a caller of the daemon's own unix socket (empty {@code User}) is taken to
 *     be; empty refuses such callers
 */
public record PluginConfig(
    Path socket, Path daemon, Optional<Path> crl, Optional<String> socketUser) {
  public PluginConfig {
    requireNonNull(socket, "socket");
    requireNonNull(daemon, "daemon");
    requireNonNull(crl, "crl");
    requireNonNull(socketUser, "socketUser");
  }
}
