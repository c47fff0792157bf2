/**
 * The audit trail: one hash-chained JSON line per decision, durable before an allowed request is
 * forwarded, rotated into files that continue the chain, with anchors of the chain head kept in
 * syslog (the C library, through FFM) or a file. Depends on the JDK and Jackson only; the policy
 * engine knows nothing of it.
 */
@NullMarked
package dev.berth.audit;

import org.jspecify.annotations.NullMarked;
