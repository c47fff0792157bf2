/**
 * The audit trail: one hash-chained JSON line per decision, durable before an allowed request is
 * forwarded. Depends on the JDK and Jackson only; the policy engine knows nothing of it.
 */
package dev.berth.audit;
