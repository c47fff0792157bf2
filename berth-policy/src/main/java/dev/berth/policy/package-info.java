/**
 * The policy model: who is asking ({@link dev.berth.policy.Principal}), what they ask for ({@link
 * dev.berth.policy.CanonicalRequest}), and the answer ({@link dev.berth.policy.Decision}).
 *
 * <p>This package and its sub-packages depend on the JDK and Jackson only. They do no I/O: both
 * entry points (the proxy, later the AuthZ plugin) hand them a fully read request.
 */
@NullMarked
package dev.berth.policy;

import org.jspecify.annotations.NullMarked;
