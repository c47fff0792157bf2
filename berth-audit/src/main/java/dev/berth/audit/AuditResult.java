package dev.berth.audit;

import static java.util.Objects.requireNonNull;

/**
 * What came of a forwarded request, recorded after the daemon answered: its status, the id of the
 * object it created (a container, exec instance, volume or network), and how long it took.
 *
 * @param decisionId the decision this result belongs to
 * @param status the daemon's HTTP status (101 for a hijacked stream), or 0 when it never answered
 * @param objectId the created object's id or name, or ""
 * @param millis time from the request's arrival to the end of the response
 */
public record AuditResult(String decisionId, int status, String objectId, long millis)
    implements AuditRecord {
  public AuditResult {
    requireNonNull(decisionId, "decisionId");
    requireNonNull(objectId, "objectId");
  }
}
