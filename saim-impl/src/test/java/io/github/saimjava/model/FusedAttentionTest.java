package io.github.saimjava.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.Precision;
import io.github.saimjava.train.ReferenceCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The engine's fused attention against the operator-by-operator path, on the same weights and
 * inputs under SAIM's masks: outputs and gradients (of the queries, the keys/values input and every
 * projection weight) agree in relative error (Frobenius norm of the difference over the norm of the
 * explicit path's) within 1e-5 in float32 and 2e-2 in bfloat16 (whose explicit path rounds the
 * scores and the softmax to bfloat16, which the fused kernel keeps in float32).
 */
class FusedAttentionTest {
  private static final int B = 2;
  private static final int WIDTH = 32;
  private static final int HEADS = 4;
  private static final int PATCHES = 16; // T = 17 with the class token

  @Test
  void engineHasTheFusedOperator() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      assertNotNull(FusedAttention.load(m));
    }
  }

  @Test
  void selfAttentionUnderTheContentMaskMatchesInFloat32() {
    compare(Precision.FP32, false, false, 1e-5);
  }

  @Test
  void crossAttentionUnderTheQueryMaskMatchesInFloat32() {
    compare(Precision.FP32, true, true, 1e-5);
  }

  @Test
  void unmaskedSelfAttentionMatchesInFloat32() {
    compare(Precision.FP32, false, null, 1e-5);
  }

  @Test
  void selfAttentionUnderTheContentMaskMatchesInBfloat16() {
    compare(Precision.BF16, false, false, 2e-2);
  }

  @Test
  void crossAttentionUnderTheQueryMaskMatchesInBfloat16() {
    compare(Precision.BF16, true, true, 2e-2);
  }

  /**
   * @param cross keys/values from a second input (the query stream's case) instead of the queries
   * @param queryMask the query-stream mask when true, the content-stream mask when false, none when
   *     null
   */
  private static void compare(
      Precision precision, boolean cross, @Nullable Boolean queryMask, double tolerance) {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      Autocast autocast = Autocast.of(precision, m);
      FusedAttention fused = FusedAttention.load(m);
      assertNotNull(fused);
      List<float[]> explicit = run(m, autocast, null, cross, queryMask);
      List<float[]> withFused = run(m, autocast, fused, cross, queryMask);
      String[] what = {"output", "d queries", "d keys/values", "d q", "d k", "d v", "d proj"};
      for (int i = 0; i < explicit.size(); i++) {
        double e = ReferenceCheck.relativeError(withFused.get(i), explicit.get(i));
        System.out.printf(
            Locale.ROOT,
            "%s %s %s: %s relative error %.2e%n",
            precision,
            cross ? "cross" : "self",
            queryMask == null ? "unmasked" : queryMask ? "query mask" : "content mask",
            what[i],
            e);
        assertTrue(e < tolerance, what[i] + " relative error " + e + " >= " + tolerance);
      }
    }
  }

  /** Output, then gradients of the inputs and of the q, k, v, proj weights, as float32 values. */
  private static List<float[]> run(
      NDManager parent,
      Autocast autocast,
      @Nullable FusedAttention fused,
      boolean cross,
      @Nullable Boolean queryMask) {
    try (NDManager m = parent.newSubManager()) {
      ParameterSet ps = new ParameterSet();
      Attention attn =
          new Attention(ps, m, new SplittableRandom(5), "attn", WIDTH, HEADS, autocast, fused);
      SplittableRandom rng = new SplittableRandom(9);
      NDArray x = gaussian(m, rng);
      NDArray kv = cross ? gaussian(m, rng) : x;
      x.setRequiresGradient(true);
      kv.setRequiresGradient(true);
      List<float[]> out = new ArrayList<>();
      try (Permutation p =
              PermutationSampler.builder(PATCHES)
                  .stochastic(4)
                  .build()
                  .sample(m, new long[] {0, 1});
          GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray mask =
            queryMask == null
                ? null
                : autocast.lower(queryMask ? p.queryMask() : p.contentMask(), x);
        NDArray y = autocast.upper(attn.forward(x, kv, kv, mask));
        assertEquals(DataType.FLOAT32, y.getDataType());
        out.add(y.toFloatArray());
        // a loss whose gradient differs per element
        NDArray w = gaussian(m, new SplittableRandom(13));
        gc.backward(y.mul(w).sum());
      }
      out.add(x.getGradient().toFloatArray());
      if (cross) {
        out.add(kv.getGradient().toFloatArray());
      } else {
        out.add(x.getGradient().toFloatArray());
      }
      for (Map.Entry<String, NDArray> e : ps.trainable().entrySet()) {
        if (e.getKey().endsWith(".weight")) {
          out.add(e.getValue().getGradient().toFloatArray());
        }
      }
      return out;
    }
  }

  private static NDArray gaussian(NDManager m, SplittableRandom rng) {
    float[] v = new float[B * (PATCHES + 1) * WIDTH];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return m.create(v, new Shape(B, PATCHES + 1, WIDTH));
  }
}
