package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's inference-only CPU kernels for float32 forwards that record no gradient: oneDNN's
 * linear layer (with the exact GELU applied inside it for an MLP's first layer, instead of a second
 * pass over its output) and the fused scaled-dot-product attention. The same functions as {@code
 * linear}, {@code gelu(linear)} and {@code softmax(q k^T / sqrt(d)) v}; results differ from the
 * default kernels by rounding only (about 1e-7 relative).
 *
 * <p>Used by default on the CPU kind where they were measured faster (x86-64 without AVX-512,
 * {@code benchmarks/NOTES.md}); elsewhere the default kernels stay until measured. The system
 * property {@value #PROPERTY} forces the choice: {@code onednn} or {@code default}.
 */
public final class InferenceKernels {
  /** System property forcing the choice: {@code onednn} or {@code default}. */
  static final String PROPERTY = "saim.inference.kernels";

  private static final Logger LOG = LoggerFactory.getLogger(InferenceKernels.class);

  private static final String NO_SCALARS = "annotate(List[Optional[number]], [])";

  /** TorchScript for oneDNN's linear layer {@code x w^T + b} of the arguments {@code x, w, b}. */
  static final String LINEAR =
      "ops.mkldnn._linear_pointwise(x, w, b, \"none\", " + NO_SCALARS + ", \"\")";

  /**
   * TorchScript for oneDNN's linear layer with the exact GELU applied inside it, {@code gelu(x w^T
   * + b)}, of the arguments {@code x, w, b}.
   */
  static final String LINEAR_GELU =
      "ops.mkldnn._linear_pointwise(x, w, b, \"gelu\", " + NO_SCALARS + ", \"none\")";

  /** TorchScript source; the forward is the plain linear layer. */
  private static final String SOURCE =
      String.join(
          "\n",
          "class InferenceKernels(Module):",
          "  __parameters__ = []",
          "  __buffers__ = []",
          "  training : bool",
          "  def forward(self: __torch__.InferenceKernels,",
          "    x: Tensor, w: Tensor, b: Tensor) -> Tensor:",
          "    return " + LINEAR,
          "  def linear_gelu(self: __torch__.InferenceKernels,",
          "    x: Tensor, w: Tensor, b: Tensor) -> Tensor:",
          "    return " + LINEAR_GELU,
          "  def attention(self: __torch__.InferenceKernels,",
          "    q: Tensor, k: Tensor, v: Tensor) -> Tensor:",
          "    return torch.scaled_dot_product_attention(q, k, v)",
          "");

  private final PtSymbolBlock module;

  private InferenceKernels(PtSymbolBlock module) {
    this.module = module;
  }

  /**
   * The kernels on {@code manager} (which owns them) when this CPU uses them, or null: on a GPU,
   * where {@value #PROPERTY} says {@code default}, on a CPU kind they were not measured on, or when
   * the engine lacks them (logged at debug level).
   *
   * @throws IllegalArgumentException when {@value #PROPERTY} is neither {@code onednn} nor {@code
   *     default}
   */
  public static @Nullable InferenceKernels load(NDManager manager) {
    if (manager.getDevice().isGpu() || !wanted()) {
      return null;
    }
    try {
      return new InferenceKernels(ScriptModule.load(manager, "InferenceKernels", SOURCE));
    } catch (IllegalStateException e) {
      LOG.debug("inference kernels unavailable, using the default ones: {}", e.getMessage());
      return null;
    }
  }

  /** Whether the kernels are wanted here: the property, else the CPU kind. */
  public static boolean wanted() {
    String forced = System.getProperty(PROPERTY);
    if (forced != null) {
      return switch (forced.toLowerCase(Locale.ROOT)) {
        case "onednn" -> true;
        case "default" -> false;
        default ->
            throw new IllegalArgumentException(
                "-D" + PROPERTY + "=" + forced + " is neither 'onednn' nor 'default'");
      };
    }
    return Bf16Support.x86WithoutAvx512();
  }

  /**
   * Whether the kernels apply to {@code x}: {@code x} in float32, and no gradient being recorded on
   * this thread.
   */
  static boolean appliesTo(NDArray x) {
    return x.getDataType() == DataType.FLOAT32 && !JniUtils.isGradMode();
  }

  /** {@code x W^T + b}, with {@code x} float32 {@code [..., in]} and {@code W} {@code out x in}. */
  public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return call("forward", x, x, weight, bias);
  }

  /** {@code gelu(x W^T + b)} with the exact (erf) GELU. */
  NDArray linearGelu(NDArray x, NDArray weight, NDArray bias) {
    return call("linear_gelu", x, x, weight, bias);
  }

  /** {@code softmax(q k^T / sqrt(d)) v} over heads {@code B x H x T x d}, no mask. */
  NDArray attention(NDArray q, NDArray k, NDArray v) {
    return call("attention", q, q, k, v);
  }

  private NDArray call(String method, NDArray into, NDArray... args) {
    return ScriptModule.call(module, method, into, args);
  }
}
