/** The {@code berth} command line: the composition root, the only place that wires modules. */
package dev.berth.cli;
