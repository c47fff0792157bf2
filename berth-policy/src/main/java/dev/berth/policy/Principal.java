package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The person behind a request, as the kernel reported it (unix socket) or a client certificate
 * named it (TLS), and NSS resolved it.
 *
 * @param uid the caller's uid (SO_PEERCRED; for TLS, NSS's uid of the certificate's CommonName)
 * @param gid the caller's primary gid (SO_PEERCRED; for TLS, the account's primary gid)
 * @param pid the caller's pid at connect time, or -1 when unknown (always for TLS)
 * @param name the user name NSS gives for {@code uid}
 * @param home the home directory NSS gives for {@code uid}
 * @param groups every gid the user belongs to (primary first), as NSS gives them
 * @param loginUid the audit login uid of the calling process ({@code /proc/PID/loginuid}); differs
 *     from {@code uid} for a caller that used sudo; -1 when unset or unknown (always for TLS)
 * @param tlsSubject the subject of the client certificate that named the caller (RFC 2253), or ""
 *     for a unix-socket caller
 */
public record Principal(
    int uid,
    int gid,
    int pid,
    String name,
    String home,
    List<Integer> groups,
    int loginUid,
    String tlsSubject) {

  public Principal {
    requireNonNull(name, "name");
    requireNonNull(home, "home");
    requireNonNull(tlsSubject, "tlsSubject");
    groups = List.copyOf(groups);
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("uid and gid must not be negative");
    }
  }

  /** A unix-socket caller. */
  public Principal(
      int uid, int gid, int pid, String name, String home, List<Integer> groups, int loginUid) {
    this(uid, gid, pid, name, home, groups, loginUid, "");
  }

  @Override
  public String toString() {
    return name + "(" + uid + ":" + gid + ")";
  }
}
