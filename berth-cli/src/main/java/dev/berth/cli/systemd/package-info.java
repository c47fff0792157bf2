/**
 * Running under systemd: readiness and stop notifications ({@code sd_notify}), the socket {@code
 * berth.socket} passes ({@code sd_listen_fds}), and log lines journald understands. Each piece is
 * inert outside systemd (its variables are absent). Depends on the JDK (FFM for the datagram socket
 * and {@code fcntl}) and on slf4j-api only.
 */
@NullMarked
package dev.berth.cli.systemd;

import org.jspecify.annotations.NullMarked;
