/**
 * A small certificate authority for berth's TLS listener: one CA per host, server certificates for
 * berth's listener (and dockerd's), and per-user client certificates whose CommonName is the Unix
 * user name, with a revocation list.
 *
 * <p>The only module that depends on BouncyCastle; it must not depend on berth's other modules (the
 * CLI resolves users through NSS and passes names and ids in).
 */
@NullMarked
package dev.berth.pki;

import org.jspecify.annotations.NullMarked;
