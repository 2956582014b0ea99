/**
 * Tensor files: safetensors reading and writing, and the host-side tensor value they exchange.
 * Every reader here treats its input as untrusted.
 */
@NullMarked
package io.github.saimjava.io;

import org.jspecify.annotations.NullMarked;
