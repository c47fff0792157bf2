/**
 * The enforcement core: the one path from a caller and a canonical request to an action on the
 * daemon, shared by the proxy, the AuthZ plugin and the BuildKit mediator. See {@link
 * dev.berth.enforce.Enforcer}.
 */
@NullMarked
package dev.berth.enforce;

import org.jspecify.annotations.NullMarked;
