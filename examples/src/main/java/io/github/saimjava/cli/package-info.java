/** The {@code saim} command-line program: one picocli subcommand per task. */
@NullMarked
package io.github.saimjava.cli;

import org.jspecify.annotations.NullMarked;
