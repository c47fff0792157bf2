package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * berth's TCP listener with mutual TLS: callers present a client certificate of the CA, and its
 * CommonName names them.
 *
 * @param address where to listen
 * @param certificate the server certificate (PEM), e.g. from {@code berth pki server}
 * @param key its private key (PKCS#8 PEM)
 * @param ca the CA certificate(s) client certificates must chain to (PEM)
 * @param crl the CA's revocation list (PEM), re-read when it changes; null for none
 */
public record TlsListener(
    InetSocketAddress address, Path certificate, Path key, Path ca, Path crl) {
  public TlsListener {
    requireNonNull(address, "address");
    requireNonNull(certificate, "certificate");
    requireNonNull(key, "key");
    requireNonNull(ca, "ca");
  }
}
