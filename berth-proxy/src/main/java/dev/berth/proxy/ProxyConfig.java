package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Where the proxy listens and where it relays to.
 *
 * @param listen the unix socket berth creates
 * @param upstream the daemon's unix socket
 * @param socketMode permissions of {@code listen} (default {@code rw-rw-rw-}: every local user may
 *     connect; the policy decides what they may do)
 * @param socketGroup group owner of {@code listen}, or null to keep the process's group
 * @param threads event loop threads
 * @param inheritedFd a listening socket the service manager already bound to {@code listen}
 *     (systemd socket activation): served as it is, never bound, chmod-ed or removed
 */
public record ProxyConfig(Path listen, Path upstream, Set<PosixFilePermission> socketMode,
    String socketGroup, int threads, OptionalInt inheritedFd) {

  public static final Set<PosixFilePermission> DEFAULT_MODE =
      PosixFilePermissions.fromString("rw-rw-rw-");

  public ProxyConfig {
    requireNonNull(listen, "listen");
    requireNonNull(upstream, "upstream");
    socketMode = Set.copyOf(socketMode);
    requireNonNull(inheritedFd, "inheritedFd");
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1");
    }
  }

  /** A proxy that binds {@code listen} itself. */
  public ProxyConfig(Path listen, Path upstream, Set<PosixFilePermission> socketMode,
      String socketGroup, int threads) {
    this(listen, upstream, socketMode, socketGroup, threads, OptionalInt.empty());
  }
}
