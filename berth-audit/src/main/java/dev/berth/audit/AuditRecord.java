package dev.berth.audit;

/** A line of the audit trail: a decision, or the result of a forwarded request. */
public sealed interface AuditRecord permits AuditEvent, AuditResult {}
