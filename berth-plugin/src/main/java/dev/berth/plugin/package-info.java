/**
 * berth as a Docker AuthZ plugin: for sites that keep dockerd's own TLS endpoint with per-user
 * client certificates. The daemon asks before and after each API call; the same policy engine
 * judges, but since a plugin cannot change a request, where the proxy would rewrite the plugin
 * refuses and says which flags to add.
 */
@NullMarked
package dev.berth.plugin;

import org.jspecify.annotations.NullMarked;
