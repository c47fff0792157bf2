/**
 * The socket benchmark (bench/run): a closed-loop HTTP/1.1 load generator over a unix domain
 * socket, JDK only. Depends on nothing of berth: it measures berth from outside, as a client.
 */
@NullMarked
package dev.berth.bench;

import org.jspecify.annotations.NullMarked;
