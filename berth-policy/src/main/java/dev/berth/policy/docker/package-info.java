/**
 * Knowledge of the Docker Engine API: the route table, the strict JSON reader that mirrors Go's
 * {@code encoding/json} without its ambiguities, and the schemas of the bodies berth inspects.
 */
@NullMarked
package dev.berth.policy.docker;

import org.jspecify.annotations.NullMarked;
