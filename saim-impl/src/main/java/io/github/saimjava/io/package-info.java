/**
 * Tensor files: safetensors reading and writing, a safe reader of PyTorch {@code torch.save}
 * checkpoints (no code from the file is ever run), name mapping between checkpoint conventions, and
 * the host-side tensor value they exchange. Every reader here treats its input as untrusted.
 */
@NullMarked
package io.github.saimjava.io;

import org.jspecify.annotations.NullMarked;
