package io.github.saimjava.train;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Clipping by the global gradient norm, as PyTorch's {@code clip_grad_norm_}: when the L2 norm of
 * all gradients together exceeds {@code max}, every gradient is scaled by {@code max / (norm +
 * 1e-6)}. Pre-training and fine-tuning clip with it.
 */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * Clips the gradients of {@code params} in place (parameters without a gradient are skipped).
   *
   * @return the global norm before clipping
   */
  public static double clip(Map<String, NDArray> params, double max) {
    double sq = 0;
    List<NDArray> grads = new ArrayList<>();
    try (NoGrad ng = NoGrad.enter()) {
      for (NDArray p : params.values()) {
        if (p.hasGradient()) {
          NDArray g = p.getGradient();
          grads.add(g);
          double n = g.norm().getFloat();
          sq += n * n;
        }
      }
      double total = Math.sqrt(sq);
      double coef = max / (total + 1e-6);
      if (coef < 1) {
        for (NDArray g : grads) {
          g.muli(coef);
        }
      }
      return total;
    }
  }
}
