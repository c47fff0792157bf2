package dev.berth.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON factory of the audit trail: every mapper that writes or reads audit records is built
 * here, so one place decides how records are encoded. berth-audit stands alone (it does not depend
 * on berth-policy, whose {@code DockerJson} is the factory for request bodies).
 */
public final class AuditJson {
  private AuditJson() {}

  /** A new mapper with Jackson's defaults (each caller may configure its own copy). */
  public static ObjectMapper mapper() {
    return JsonMapper.builder().build();
  }
}
