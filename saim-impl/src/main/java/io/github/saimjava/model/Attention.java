package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * Multi-head attention with separate q, k, v projections and an additive mask.
 *
 * <p>Inputs: queries {@code B x T x D}, keys/values {@code B x S x D}, mask broadcastable to {@code
 * B x H x T x S} (0 = attend, -inf = blocked). Output {@code B x T x D}. Logits are {@code (q k^T)
 * * (D/H)^-1/2 + mask}, as the reference computes them.
 */
final class Attention {
  final Layers.Linear q;
  final Layers.Linear k;
  final Layers.Linear v;
  final Layers.Linear proj;
  private final int heads;
  private final float scale;
  private final Autocast autocast;
  private final @Nullable InferenceKernels kernels;
  private final @Nullable TrainingKernels training;

  Attention(
      ParameterSet ps,
      NDManager m,
      SplittableRandom rng,
      String name,
      int width,
      int heads,
      Autocast autocast,
      @Nullable InferenceKernels kernels,
      @Nullable TrainingKernels training) {
    q = new Layers.Linear(ps, m, rng, name + ".q", width, width, autocast, kernels);
    k = new Layers.Linear(ps, m, rng, name + ".k", width, width, autocast, kernels);
    v = new Layers.Linear(ps, m, rng, name + ".v", width, width, autocast, kernels);
    proj = new Layers.Linear(ps, m, rng, name + ".proj", width, width, autocast, kernels);
    this.heads = heads;
    this.autocast = autocast;
    this.kernels = kernels;
    this.training = training;
    this.scale = (float) StrictMath.pow(width / heads, -0.5);
  }

  NDArray forward(NDArray queries, NDArray keys, NDArray values, @Nullable NDArray mask) {
    // one cast of a shared input (self-attention's q = k = v, cross-attention's k = v), not one per
    // projection
    NDArray lq = autocast.lower(queries, queries);
    NDArray lk = keys == queries ? lq : autocast.lower(keys, keys);
    NDArray lv = values == keys ? lk : values == queries ? lq : autocast.lower(values, values);
    NDArray qh = splitHeads(q.forwardLowered(lq, false)); // B x H x T x d
    NDArray kh = splitHeads(k.forwardLowered(lk, false)); // B x H x S x d
    NDArray vh = splitHeads(v.forwardLowered(lv, false)); // B x H x S x d
    InferenceKernels fused = kernels;
    if (fused != null && mask == null && !autocast.enabled() && InferenceKernels.appliesTo(qh)) {
      // inference in float32: the engine's fused kernel, same function (scale (D/H)^-1/2)
      return merge(proj, fused.attention(qh, kh, vh));
    }
    TrainingKernels sdpa = training;
    if (sdpa != null) {
      // the mask was lowered with the streams, so it has q's type as the fused kernel needs
      return merge(proj, sdpa.attention(qh, kh, vh, mask));
    }
    // under bfloat16 the whole attention runs in bfloat16 when the model lowered the mask too;
    // the softmax accumulates in float32 inside the engine's kernel either way
    NDArray logits = Scalars.mul(qh.matMul(kh.transpose(0, 1, 3, 2)), scale); // B x H x T x S
    if (mask != null) {
      logits = logits.add(mask);
    }
    NDArray out = autocast.lower(autocast.softmaxLast(logits), logits).matMul(vh); // B x H x T x d
    return merge(proj, out);
  }

  /** B x H x T x d -> {@code proj} of B x T x D. */
  private static NDArray merge(Layers.Linear proj, NDArray out) {
    long b = out.getShape().get(0);
    long t = out.getShape().get(2);
    return proj.forward(out.transpose(0, 2, 1, 3).reshape(b, t, -1));
  }

  /** B x T x D -> B x H x T x D/H. */
  private NDArray splitHeads(NDArray x) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    return x.reshape(b, t, heads, -1).transpose(0, 2, 1, 3);
  }
}
