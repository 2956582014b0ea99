package io.github.saimjava.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ModelInspectorTest {
  static final SaimConfig CONFIG =
      SaimConfig.builder()
          .imageSize(16)
          .patchSize(4)
          .width(48)
          .depth(2)
          .queryDepth(2)
          .heads(3)
          .blur(3, 1)
          .build();
  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager("PyTorch");
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  private static NDArray images(NDManager m, int n) {
    m.getEngine().setRandomSeed(3);
    return m.randomNormal(new Shape(n, 3, 16, 16));
  }

  @Test
  void attentionWeightedValuesThroughTheProjectionEqualTheBlocksAttentionOutput() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(CONFIG, m, 5)) {
      NDArray x = images(m, 2);
      ModelInspector.LastLayer last = ModelInspector.lastLayerInputs(model, x);
      NDArray n = last.normalised();
      NDArray v = ModelInspector.splitHeads(last.block().attn.v.forward(n), CONFIG.heads());
      NDArray heads = last.probabilities().matMul(v); // N x H x T x d
      long t = heads.getShape().get(2);
      NDArray mine = last.block().attn.proj.forward(heads.transpose(0, 2, 1, 3).reshape(2, t, -1));
      NDArray theirs = last.block().attn.forward(n, n, n, null);
      float[] a = mine.toFloatArray();
      float[] b = theirs.toFloatArray();
      double num = 0;
      double den = 0;
      for (int i = 0; i < a.length; i++) {
        num += (double) (a[i] - b[i]) * (a[i] - b[i]);
        den += (double) b[i] * b[i];
      }
      assertTrue(Math.sqrt(num / den) < 1e-5, "relative error " + Math.sqrt(num / den));
    }
  }

  @Test
  void attentionRowsAreDistributionsOverAllTokens() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(CONFIG, m, 5)) {
      NDArray p = ModelInspector.lastLayerAttention(model, images(m, 2));
      assertArrayEquals(new long[] {2, 3, 17, 17}, p.getShape().getShape());
      float[] sums = p.sum(new int[] {-1}).toFloatArray();
      for (float s : sums) {
        assertEquals(1.0, s, 1e-5);
      }
      assertTrue(p.min().getFloat() >= 0f);
    }
  }

  @Test
  void predictionIsDenormalisedWithTheTargetPatchsMeanAndVariance() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(CONFIG, m, 5)) {
      NDArray x = images(m, 2);
      PermutationSampler sampler =
          PermutationSampler.builder(CONFIG.numPatches()).stochastic(1).build();
      try (Permutation perm = sampler.sample(m, 2)) {
        ModelInspector.Reconstruction r = ModelInspector.reconstruct(model, x, perm);
        float[] raw = model.forward(x, perm, false).prediction().toFloatArray(); // N x (L+1) x P
        float[] blurred = model.blurredPatches(x).toFloatArray(); // N x L x P
        int p = CONFIG.patchDim();
        int l = CONFIG.numPatches();
        // image 1, patch 6 (grid row 1, column 2), by hand
        int img = 1;
        int patch = 6;
        double mean = 0;
        for (int j = 0; j < p; j++) {
          mean += blurred[(img * l + patch) * p + j];
        }
        mean /= p;
        double var = 0;
        for (int j = 0; j < p; j++) {
          double d = blurred[(img * l + patch) * p + j] - mean;
          var += d * d;
        }
        var /= p - 1;
        assertEquals(mean, r.patchMean()[img * l + patch], 1e-5 * Math.abs(mean) + 1e-6);
        assertEquals(var, r.patchVar()[img * l + patch], 1e-5 * var);
        // patchify orders a patch's values (row-in-patch, column-in-patch, channel)
        int ps = CONFIG.patchSize();
        int size = CONFIG.imageSize();
        for (int j = 0; j < p; j++) {
          int ch = j % 3;
          int col = (j / 3) % ps;
          int row = j / (3 * ps);
          double want = raw[(img * (l + 1) + 1 + patch) * p + j] * Math.sqrt(var + 1e-6) + mean;
          int y = (patch / 4) * ps + row;
          int xx = (patch % 4) * ps + col;
          float got = r.prediction()[((img * 3 + ch) * size + y) * size + xx];
          assertEquals(want, got, 1e-5 * Math.max(1, Math.abs(want)), "value " + j);
        }
        assertArrayEquals(x.toFloatArray(), r.original());
        assertArrayEquals(perm.order().get(0).toLongArray(), r.order()[0]);
      }
    }
  }
}
