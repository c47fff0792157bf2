/**
 * The rules for ordinary users' requests, behind {@link dev.berth.policy.PolicyEngine}: the query
 * allowlist ({@link dev.berth.policy.rules.QueryAllowlist}, reading the table), body rules per body
 * kind ({@link dev.berth.policy.rules.BodyRules} and the classes it names), and ownership of
 * existing objects per object kind ({@link dev.berth.policy.rules.OwnershipRules} and the classes
 * it names). Rules only read the {@link dev.berth.policy.ObjectDirectory}; what must change on the
 * daemon first is planned as an {@link dev.berth.policy.Effect}. Not exported: the engine is the
 * API.
 */
@NullMarked
package dev.berth.policy.rules;

import org.jspecify.annotations.NullMarked;
