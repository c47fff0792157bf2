package dev.berth.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place that knows how a record looks as a line of the trail, both ways.
 *
 * <p>Design note. {@link #encode} streams the fields in a fixed order through Jackson's generator,
 * so values are always JSON strings and numbers (no input can forge a line or a field) and the
 * bytes, which the chain hashes, are the same for the same record. {@link #decode} is lenient on
 * purpose: a field that is missing or of the wrong type reads as its empty value (as {@code
 * JsonNode.path} gives it), so the verifier can still check the chain of a record it could not
 * fully read and name the line; only text that is not JSON at all is refused. Optional fields are
 * written only when set ({@code reason}, {@code loginUid}, {@code tls}, {@code rewrites}, {@code
 * objectId}) and read back as their "not set" value.
 */
final class AuditCodec {
  private static final ObjectMapper JSON = AuditJson.mapper();

  private AuditCodec() {}

  /**
   * One line of the trail (without its newline), streamed through one generator: no tree per
   * record, and the same characters the mapper wrote for the tree it replaced (the writer thread
   * encodes every record of every request). A character generator, as the mapper used: a string
   * that is not valid UTF-16 (a lone surrogate from a JSON escape) is written as it is and becomes
   * '?' in the file's UTF-8, never an error that would fail the other records of its batch.
   */
  static String encode(long seq, String prev, String time, AuditRecord record) throws IOException {
    StringWriter out = new StringWriter(512);
    try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("seq", seq);
      g.writeStringField("prev", prev);
      g.writeStringField("time", time);
      switch (record) {
        case AuditEvent e -> decision(g, e);
        case AuditResult r -> result(g, r);
      }
      g.writeEndObject();
    }
    return out.toString();
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
    return new AuditEntry(
        n.path("seq").asLong(-1), n.path("prev").asText(), n.path("time").asText(), record, line);
  }

  private static void result(JsonGenerator g, AuditResult r) throws IOException {
    g.writeStringField("result", r.decisionId());
    g.writeNumberField("status", r.status());
    if (!r.objectId().isEmpty()) {
      g.writeStringField("objectId", r.objectId());
    }
    g.writeNumberField("millis", r.millis());
  }

  private static AuditResult result(JsonNode n) {
    return new AuditResult(
        n.path("result").asText(),
        n.path("status").asInt(),
        n.path("objectId").asText(),
        n.path("millis").asLong());
  }

  private static void decision(JsonGenerator g, AuditEvent e) throws IOException {
    g.writeStringField("decisionId", e.decisionId());
    g.writeStringField("decision", e.decision());
    g.writeStringField("rule", e.rule());
    if (!e.reason().isEmpty()) {
      g.writeStringField("reason", e.reason());
    }
    g.writeObjectFieldStart("principal");
    g.writeNumberField("uid", e.uid());
    g.writeStringField("user", e.user());
    g.writeNumberField("gid", e.gid());
    g.writeNumberField("pid", e.pid());
    if (e.loginUid() >= 0) {
      g.writeNumberField("loginUid", e.loginUid());
    }
    if (!e.tlsSubject().isEmpty()) {
      g.writeStringField("tls", e.tlsSubject());
    }
    g.writeEndObject();
    g.writeStringField("action", e.action());
    g.writeStringField("method", e.method());
    g.writeStringField("path", e.path());
    if (!e.rewrites().isEmpty()) {
      g.writeArrayFieldStart("rewrites");
      for (String r : e.rewrites()) {
        g.writeString(r);
      }
      g.writeEndArray();
    }
    g.writeStringField("policy", e.policyDigest());
  }

  private static AuditEvent decision(JsonNode n) {
    JsonNode who = n.path("principal");
    List<String> rewrites = new ArrayList<>();
    n.path("rewrites").forEach(r -> rewrites.add(r.asText()));
    return new AuditEvent(
        n.path("decisionId").asText(),
        n.path("decision").asText(),
        n.path("rule").asText(),
        n.path("reason").asText(),
        who.path("uid").asInt(),
        who.path("user").asText(),
        who.path("gid").asInt(),
        who.path("pid").asInt(),
        who.path("loginUid").asInt(-1),
        n.path("action").asText(),
        n.path("method").asText(),
        n.path("path").asText(),
        rewrites,
        n.path("policy").asText(),
        who.path("tls").asText());
  }
}
