package io.github.saimjava.api;

/**
 * The number format a model computes in. Master weights, optimiser state, the target and the loss
 * are float32 in both.
 */
public enum Precision {
  /** Everything in float32 (the reference's numerics; what the parity fixtures check). */
  FP32,
  /**
   * bfloat16 compute: activations are bfloat16 from the patch embedding to the head (matrix
   * multiplies, attention, LayerNorm, GELU and residual sums; softmax and LayerNorm accumulate in
   * float32 inside their kernels); in training, weights are rounded to bfloat16 from their float32
   * masters on every forward pass, gradients come back as float32, and the loss is float32. For
   * inference ({@link SaimEncoder}, {@link SaimClassifier}) the weights are rounded once, when the
   * model is built. Fast where the hardware has bfloat16 instructions (x86 CPUs with AVX-512 BF16
   * or AMX, recent GPUs). On x86 CPUs without AVX-512 the engine's bfloat16 matrix multiply is tens
   * of times slower than float32: there the same operands are rounded to bfloat16 but multiplied by
   * the float32 kernels (bfloat16's products at float32's speed, no faster than {@link #FP32}), and
   * training says so once in the log.
   */
  BF16
}
