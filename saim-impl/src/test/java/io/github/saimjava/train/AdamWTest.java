package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.saimjava.io.HostTensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdamWTest {
  @Test
  void noDecayForOneDimensionalTensorsAndBiases() {
    assertFalse(AdamW.decays("blocks.0.norm1.weight", new Shape(64)));
    assertFalse(AdamW.decays("blocks.0.attn.q.bias", new Shape(64)));
    assertFalse(AdamW.decays("odd.bias", new Shape(2, 2)));
    assertTrue(AdamW.decays("blocks.0.attn.q.weight", new Shape(64, 64)));
    assertTrue(AdamW.decays("cls_token", new Shape(1, 1, 64)));
  }

  /**
   * Two steps of the PyTorch formula computed in double by hand, gradient of sum(w * c), on both
   * paths.
   */
  @ParameterizedTest(name = "fused {0}")
  @ValueSource(booleans = {true, false})
  void twoStepsFollowPyTorchsUpdateRule(boolean fused) {
    double lr = 0.01;
    double b1 = 0.9;
    double b2 = 0.95;
    double eps = 1e-8;
    double wd = 0.05;
    float[] w0 = {0.5f, -1.0f, 2.0f, 0.0f};
    float[] c = {1.0f, -2.0f, 0.001f, 3.0f};
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        AdamW opt = new AdamW(m, b1, b2, eps, wd).fused(fused)) {
      NDArray w = m.create(w0, new Shape(2, 2));
      w.setRequiresGradient(true);
      NDArray cc = m.create(c, new Shape(2, 2));
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("w", w);
      double[] p = new double[4];
      double[] mm = new double[4];
      double[] vv = new double[4];
      for (int i = 0; i < 4; i++) {
        p[i] = w0[i];
      }
      for (int t = 1; t <= 2; t++) {
        AdamW.zeroGrad(params);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(w.mul(cc).sum());
        }
        opt.step(params, lr);
        for (int i = 0; i < 4; i++) {
          double g = c[i];
          p[i] *= 1 - lr * wd;
          mm[i] = b1 * mm[i] + (1 - b1) * g;
          vv[i] = b2 * vv[i] + (1 - b2) * g * g;
          double denom = Math.sqrt(vv[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
          p[i] -= lr / (1 - Math.pow(b1, t)) * mm[i] / denom;
        }
      }
      float[] got = w.toFloatArray();
      for (int i = 0; i < 4; i++) {
        assertEquals(p[i], got[i], 1e-6 * Math.max(1, Math.abs(p[i])), "element " + i);
      }
      assertEquals(2, opt.stepCount());
      assertEquals(fused, opt.fusedInUse());
    }
  }

  /**
   * The fused kernel and the operator-by-operator update agree over several steps, with
   * per-parameter learning rates (layer decay) and the no-decay rule, on parameters and moments.
   */
  @Test
  void fusedKernelMatchesTheOperatorByOperatorUpdate() {
    AdamW.Groups groups =
        new AdamW.Groups() {
          @Override
          public double lrScale(String name) {
            return name.startsWith("a") ? 1.0 : 0.75;
          }

          @Override
          public boolean decays(String name, Shape shape) {
            return AdamW.decays(name, shape);
          }
        };
    Map<String, float[]> after = new LinkedHashMap<>();
    Map<String, HostTensor> moments = new LinkedHashMap<>();
    for (boolean fused : new boolean[] {false, true}) {
      try (NDManager m = NDManager.newBaseManager("PyTorch");
          AdamW opt = new AdamW(m, 0.9, 0.95, 1e-8, 0.05).fused(fused)) {
        Engine.getEngine("PyTorch").setRandomSeed(7);
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("a.weight", m.randomNormal(new Shape(33, 17)));
        params.put("a.bias", m.randomNormal(new Shape(17)));
        params.put("b.weight", m.randomNormal(new Shape(5, 7, 3)));
        params.put("b.scale", m.randomNormal(new Shape(9)));
        NDArray target = m.randomNormal(new Shape(33, 17));
        params.values().forEach(p -> p.setRequiresGradient(true));
        for (int t = 1; t <= 5; t++) {
          AdamW.zeroGrad(params);
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss =
                params
                    .get("a.weight")
                    .mul(target)
                    .add(params.get("a.bias"))
                    .square()
                    .sum()
                    .add(params.get("b.weight").pow(3).sum())
                    .add(params.get("b.scale").exp().sum());
            gc.backward(loss);
          }
          opt.step(params, 1e-2, groups);
        }
        assertEquals(fused, opt.fusedInUse());
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
          float[] got = e.getValue().toFloatArray();
          float[] ref = after.putIfAbsent(e.getKey(), got);
          if (ref != null) {
            assertClose(ref, got, e.getKey());
          }
        }
        for (Map.Entry<String, HostTensor> e : opt.state().entrySet()) {
          HostTensor ref = moments.putIfAbsent(e.getKey(), e.getValue());
          if (ref != null) {
            assertClose(ref.toFloatArray(), e.getValue().toFloatArray(), e.getKey());
          }
        }
      }
    }
    assertEquals(8, moments.size());
  }

  private static void assertClose(float[] ref, float[] got, String what) {
    assertEquals(ref.length, got.length, what);
    double worst = 0;
    for (int i = 0; i < ref.length; i++) {
      worst = Math.max(worst, Math.abs(ref[i] - got[i]) / Math.max(1e-3, Math.abs(ref[i])));
    }
    assertTrue(worst < 1e-5, what + ": largest relative difference " + worst);
  }
}
