package io.github.saimjava.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.Precision;
import org.junit.jupiter.api.Test;

class DropPathTest {
  @Test
  void identityInEvaluation() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray x = m.randomNormal(new Shape(8, 3, 4));
      assertArrayEquals(
          x.toFloatArray(), Block.dropPath(x, 0.5, false, Autocast.fp32()).toFloatArray());
    }
  }

  /**
   * Each sample's branch is either all zero or scaled by exactly 1 / (1 - p); about 1 - p are kept.
   */
  @Test
  void inTrainingKeptSamplesAreScaledByOneOverKeepProbability() {
    double p = 0.3;
    int n = 2000;
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      m.getEngine().setRandomSeed(11);
      NDArray x = m.ones(new Shape(n, 2, 3));
      float[] y = Block.dropPath(x, p, true, Autocast.fp32()).toFloatArray();
      int kept = 0;
      for (int i = 0; i < n; i++) {
        float first = y[i * 6];
        for (int j = 1; j < 6; j++) {
          assertEquals(first, y[i * 6 + j], 0f, "one draw per sample");
        }
        if (first != 0f) {
          assertEquals(1 / (1 - p), first, 1e-6);
          kept++;
        }
      }
      double rate = (double) kept / n;
      assertTrue(Math.abs(rate - 0.7) < 0.05, "kept fraction " + rate);
    }
  }

  /**
   * A bfloat16 branch stays bfloat16 (a float32 mask would promote it, and with it the residual
   * stream), and kept samples are scaled by 1 / (1 - p) rounded to bfloat16.
   */
  @Test
  void aBfloat16BranchStaysBfloat16() {
    // the engine's own bfloat16 (on a CPU without AVX-512 Autocast would emulate it in float32)
    String before = System.getProperty(Bf16Support.PROPERTY);
    System.setProperty(Bf16Support.PROPERTY, "native");
    try {
      bfloat16BranchStaysBfloat16();
    } finally {
      if (before == null) {
        System.clearProperty(Bf16Support.PROPERTY);
      } else {
        System.setProperty(Bf16Support.PROPERTY, before);
      }
    }
  }

  private static void bfloat16BranchStaysBfloat16() {
    double p = 0.3;
    int n = 400;
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        Autocast cast = Autocast.of(Precision.BF16, m)) {
      m.getEngine().setRandomSeed(5);
      NDArray ones = m.ones(new Shape(n, 2, 3));
      NDArray y = Block.dropPath(cast.lower(ones, ones), p, true, cast);
      assertEquals(DataType.UNKNOWN, y.getDataType(), "DJL's name for bfloat16");
      float[] v = cast.upper(y).toFloatArray();
      int kept = 0;
      for (float f : v) {
        if (f != 0f) {
          // 1 / 0.7 = 1.428571...; the nearest bfloat16 is 1 + 55/128
          assertEquals(1f + 55f / 128f, f, 0f);
          kept++;
        }
      }
      double rate = kept / (6.0 * n);
      assertTrue(Math.abs(rate - 0.7) < 0.08, "kept fraction " + rate);
    }
  }
}
