/**
 * The policy file: YAML read into validated, immutable {@link dev.berth.policy.Policy} records,
 * with every error located ({@code policy.yaml:14:9 roles.user.actions[2]: ...}). The only importer
 * of SnakeYAML.
 */
@NullMarked
package dev.berth.policy.yaml;

import org.jspecify.annotations.NullMarked;
