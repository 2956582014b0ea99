package io.github.saimjava.api;

/**
 * The number format of a model's matrix multiplies. Master weights, optimiser state, LayerNorm,
 * softmax, the target and the loss stay float32 in both; what autocast does on a GPU.
 */
public enum Precision {
  /** Everything in float32 (the reference's numerics; what the parity fixtures check). */
  FP32,
  /**
   * Matrix multiplies (linear layers and the two attention products) take bfloat16 inputs and give
   * bfloat16 outputs; weights are rounded to bfloat16 on every forward pass from their float32
   * masters, and gradients come back as float32. Fast where the hardware has bfloat16 instructions
   * (x86 CPUs with AVX-512 BF16 or AMX, recent GPUs); elsewhere the engine emulates it slowly.
   */
  BF16
}
