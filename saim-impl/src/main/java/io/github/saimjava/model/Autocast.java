package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtSymbolBlock;
import io.github.saimjava.api.Precision;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The model's number format under {@link Precision#BF16}: the activations of both streams are
 * lowered to bfloat16 once, after the patch embedding, and stay bfloat16 through every block
 * (linear layers, attention products, masks, softmax, LayerNorm, GELU, residual sums; the engine's
 * softmax and LayerNorm kernels accumulate in float32 internally); weights are float32 masters
 * rounded to bfloat16 at each use, their gradients come back as float32, and the head's output, the
 * target and the loss are float32. Off ({@link Precision#FP32}), every method is the identity. On a
 * CPU whose engine would multiply bfloat16 matrices in a slow loop, the same roundings are applied
 * but the arrays stay float32 ({@link #emulated()}).
 *
 * <p>DJL 0.36's PyTorch engine has no bfloat16: its type table stops at complex64, so {@code
 * toType(BFLOAT16)} aborts the process, and its casts run without autograd anyway. The casts (and a
 * softmax that keeps bfloat16, which DJL's cannot name) are therefore a TorchScript module of
 * one-line methods ({@link ScriptModule}, built in memory from the source below) called with
 * autograd on, so gradients flow back through a cast as float32. A bfloat16 array reports {@link
 * DataType#UNKNOWN} to DJL; code that handles such arrays must not ask the engine to create arrays
 * of their type.
 */
public final class Autocast implements AutoCloseable {
  /** TorchScript source; dtype codes are c10::ScalarType: 6 = float32, 15 = bfloat16. */
  private static final String SOURCE =
      String.join(
          "\n",
          "class Cast(Module):",
          "  __parameters__ = []",
          "  __buffers__ = []",
          "  training : bool",
          "  def forward(self: __torch__.Cast,",
          "    x: Tensor) -> Tensor:",
          "    return torch.to(x, 15)",
          "  def to_f32(self: __torch__.Cast,",
          "    x: Tensor) -> Tensor:",
          "    return torch.to(x, 6)",
          "  def softmax_last(self: __torch__.Cast,",
          "    x: Tensor) -> Tensor:",
          "    return torch.softmax(x, -1)",
          "");

  /**
   * The casts where the CPU has no fast bfloat16 matrix multiply ({@link Bf16Support}): {@code
   * forward} rounds to bfloat16's values and returns float32, so every operand that the bfloat16
   * model would lower is rounded the same way, while the arithmetic (and the gradients, rounded to
   * bfloat16 on their way back through each cast) runs on the engine's float32 kernels.
   */
  private static final String EMULATED_SOURCE =
      SOURCE.replace("    return torch.to(x, 15)", "    return torch.to(torch.to(x, 15), 6)");

  private final @Nullable PtSymbolBlock cast;
  private final boolean emulated;

  /** Float32 everywhere: every method returns its argument. */
  public static Autocast fp32() {
    return new Autocast(null, false);
  }

  /**
   * The casts for {@code precision}, loaded on {@code manager} (which owns them) when needed;
   * emulated in float32 on a CPU without a fast bfloat16 matrix multiply ({@link
   * Bf16Support#nativeMatmul()}).
   */
  public static Autocast of(Precision precision, NDManager manager) {
    if (precision == Precision.FP32) {
      return fp32();
    }
    boolean emulate = !manager.getDevice().isGpu() && !Bf16Support.nativeMatmul();
    return new Autocast(
        ScriptModule.load(manager, "Cast", emulate ? EMULATED_SOURCE : SOURCE), emulate);
  }

  private Autocast(@Nullable PtSymbolBlock cast, boolean emulated) {
    this.cast = cast;
    this.emulated = emulated;
  }

  /**
   * Whether bfloat16 is emulated: {@link #lower} rounds to bfloat16's values but keeps float32, so
   * the engine's float32 kernels do the arithmetic.
   */
  public boolean emulated() {
    return emulated;
  }

  /** Whether the matrix multiplies run in bfloat16. */
  public boolean enabled() {
    return cast != null;
  }

  /**
   * {@code x} in bfloat16 when enabled (unchanged if it already is; when {@linkplain #emulated()
   * emulated}, rounded to bfloat16's values in float32), attached to {@code into}'s manager;
   * otherwise {@code x}.
   */
  public NDArray lower(NDArray x, NDArray into) {
    if (cast == null || x.getDataType() == DataType.UNKNOWN) {
      return x;
    }
    return call("forward", x, into);
  }

  /** {@code x} in float32 when enabled and it is bfloat16; otherwise {@code x}. */
  public NDArray upper(NDArray x) {
    if (cast == null || x.getDataType() != DataType.UNKNOWN) {
      return x;
    }
    return call("to_f32", x, x);
  }

  /**
   * Softmax over the last axis in {@code x}'s own type: DJL's softmax names the result type, which
   * it cannot do for bfloat16, so a bfloat16 {@code x} goes through the module (the engine's kernel
   * accumulates in float32 and returns bfloat16).
   */
  public NDArray softmaxLast(NDArray x) {
    if (cast == null || x.getDataType() != DataType.UNKNOWN) {
      return x.softmax(-1);
    }
    return call("softmax_last", x, x);
  }

  private NDArray call(String method, NDArray x, NDArray into) {
    return ScriptModule.call(Objects.requireNonNull(cast), method, into, x);
  }

  /** Frees the loaded casts (also freed with the manager they were loaded on). */
  @Override
  public void close() {
    if (cast != null) {
      cast.close();
    }
  }
}
