/**
 * The filtering proxy: a unix-socket listener that learns each caller from the kernel
 * (SO_PEERCRED), judges every request with the {@link dev.berth.policy.PolicyEngine}, and relays
 * what is allowed, re-serialised, to the real daemon. Holds no policy logic of its own.
 */
@NullMarked
package dev.berth.proxy;

import org.jspecify.annotations.NullMarked;
