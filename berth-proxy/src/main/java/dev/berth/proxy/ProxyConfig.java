package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalInt;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Where the proxy listens and where it relays to.
 *
 * @param listen the unix socket berth creates, or null when berth listens on TCP only
 * @param upstream the daemon's unix socket
 * @param socketMode permissions of {@code listen} (default {@code rw-rw-rw-}: every local user may
 *     connect; the policy decides what they may do)
 * @param socketGroup group owner of {@code listen}, or null to keep the process's group
 * @param threads event loop threads
 * @param tls the TCP listener with mutual TLS, or null for none
 * @param inheritedFd a listening socket the service manager already bound to {@code listen}
 *     (systemd socket activation): served as it is, never bound, chmod-ed or removed
 * @param bounds what one client may hold of berth, and for how long
 */
public record ProxyConfig(
    @Nullable Path listen,
    Path upstream,
    Set<PosixFilePermission> socketMode,
    String socketGroup,
    int threads,
    @Nullable TlsListener tls,
    OptionalInt inheritedFd,
    ClientBounds bounds) {

  public static final Set<PosixFilePermission> DEFAULT_MODE =
      PosixFilePermissions.fromString("rw-rw-rw-");

  /** A unix-socket listener only, bound by berth. */
  public ProxyConfig(
      Path listen,
      Path upstream,
      Set<PosixFilePermission> socketMode,
      String socketGroup,
      int threads) {
    this(
        requireNonNull(listen, "listen"),
        upstream,
        socketMode,
        socketGroup,
        threads,
        null,
        OptionalInt.empty(),
        ClientBounds.DEFAULT);
  }

  /** Listeners bound by berth. */
  public ProxyConfig(
      @Nullable Path listen,
      Path upstream,
      Set<PosixFilePermission> socketMode,
      String socketGroup,
      int threads,
      @Nullable TlsListener tls) {
    this(
        listen,
        upstream,
        socketMode,
        socketGroup,
        threads,
        tls,
        OptionalInt.empty(),
        ClientBounds.DEFAULT);
  }

  public ProxyConfig {
    if (listen == null && tls == null) {
      throw new IllegalArgumentException("berth needs a unix socket or a TLS listener");
    }
    requireNonNull(upstream, "upstream");
    socketMode = Set.copyOf(socketMode);
    requireNonNull(inheritedFd, "inheritedFd");
    requireNonNull(bounds, "bounds");
    if (inheritedFd.isPresent() && listen == null) {
      throw new IllegalArgumentException("an inherited socket needs its path (--listen)");
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1");
    }
  }

  /** The same, serving {@code fd} (when present) instead of binding {@code listen}. */
  public ProxyConfig withInheritedFd(OptionalInt fd) {
    return new ProxyConfig(listen, upstream, socketMode, socketGroup, threads, tls, fd, bounds);
  }

  /** The same, with other bounds per client. */
  public ProxyConfig withBounds(ClientBounds newBounds) {
    return new ProxyConfig(
        listen, upstream, socketMode, socketGroup, threads, tls, inheritedFd, newBounds);
  }
}
