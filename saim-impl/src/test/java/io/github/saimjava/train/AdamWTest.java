package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {
  @Test
  void noDecayForOneDimensionalTensorsAndBiases() {
    assertFalse(AdamW.decays("blocks.0.norm1.weight", new Shape(64)));
    assertFalse(AdamW.decays("blocks.0.attn.q.bias", new Shape(64)));
    assertFalse(AdamW.decays("odd.bias", new Shape(2, 2)));
    assertTrue(AdamW.decays("blocks.0.attn.q.weight", new Shape(64, 64)));
    assertTrue(AdamW.decays("cls_token", new Shape(1, 1, 64)));
  }

  /** Two steps of the PyTorch formula computed in double by hand, gradient of sum(w * c). */
  @Test
  void twoStepsFollowPyTorchsUpdateRule() {
    double lr = 0.01;
    double b1 = 0.9;
    double b2 = 0.95;
    double eps = 1e-8;
    double wd = 0.05;
    float[] w0 = {0.5f, -1.0f, 2.0f, 0.0f};
    float[] c = {1.0f, -2.0f, 0.001f, 3.0f};
    try (NDManager m = NDManager.newBaseManager("PyTorch"); AdamW opt = new AdamW(m, b1, b2, eps, wd)) {
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
    }
  }
}
