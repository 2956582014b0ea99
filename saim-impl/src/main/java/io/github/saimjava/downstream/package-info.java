/** Downstream evaluation of encoders: the paper's linear probe on frozen features. */
@NullMarked
package io.github.saimjava.downstream;

import org.jspecify.annotations.NullMarked;
