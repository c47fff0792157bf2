package dev.berth.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place that knows how a record looks as a line of the trail, both ways.
 *
 * <p>Design note. {@link #encode} writes the fields in a fixed order with Jackson, so values are
 * always JSON strings and numbers (no input can forge a line or a field) and the bytes, which the
 * chain hashes, are the same for the same record. {@link #decode} is lenient on purpose: a field
 * that is missing or of the wrong type reads as its empty value (as {@code JsonNode.path} gives
 * it), so the verifier can still check the chain of a record it could not fully read and name the
 * line; only text that is not JSON at all is refused. Optional fields are written only when set
 * ({@code reason}, {@code loginUid}, {@code tls}, {@code rewrites}, {@code objectId}) and read back
 * as their "not set" value.
 */
final class AuditCodec {
  private static final ObjectMapper JSON = AuditJson.mapper();

  private AuditCodec() {}

  /** One line of the trail (without its newline). */
  static String encode(long seq, String prev, String time, AuditRecord record)
      throws IOException {
    ObjectNode json = JSON.createObjectNode();
    json.put("seq", seq);
    json.put("prev", prev);
    json.put("time", time);
    switch (record) {
      case AuditEvent e -> decision(json, e);
      case AuditResult r -> result(json, r);
    }
    return JSON.writeValueAsString(json);
  }

  /**
   * Reads a line. A missing {@code seq} reads as -1, other missing fields as "", 0 or -1 (see the
   * design note).
   *
   * @throws IOException when the line is not JSON
   */
  static AuditEntry decode(String line) throws IOException {
    JsonNode n = JSON.readTree(line);
    AuditRecord record = n.has("result") ? result(n) : decision(n);
    return new AuditEntry(n.path("seq").asLong(-1), n.path("prev").asText(),
        n.path("time").asText(), record, line);
  }

  private static void result(ObjectNode n, AuditResult r) {
    n.put("result", r.decisionId());
    n.put("status", r.status());
    if (!r.objectId().isEmpty()) {
      n.put("objectId", r.objectId());
    }
    n.put("millis", r.millis());
  }

  private static AuditResult result(JsonNode n) {
    return new AuditResult(n.path("result").asText(), n.path("status").asInt(),
        n.path("objectId").asText(), n.path("millis").asLong());
  }

  private static void decision(ObjectNode n, AuditEvent e) {
    n.put("decisionId", e.decisionId());
    n.put("decision", e.decision());
    n.put("rule", e.rule());
    if (!e.reason().isEmpty()) {
      n.put("reason", e.reason());
    }
    ObjectNode who = n.putObject("principal");
    who.put("uid", e.uid());
    who.put("user", e.user());
    who.put("gid", e.gid());
    who.put("pid", e.pid());
    if (e.loginUid() >= 0) {
      who.put("loginUid", e.loginUid());
    }
    if (!e.tlsSubject().isEmpty()) {
      who.put("tls", e.tlsSubject());
    }
    n.put("action", e.action());
    n.put("method", e.method());
    n.put("path", e.path());
    if (!e.rewrites().isEmpty()) {
      e.rewrites().forEach(n.putArray("rewrites")::add);
    }
    n.put("policy", e.policyDigest());
  }

  private static AuditEvent decision(JsonNode n) {
    JsonNode who = n.path("principal");
    List<String> rewrites = new ArrayList<>();
    n.path("rewrites").forEach(r -> rewrites.add(r.asText()));
    return new AuditEvent(n.path("decisionId").asText(), n.path("decision").asText(),
        n.path("rule").asText(), n.path("reason").asText(), who.path("uid").asInt(),
        who.path("user").asText(), who.path("gid").asInt(), who.path("pid").asInt(),
        who.path("loginUid").asInt(-1), n.path("action").asText(), n.path("method").asText(),
        n.path("path").asText(), rewrites, n.path("policy").asText(), who.path("tls").asText());
  }
}
