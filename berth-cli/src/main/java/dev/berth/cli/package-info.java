/** The {@code berth} command line: the composition root, the only place that wires modules. */
@NullMarked
package dev.berth.cli;

import org.jspecify.annotations.NullMarked;
