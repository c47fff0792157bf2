package dev.berth.proxy;

import dev.berth.policy.Principal;
import io.netty.channel.Channel;
import org.jspecify.annotations.Nullable;

/**
 * Who is on the other end of a client connection. Each listener has its own: the unix socket asks
 * the kernel ({@link UnixPeerIdentity}), the TLS listener reads the client certificate ({@link
 * TlsPeerIdentity}). Both resolve the caller through NSS to the same {@link Principal}, so policy,
 * ownership and audit do not depend on how the caller connected.
 */
sealed interface PeerIdentity permits UnixPeerIdentity, TlsPeerIdentity {

  /**
   * The principal of this connection, asked once when the connection is ready (after the TLS
   * handshake on the TLS listener).
   *
   * @throws IdentityException when the peer cannot be identified; the caller is refused
   */
  Principal resolve(Channel channel) throws IdentityException;

  /** The peer could not be identified. */
  final class IdentityException extends Exception {
    IdentityException(@Nullable String message) {
      super(message);
    }
  }
}
