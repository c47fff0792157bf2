/**
 * {@code berth doctor}: checks the host posture berth's guarantees rest on (the raw daemon socket
 * reachable by root only, no unauthenticated TCP endpoint, the daemon's build entitlements and
 * version, the plugin directory, berth's own files). Each check is a small class that turns facts
 * read from the file system, the daemon's configuration and its API into {@link
 * dev.berth.cli.doctor.Finding}s; {@code DoctorCommand} prints them and sets the exit status.
 * Depends on the JDK, Jackson and berth-daemon's client only.
 */
@NullMarked
package dev.berth.cli.doctor;

import org.jspecify.annotations.NullMarked;
