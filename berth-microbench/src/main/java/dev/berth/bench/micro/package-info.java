/**
 * Micro-benchmarks of policy decisions (bench/policy) and durable audit records (bench/audit), run
 * in-process against berth-policy and berth-audit.
 */
@NullMarked
package dev.berth.bench.micro;

import org.jspecify.annotations.NullMarked;
