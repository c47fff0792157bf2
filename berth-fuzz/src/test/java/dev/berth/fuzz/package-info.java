/**
 * Fuzz tests (Jazzer) of what berth judges and forwards. The property every target checks: berth
 * either refuses, or forwards exactly what it judged (its forwarded request, judged again, is
 * allowed unchanged: a fixed point) and nothing unsafe (the create invariants of {@link
 * dev.berth.fuzz.SafeCreate}). Any other exception than berth's own refusal is a finding. Findings
 * are saved under {@code src/test/resources/dev/berth/fuzz/<Test>Inputs/} by Jazzer and replayed by
 * every build from then on (regression mode), so each becomes a named test.
 */
@NullMarked
package dev.berth.fuzz;

import org.jspecify.annotations.NullMarked;
