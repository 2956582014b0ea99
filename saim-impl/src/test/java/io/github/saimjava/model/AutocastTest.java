package io.github.saimjava.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.train.AdamW;
import org.junit.jupiter.api.Test;

/** Mixed precision: bfloat16 matrix multiplies, float32 master weights, gradients and loss. */
class AutocastTest {
  static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(64)
          .depth(2)
          .heads(4)
          .queryDepth(2)
          .blur(3, 1)
          .dropPathRate(0)
          .build();

  @Test
  void castRoundsToBfloat16AndBackWithGradients() {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        Autocast cast = Autocast.of(Precision.BF16, m)) {
      NDArray x = m.create(new float[] {1f, 1.00390625f, 3.14159265f, -2.5e-3f});
      x.setRequiresGradient(true);
      float[] back;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray low = cast.lower(x, x);
        assertEquals(DataType.UNKNOWN, low.getDataType()); // DJL's name for bfloat16
        NDArray y = cast.upper(low);
        back = y.toFloatArray();
        gc.backward(y.mul(m.create(new float[] {1f, 2f, 3f, 4f})).sum());
      }
      // bfloat16 keeps 8 significant bits: 1 + 2^-8 is a tie that rounds to even (1)
      assertEquals(1f, back[0]);
      assertEquals(1f, back[1]);
      assertEquals(3.140625f, back[2]);
      assertEquals(-2.5e-3f, back[3], 2.5e-3f / 256);
      assertEquals(DataType.FLOAT32, x.getGradient().getDataType());
      assertEquals(
          "[1.0, 2.0, 3.0, 4.0]", java.util.Arrays.toString(x.getGradient().toFloatArray()));
    }
  }

  /**
   * Weights lowered once per pass as leaves, their gradients raised after backward, give exactly
   * the gradients that a cast at each use (autograd raising each one) gives when each weight is
   * used once: the same bfloat16 products, summed into float32 in place instead of through a
   * float32 copy. Two passes accumulate, as autograd does.
   */
  @Test
  void leavesRaisedAfterBackwardGiveTheCastGradients() {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        Autocast cast = Autocast.of(Precision.BF16, m)) {
      NDArray[] wbx = linearInputs(m);
      float[][] perUse = gradients(m, cast, wbx, false, 1);
      AdamW.zeroGrad(java.util.Map.of("w", wbx[0], "b", wbx[1]));
      float[][] leaves = gradients(m, cast, wbx, true, 1);
      assertEquals(java.util.Arrays.toString(perUse[0]), java.util.Arrays.toString(leaves[0]));
      assertEquals(java.util.Arrays.toString(perUse[1]), java.util.Arrays.toString(leaves[1]));
      float[] twice = gradients(m, cast, wbx, true, 1)[0];
      for (int i = 0; i < twice.length; i++) {
        assertEquals(2 * perUse[0][i], twice[i]);
      }
    }
  }

  /**
   * A weight used twice in one pass (shared query blocks) sums its two gradients in bfloat16 before
   * the raise, as torch's autocast does with its cached cast: within bfloat16's rounding (2^-8
   * relative) of the per-use float32 sum.
   */
  @Test
  void aWeightUsedTwiceSumsItsGradientsInBfloat16() {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        Autocast cast = Autocast.of(Precision.BF16, m)) {
      NDArray[] wbx = linearInputs(m);
      float[] perUse = gradients(m, cast, wbx, false, 2)[0];
      AdamW.zeroGrad(java.util.Map.of("w", wbx[0], "b", wbx[1]));
      float[] leaves = gradients(m, cast, wbx, true, 2)[0];
      for (int i = 0; i < perUse.length; i++) {
        assertEquals(perUse[i], leaves[i], Math.abs(perUse[i]) / 256, "element " + i);
      }
    }
  }

  private static NDArray[] linearInputs(NDManager m) {
    NDArray w = m.create(new float[] {0.5f, -1.25f, 3.0078125f, 2f, 7f, -0.1f}, new Shape(2, 3));
    NDArray b = m.create(new float[] {0.25f, -0.75f});
    NDArray x = m.create(new float[] {1f, 2f, 3f, -4f, 5f, 6f, 0.3f, 0.7f, -0.9f}, new Shape(3, 3));
    w.setRequiresGradient(true);
    b.setRequiresGradient(true);
    return new NDArray[] {w, b, x};
  }

  /** Gradients of w and b for sum over {@code uses} of sum((x W^T + b)^2 * (u + 1)). */
  private static float[][] gradients(
      NDManager m, Autocast cast, NDArray[] wbx, boolean lowerOnce, int uses) {
    NDArray w = wbx[0];
    NDArray b = wbx[1];
    NDArray x = wbx[2];
    Autocast.Lowered lowered = lowerOnce ? cast.lowerLeaves(java.util.List.of(w, b), m) : null;
    try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector();
        Autocast.Use use = lowered == null ? () -> {} : cast.use(lowered)) {
      NDArray lx = cast.lower(x, x);
      NDArray loss = m.create(0f);
      for (int u = 0; u < uses; u++) {
        NDArray y =
            ai.djl.nn.core.Linear.linear(lx, cast.lowerWeight(w, lx), cast.lowerWeight(b, lx))
                .singletonOrThrow();
        loss = loss.add(cast.upper(y).square().sum().mul(u + 1f));
      }
      gc.backward(loss);
    }
    if (lowered != null) {
      lowered.raiseGradients();
    }
    assertEquals(DataType.FLOAT32, w.getGradient().getDataType());
    return new float[][] {w.getGradient().toFloatArray(), b.getGradient().toFloatArray()};
  }

  /** Forgetting raiseGradients() after a backward pass is an error, not lost gradients. */
  @Test
  void anUnraisedBackwardIsReportedAtTheNextForward() {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(TINY, m, 7, Precision.BF16)) {
      PermutationSampler sampler =
          PermutationSampler.builder(TINY.numPatches()).stochastic(3).build();
      NDArray images = m.randomNormal(new Shape(2, 3, 32, 32));
      try (Permutation p = sampler.sample(m, new long[] {0, 1})) {
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          gc.backward(
              model.loss(model.forward(images, p, true).prediction(), model.target(images)));
        }
        IllegalStateException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class, () -> model.forward(images, p, false));
        assertTrue(e.getMessage().contains("raiseGradients()"), e.getMessage());
      }
    }
  }

  @Test
  void fp32AutocastIsTheIdentity() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      Autocast cast = Autocast.fp32();
      NDArray x = m.create(new float[] {1.00390625f});
      assertTrue(cast.lower(x, x) == x && cast.upper(x) == x);
    }
  }

  /** Eight AdamW steps from the same seed: bf16 losses follow the float32 ones closely. */
  @Test
  void bf16LossCurveFollowsFloat32() {
    double[] fp32 = losses(Precision.FP32);
    double[] bf16 = losses(Precision.BF16);
    double max = 0;
    for (int i = 0; i < fp32.length; i++) {
      max = Math.max(max, Math.abs(bf16[i] - fp32[i]) / fp32[i]);
    }
    System.out.printf(
        java.util.Locale.ROOT,
        "fp32 %s%nbf16 %s%nmax relative difference %.3e%n",
        java.util.Arrays.toString(fp32),
        java.util.Arrays.toString(bf16),
        max);
    // the losses fall by far more than the tolerance, so a broken backward pass fails here
    assertTrue(
        fp32[fp32.length - 1] < 0.9 * fp32[0],
        () -> "float32 loss did not fall: " + java.util.Arrays.toString(fp32));
    assertTrue(max < 0.01, "max relative loss difference " + max);
    assertTrue(max > 0, "bf16 gave exactly the float32 losses: autocast did nothing");
  }

  private static double[] losses(Precision precision) {
    double[] out = new double[8];
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(TINY, m, 7, precision);
        AdamW opt = new AdamW(m, 0.9, 0.95, 1e-8, 0.05)) {
      PermutationSampler sampler =
          PermutationSampler.builder(TINY.numPatches()).stochastic(3).build();
      java.util.SplittableRandom rng = new java.util.SplittableRandom(11);
      float[] pixels = new float[8 * 3 * 32 * 32];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (float) rng.nextGaussian();
      }
      NDArray images = m.create(pixels, new Shape(8, 3, 32, 32));
      for (int step = 0; step < out.length; step++) {
        try (NDScope scope = new NDScope()) {
          try (Permutation p = sampler.sample(m, new long[] {0, 1, 2, 3, 4, 5, 6, 7});
              GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            SaimModel.Output o = model.forward(images, p, true);
            assertEquals(DataType.FLOAT32, o.prediction().getDataType());
            NDArray loss = model.loss(o.prediction(), model.target(images));
            out[step] = loss.getFloat();
            gc.backward(loss);
            model.raiseGradients();
          }
          opt.step(model.parameters().trainable(), 1e-3);
          AdamW.zeroGrad(model.parameters().trainable());
        }
      }
    }
    return out;
  }
}
