package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The engine's fused scaled-dot-product attention, {@code softmax(q k^T / sqrt(d) + mask) v}, one
 * operator (forward and backward) instead of the score product, mask sum, softmax and weighted sum
 * over {@code B x H x T x S}. Inputs {@code q: B x H x T x d}, {@code k, v: B x H x S x d}, mask
 * additive ({@code 0} = attend, {@code -inf} = blocked) of q's type, broadcastable to {@code B x H
 * x T x S}; output {@code B x H x T x d} in q's type (float32 or bfloat16; the engine's CPU kernel
 * accumulates bfloat16 in float32). Autograd flows through it.
 *
 * <p>DJL 0.36 has no such operator, so it is a TorchScript module ({@link ScriptModule}) called
 * with autograd on, as {@link Autocast}'s casts are.
 */
final class FusedAttention implements AutoCloseable {
  private static final String SOURCE =
      String.join(
          "\n",
          "class Sdpa(Module):",
          "  __parameters__ = []",
          "  __buffers__ = []",
          "  training : bool",
          "  def forward(self: __torch__.Sdpa,",
          "    q: Tensor, k: Tensor, v: Tensor) -> Tensor:",
          "    return torch.scaled_dot_product_attention(q, k, v)",
          "  def masked(self: __torch__.Sdpa,",
          "    q: Tensor, k: Tensor, v: Tensor, mask: Tensor) -> Tensor:",
          "    return torch.scaled_dot_product_attention(q, k, v, mask)",
          "");

  private final PtSymbolBlock module;

  private FusedAttention(PtSymbolBlock module) {
    this.module = module;
  }

  /**
   * The fused operator loaded on {@code manager} (which owns it), or null when the engine has none
   * (the caller then computes attention operator by operator).
   */
  static @Nullable FusedAttention load(NDManager manager) {
    try {
      return new FusedAttention(ScriptModule.load(manager, "Sdpa", SOURCE));
    } catch (IllegalStateException e) {
      org.slf4j.LoggerFactory.getLogger(FusedAttention.class)
          .debug("no fused attention, computing it operator by operator: {}", e.getMessage());
      return null;
    }
  }

  /** Attention of {@code q} over {@code k}, {@code v} under additive {@code mask} (or none). */
  NDArray apply(NDArray q, NDArray k, NDArray v, @Nullable NDArray mask) {
    NDArray selector = q.getManager().create(0f);
    selector.setName("module_method:" + (mask == null ? "forward" : "masked"));
    List<NDArray> views = new ArrayList<>(4);
    NDList in = new NDList(5);
    in.add(selector);
    for (NDArray a : mask == null ? new NDArray[] {q, k, v} : new NDArray[] {q, k, v, mask}) {
      // DJL groups named arrays into lists or dictionaries: pass an unnamed view instead
      NDArray x = a.getName() == null ? a : a.reshape(a.getShape());
      if (x != a) {
        views.add(x);
      }
      in.add(x);
    }
    try {
      return IValueUtils.forward(module, in, true).singletonOrThrow();
    } finally {
      selector.close();
      views.forEach(NDArray::close);
    }
  }

  @Override
  public void close() {
    module.close();
  }
}
