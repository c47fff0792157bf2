package dev.berth.audit;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One decision, as the audit trail records it. Values are data: the log encodes them as JSON
 * strings, so no input can forge a line or a field. Bodies, environment values and registry
 * credentials are never part of an event.
 *
 * @param decisionId identifies this decision; the result record of a forwarded request names it
 * @param decision allow, deny or error
 * @param rule the rule that decided
 * @param reason the refusal shown to the user, or ""
 * @param uid the caller's uid (-1 when not identified)
 * @param user the caller's user name, or ""
 * @param gid the caller's gid
 * @param pid the caller's pid at connect time
 * @param loginUid the audit login uid of the caller when it differs from uid (sudo), else -1
 * @param action the API action, or "" for an unknown route
 * @param method the HTTP method
 * @param path the canonical path (with the version prefix stripped)
 * @param rewrites what berth changed in the request
 * @param policyDigest SHA-256 of the policy in force
 * @param tlsSubject the subject of the caller's client certificate (TLS listener), or ""
 */
public record AuditEvent(
    String decisionId,
    String decision,
    String rule,
    String reason,
    int uid,
    String user,
    int gid,
    int pid,
    int loginUid,
    String action,
    String method,
    String path,
    List<String> rewrites,
    String policyDigest,
    String tlsSubject)
    implements AuditRecord {

  /** A decision about a unix-socket caller (no client certificate). */
  public AuditEvent(
      String decisionId,
      String decision,
      String rule,
      String reason,
      int uid,
      String user,
      int gid,
      int pid,
      int loginUid,
      String action,
      String method,
      String path,
      List<String> rewrites,
      String policyDigest) {
    this(
        decisionId,
        decision,
        rule,
        reason,
        uid,
        user,
        gid,
        pid,
        loginUid,
        action,
        method,
        path,
        rewrites,
        policyDigest,
        "");
  }

  public AuditEvent {
    requireNonNull(decisionId, "decisionId");
    requireNonNull(decision, "decision");
    requireNonNull(rule, "rule");
    requireNonNull(reason, "reason");
    requireNonNull(user, "user");
    requireNonNull(action, "action");
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    rewrites = List.copyOf(rewrites);
    requireNonNull(policyDigest, "policyDigest");
    requireNonNull(tlsSubject, "tlsSubject");
  }
}
