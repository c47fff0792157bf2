/**
 * User and group lookups through the C library, so that every NSS source the host is configured
 * with (files, LDAP, SSSD, …) answers exactly as it does for {@code id} and {@code ls -l}. Uses the
 * FFM API (no JNI, no private user database, no parsing of {@code /etc/passwd}).
 */
@NullMarked
package dev.berth.nss;

import org.jspecify.annotations.NullMarked;
