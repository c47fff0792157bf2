package dev.berth.cli.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.audit.AuditFiles;
import dev.berth.audit.AuditVerifier;
import dev.berth.daemon.DaemonClient;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.Owner;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.Quota;
import dev.berth.policy.Role;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.docker.DockerJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What the dashboard shows, as JSON, read when asked: the daemon's containers, volumes and images
 * grouped by owner (their labels, and berth's owner store for images), each owner's role and quota
 * from the policy in force, and the audit trail's refusals, search and chain status. Read-only: it
 * only ever sends GETs to the daemon and reads the audit file.
 */
final class DashboardData {
  private static final ObjectMapper JSON = DockerJson.mapper();
  private static final String OWNER_UID = "dev.berth.owner.uid";

  /** The most records a search or the refusal list returns (the newest). */
  static final int MAX_RECORDS = 200;

  private final DaemonClient daemon;
  private final OwnerStore owners;
  private final UserDirectory users;
  private final Supplier<PolicyEngine> policies;
  private final Path auditLog;

  DashboardData(
      DaemonClient daemon,
      OwnerStore owners,
      UserDirectory users,
      Supplier<PolicyEngine> policies,
      Path auditLog) {
    this.daemon = daemon;
    this.owners = owners;
    this.users = users;
    this.policies = policies;
    this.auditLog = auditLog;
  }

  /** Per owner: containers (running, all), volumes, images, role and container quota. */
  ObjectNode overview() throws IOException {
    Map<Integer, ObjectNode> byUid = new TreeMap<>();
    for (JsonNode c : get("/containers/json?all=1")) {
      ObjectNode u = owner(byUid, c.path("Labels").path(OWNER_UID).asText(""));
      u.put("containers", u.path("containers").asInt() + 1);
      if ("running".equals(c.path("State").asText())) {
        u.put("running", u.path("running").asInt() + 1);
      }
    }
    for (JsonNode v : get("/volumes").path("Volumes")) {
      ObjectNode u = owner(byUid, v.path("Labels").path(OWNER_UID).asText(""));
      u.put("volumes", u.path("volumes").asInt() + 1);
    }
    for (JsonNode i : get("/images/json")) {
      Optional<Owner> o = owners.imageOwner(i.path("Id").asText());
      ObjectNode u = owner(byUid, o.map(x -> Integer.toString(x.uid())).orElse(""));
      u.put("images", u.path("images").asInt() + 1);
    }
    PolicyEngine engine = policies.get();
    ArrayNode list = JSON.createArrayNode();
    for (Map.Entry<Integer, ObjectNode> e : byUid.entrySet()) {
      ObjectNode u = e.getValue();
      for (String k : List.of("containers", "running", "volumes", "images")) {
        u.put(k, u.path(k).asInt());
      }
      if (e.getKey() >= 0) {
        describe(u, e.getKey(), engine);
      } else {
        u.put("user", "(nobody's)");
      }
      list.add(u);
    }
    ObjectNode out = JSON.createObjectNode();
    out.set("users", list);
    return out;
  }

  private void describe(ObjectNode u, int uid, PolicyEngine engine) {
    try {
      Optional<UserDirectory.Account> a = users.byUid(uid);
      if (a.isEmpty()) {
        u.put("user", "uid " + uid);
        return;
      }
      UserDirectory.Account acc = a.get();
      u.put("user", acc.name());
      Optional<Role> role =
          engine
              .policy()
              .roleOf(
                  new Principal(
                      acc.uid(), acc.gid(), -1, acc.name(), acc.home(), acc.groups(), -1));
      u.put("role", role.map(Role::name).orElse("(none)"));
      role.map(Role::quota)
          .filter(q -> q.containers() > 0)
          .ifPresent((Quota q) -> u.put("quotaContainers", q.containers()));
    } catch (UserDirectory.LookupException e) {
      u.put("user", "uid " + uid + " (" + e.getMessage() + ")");
    }
  }

  private static ObjectNode owner(Map<Integer, ObjectNode> byUid, String label) {
    int uid;
    try {
      uid = label.isEmpty() ? -1 : Integer.parseInt(label);
    } catch (NumberFormatException e) {
      uid = -1;
    }
    return byUid.computeIfAbsent(
        uid,
        k -> {
          ObjectNode n = JSON.createObjectNode();
          n.put("uid", k);
          return n;
        });
  }

  private JsonNode get(String path) throws IOException {
    DaemonClient.Answer a = daemon.call("GET", path, null);
    if (a.status() != 200) {
      throw new IOException("the daemon answered " + a.status() + " to GET " + path);
    }
    return JSON.readTree(a.body());
  }

  /** Refusals in the active audit file: counts by rule, and the newest ones. */
  ObjectNode refusals() throws IOException {
    Map<String, Integer> byRule = new TreeMap<>();
    Deque<JsonNode> recent = new ArrayDeque<>();
    for (JsonNode n : records()) {
      if (!"deny".equals(n.path("decision").asText())) {
        continue;
      }
      byRule.merge(n.path("rule").asText(), 1, Integer::sum);
      recent.addFirst(summary(n));
      if (recent.size() > MAX_RECORDS) {
        recent.removeLast();
      }
    }
    ObjectNode out = JSON.createObjectNode();
    ObjectNode rules = out.putObject("byRule");
    byRule.forEach(rules::put);
    out.putArray("recent").addAll(recent);
    return out;
  }

  /** Decisions matching every filter given (null: any), newest first. */
  ArrayNode search(
      @Nullable String user,
      @Nullable String action,
      @Nullable String decision,
      @Nullable String text)
      throws IOException {
    Deque<JsonNode> hits = new ArrayDeque<>();
    for (JsonNode n : records()) {
      if (n.has("result")) {
        continue;
      }
      JsonNode p = n.path("principal");
      boolean hit =
          (user == null
                  || user.equals(p.path("user").asText())
                  || user.equals(p.path("uid").asText()))
              && (action == null || action.equals(n.path("action").asText()))
              && (decision == null || decision.equals(n.path("decision").asText()))
              && (text == null
                  || n.path("path").asText().contains(text)
                  || n.path("reason").asText().contains(text));
      if (hit) {
        hits.addFirst(summary(n));
        if (hits.size() > MAX_RECORDS) {
          hits.removeLast();
        }
      }
    }
    ArrayNode out = JSON.createArrayNode();
    out.addAll(hits);
    return out;
  }

  /** {@code berth audit verify} of the active file. */
  ObjectNode chain() throws IOException {
    ObjectNode out = JSON.createObjectNode();
    if (!Files.exists(auditLog)) {
      out.put("ok", true).put("records", 0).put("file", auditLog.toString());
      return out;
    }
    AuditVerifier.Result r = AuditVerifier.verify(auditLog);
    out.put("ok", r.chainOk())
        .put("records", r.records())
        .put("head", r.head())
        .put("file", auditLog.toString());
    r.broken().ifPresent(b -> out.put("problem", b.file() + ":" + b.line() + ": " + b.problem()));
    return out;
  }

  /**
   * How many bytes of records the active audit file has (its size less the preallocated zero tail):
   * the live feed's cue to refresh.
   */
  long auditSize() {
    return AuditFiles.dataEnd(auditLog);
  }

  private List<JsonNode> records() throws IOException {
    if (!Files.exists(auditLog)) {
      return List.of();
    }
    List<String> lines = AuditFiles.records(auditLog);
    List<JsonNode> out = new ArrayList<>(lines.size());
    for (String l : lines) {
      if (!l.isBlank()) {
        out.add(JSON.readTree(l));
      }
    }
    return out;
  }

  private static JsonNode summary(JsonNode n) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("time", n.path("time").asText());
    m.put("seq", n.path("seq").asLong());
    m.put("user", n.path("principal").path("user").asText());
    m.put("decision", n.path("decision").asText());
    m.put("action", n.path("action").asText());
    m.put("method", n.path("method").asText());
    m.put("path", n.path("path").asText());
    m.put("rule", n.path("rule").asText());
    m.put("reason", n.path("reason").asText());
    return JSON.valueToTree(m);
  }
}
