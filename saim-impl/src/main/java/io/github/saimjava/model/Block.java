package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * The pre-norm transformer block both streams use: {@code x = q + Attn(norm1(q), norm1(kv),
 * norm1(kv), mask); x = x + Mlp(norm2(x))}. For the content stream {@code kv = q} (self-attention);
 * for the query stream {@code kv} is the content stream (cross-attention), normalised by this
 * block's own {@code norm1}.
 */
final class Block {
  final Layers.LayerNorm norm1;
  final Attention attn;
  final Layers.LayerNorm norm2;
  final Layers.Mlp mlp;
  final double dropPath;
  private final Autocast autocast;

  Block(
      ParameterSet ps,
      NDManager m,
      SplittableRandom rng,
      String name,
      int width,
      int heads,
      int mlpHidden,
      double eps,
      double dropPath,
      Autocast autocast,
      @Nullable InferenceKernels kernels,
      @Nullable TrainingKernels training) {
    norm1 = new Layers.LayerNorm(ps, m, name + ".norm1", width, eps);
    attn = new Attention(ps, m, rng, name + ".attn", width, heads, autocast, kernels, training);
    norm2 = new Layers.LayerNorm(ps, m, name + ".norm2", width, eps);
    mlp = new Layers.Mlp(ps, m, rng, name + ".mlp", width, mlpHidden, width, autocast, kernels);
    this.dropPath = dropPath;
    this.autocast = autocast;
  }

  /** Self-attention: x {@code B x T x D}. */
  NDArray forward(NDArray x, @Nullable NDArray mask, boolean training) {
    NDArray n = norm1.forward(x);
    NDArray h = x.add(dropPath(attn.forward(n, n, n, mask), dropPath, training, autocast));
    return h.add(dropPath(mlp.forward(norm2.forward(h)), dropPath, training, autocast));
  }

  /** Cross-attention from {@code g} (queries) into {@code h} (keys and values). */
  NDArray forward(NDArray g, NDArray h, @Nullable NDArray mask, boolean training) {
    NDArray nh = norm1.forward(h);
    NDArray x =
        g.add(dropPath(attn.forward(norm1.forward(g), nh, nh, mask), dropPath, training, autocast));
    return x.add(dropPath(mlp.forward(norm2.forward(x)), dropPath, training, autocast));
  }

  /**
   * Stochastic depth: in training, drops the whole residual branch {@code B x ...} of each sample
   * with probability {@code rate} and scales kept ones by {@code 1 / (1 - rate)}; the identity in
   * evaluation. Draws from the engine's generator (seed it for reproducible runs). The keep mask is
   * drawn in float32 and takes the branch's type (0 and 1 are exact in bfloat16), so a bfloat16
   * branch stays bfloat16 and so does the residual stream it is added to.
   */
  static NDArray dropPath(NDArray branch, double rate, boolean training, Autocast autocast) {
    if (!training || rate <= 0) {
      return branch;
    }
    float keep = (float) (1 - rate);
    long b = branch.getShape().get(0);
    Shape s = new Shape(b, 1, 1);
    NDArray keepMask =
        branch.getManager().randomUniform(0f, 1f, s).lt(keep).toType(DataType.FLOAT32, false);
    if (branch.getDataType() == DataType.UNKNOWN) {
      keepMask = autocast.lower(keepMask, branch);
    }
    return Scalars.div(branch.mul(keepMask), keep);
  }
}
