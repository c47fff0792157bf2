/**
 * Knowledge of the Docker Engine API: one {@link dev.berth.policy.docker.ActionSpec} per action in
 * {@link dev.berth.policy.docker.DockerApi} (routes, body kind and schema, query parameters,
 * objects named and created, ownership kind, plugin mode, reference links), the route table
 * compiled from it, the strict JSON reader that mirrors Go's {@code encoding/json} without its
 * ambiguities, and the schemas of the bodies berth inspects. How to add an action: {@code
 * docs/adding-an-action.md}.
 */
@NullMarked
package dev.berth.policy.docker;

import org.jspecify.annotations.NullMarked;
