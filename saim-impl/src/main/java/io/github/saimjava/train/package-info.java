/**
 * Training: the PyTorch-exact AdamW with the reference's no-decay rule, the learning-rate
 * schedule, and the check of one training step against the reference implementation.
 */
@NullMarked
package io.github.saimjava.train;

import org.jspecify.annotations.NullMarked;
