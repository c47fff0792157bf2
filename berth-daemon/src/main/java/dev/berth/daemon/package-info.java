/**
 * What berth asks the Docker daemon on its own behalf, shared by the proxy and the AuthZ plugin: a
 * small client for one-off requests, the {@link dev.berth.policy.ObjectDirectory} that resolves and
 * inspects objects through it, and the durable store of owners for objects without labels.
 */
@NullMarked
package dev.berth.daemon;

import org.jspecify.annotations.NullMarked;
