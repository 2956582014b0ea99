package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import org.jspecify.annotations.Nullable;

/**
 * The engine's fused scaled-dot-product attention for the training step, forward and backward:
 * {@code softmax(q k^T / sqrt(d) + mask) v} as one engine operator (and one in the backward pass)
 * instead of the explicit products, scaling, mask addition and softmax with their gradients. The
 * same function; the kernel accumulates in float32 and never rounds the logits or the
 * probabilities, so under bfloat16 it rounds less often than the explicit path (which keeps both in
 * bfloat16), and in float32 the results differ by summation order.
 *
 * <p>Off by default: on an AVX-512 AMD machine the fused kernel was slower in training than the
 * explicit products (benchmarks/NOTES.md). The system property {@value #PROPERTY} ({@code true} or
 * {@code false}) turns it on, so that both sides can be timed.
 */
final class TrainingKernels {
  /** System property choosing the fused attention in training: {@code true} or {@code false}. */
  static final String PROPERTY = "saim.train.fusedAttention";

  /** TorchScript source: attention with an additive mask, and without one. */
  private static final String SOURCE =
      String.join(
          "\n",
          "class TrainingKernels(Module):",
          "  __parameters__ = []",
          "  __buffers__ = []",
          "  training : bool",
          "  def forward(self: __torch__.TrainingKernels,",
          "    q: Tensor, k: Tensor, v: Tensor, mask: Tensor) -> Tensor:",
          "    return torch.scaled_dot_product_attention(q, k, v, mask)",
          "  def attention(self: __torch__.TrainingKernels,",
          "    q: Tensor, k: Tensor, v: Tensor) -> Tensor:",
          "    return torch.scaled_dot_product_attention(q, k, v)",
          "");

  private final PtSymbolBlock module;

  private TrainingKernels(PtSymbolBlock module) {
    this.module = module;
  }

  /**
   * The kernels on {@code manager} (which owns them) when {@value #PROPERTY} asks for them, else
   * null.
   *
   * @throws IllegalArgumentException when {@value #PROPERTY} is neither {@code true} nor {@code
   *     false}
   */
  static @Nullable TrainingKernels load(NDManager manager) {
    return fusedAttention()
        ? new TrainingKernels(ScriptModule.load(manager, "TrainingKernels", SOURCE))
        : null;
  }

  /**
   * Whether {@value #PROPERTY} asks for the fused attention in training (false when unset).
   *
   * @throws IllegalArgumentException when it is neither {@code true} nor {@code false}
   */
  static boolean fusedAttention() {
    return flag(PROPERTY);
  }

  /**
   * Whether {@value #FUSED_BIAS} asks for the linear layers' bias fused into their matrix multiply
   * (false when unset): the input flattened to {@code rows x in} and one {@code addmm}, which
   * starts from the bias and accumulates the products onto it, instead of the engine's {@code
   * matmul} of the {@code B x T x in} input followed by a separate bias addition (and a separate
   * addition's backward). The same function; in float32 the sums are rounded in another order.
   *
   * @throws IllegalArgumentException when it is neither {@code true} nor {@code false}
   */
  static boolean fusedBias() {
    return flag(FUSED_BIAS);
  }

  /**
   * System property fusing the linear layers' bias into the multiply: {@code true} or {@code
   * false}.
   */
  static final String FUSED_BIAS = "saim.train.fusedBias";

  private static boolean flag(String property) {
    String v = System.getProperty(property);
    if (v == null || v.equals("false")) {
      return false;
    }
    if (v.equals("true")) {
      return true;
    }
    throw new IllegalArgumentException(
        "-D" + property + "=" + v + " is neither 'true' nor 'false'");
  }

  /**
   * {@code softmax(q k^T / sqrt(d) + mask) v}: q {@code B x H x T x d}, k and v {@code B x H x S x
   * d}, mask broadcastable to {@code B x H x T x S} in q's type, or null for none.
   */
  NDArray attention(NDArray q, NDArray k, NDArray v, @Nullable NDArray mask) {
    return mask == null
        ? ScriptModule.call(module, "attention", q, q, k, v)
        : ScriptModule.call(module, "forward", q, q, k, v, mask);
  }
}
