package io.github.saimjava.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class DropPathTest {
  @Test
  void identityInEvaluation() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray x = m.randomNormal(new Shape(8, 3, 4));
      assertArrayEquals(x.toFloatArray(), Block.dropPath(x, 0.5, false).toFloatArray());
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
      float[] y = Block.dropPath(x, p, true).toFloatArray();
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
}
