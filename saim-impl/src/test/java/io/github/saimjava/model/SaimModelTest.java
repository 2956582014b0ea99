package io.github.saimjava.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.LossType;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.train.ReferenceCheck;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SaimModelTest {
  static NDManager manager;
  static SafeTensors.Contents fixture;

  static final SaimConfig SMALL =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(64)
          .depth(4)
          .heads(4)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  @BeforeAll
  static void open() throws Exception {
    manager = NDManager.newBaseManager("PyTorch");
    fixture =
        SafeTensors.read(
            Path.of(
                SaimModelTest.class
                    .getResource("/fixtures/reference-tiny-mlp-blur.safetensors")
                    .toURI()));
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  @Test
  void sinCosTableEqualsTheReferencePositionEmbedding() {
    float[] ref = fixture.require("param.pos_embed").toFloatArray();
    float[] ours = SinCosTable.create(64, 4);
    assertEquals(0.0, ReferenceCheck.relativeError(ours, ref), 1e-7);
  }

  @Test
  void gaussianKernelEqualsTheReferenceBuffer() {
    float[] ref = fixture.require("param.gaussian_blur.weight").toFloatArray(); // 3 x 1 x 3 x 3
    float[] kernel = GaussianKernel.create(3, 1.0);
    float[] ours = new float[27];
    for (int c = 0; c < 3; c++) {
      System.arraycopy(kernel, 0, ours, c * 9, 9);
    }
    assertEquals(0.0, ReferenceCheck.relativeError(ours, ref), 1e-7);
    double sum = 0;
    for (float v : GaussianKernel.create(9, 1.0)) {
      sum += v;
    }
    assertEquals(1.0, sum, 1e-6);
  }

  @Test
  void patchifyOrdersRowThenColumnThenChannel() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(SMALL, m, 1)) {
      NDArray img = m.randomNormal(new Shape(2, 3, 32, 32));
      float[] x = img.toFloatArray();
      float[] t = model.patchify(img).toFloatArray(); // 2 x 16 x 192
      int n = 1;
      int gr = 2;
      int gc = 3;
      int r = 5;
      int c = 6;
      int ch = 2;
      int k = gr * 4 + gc;
      float expected = x[((n * 3 + ch) * 32 + gr * 8 + r) * 32 + gc * 8 + c];
      assertEquals(expected, t[(n * 16 + k) * 192 + (r * 8 + c) * 3 + ch]);
      assertArrayEquals(x, model.unpatchify(model.patchify(img)).toFloatArray());
    }
  }

  @Test
  void initialisationFollowsTheReference() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(SaimConfig.vitTiny(), m, 7)) {
      ParameterSet ps = model.parameters();
      float[] q = ps.get("blocks.0.attn.q.weight").toFloatArray();
      double bound = Math.sqrt(6.0 / (192 + 192));
      double sq = 0;
      for (float v : q) {
        assertTrue(Math.abs(v) <= bound);
        sq += v * v;
      }
      // Xavier-uniform variance is bound^2 / 3
      assertEquals(bound * bound / 3, sq / q.length, 0.05 * bound * bound / 3);
      float[] cls = ps.get("cls_token").toFloatArray();
      double s = 0;
      for (float v : cls) {
        s += v * v;
      }
      assertEquals(0.02, Math.sqrt(s / cls.length), 0.004);
      for (float v : ps.get("blocks.3.attn.proj.bias").toFloatArray()) {
        assertEquals(0f, v);
      }
      for (float v : ps.get("norm.weight").toFloatArray()) {
        assertEquals(1f, v);
      }
      double pb = Math.sqrt(6.0 / (192 + 3 * 16 * 16));
      for (float v : ps.get("patch_embed.proj.weight").toFloatArray()) {
        assertTrue(Math.abs(v) <= pb);
      }
      assertFalse(ps.trainable().containsKey("pos_embed"));
      assertFalse(ps.trainable().containsKey("gaussian_blur.weight"));
      assertTrue(ps.trainable().containsKey("cls_token"));
    }
  }

  @Test
  void sameSeedSameWeights() {
    try (NDManager m = manager.newSubManager();
        SaimModel a = new SaimModel(SMALL, m, 3);
        SaimModel b = new SaimModel(SMALL, m, 3)) {
      assertEquals(a.stateDict(), b.stateDict());
    }
  }

  @Test
  void sharedWeightsExposeBothNamesLikeTheReference() {
    SaimConfig shared = SMALL.toBuilder().shareWeight(true).queryDepth(4).build();
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(shared, m, 3)) {
      Map<String, HostTensor> sd = model.stateDict();
      assertEquals(sd.get("blocks.2.mlp.fc1.weight"), sd.get("query_blocks.2.mlp.fc1.weight"));
      assertSame(
          model.parameters().get("blocks.2.mlp.fc1.weight"),
          model.parameters().get("query_blocks.2.mlp.fc1.weight"));
      assertFalse(model.parameters().trainable().containsKey("query_blocks.0.norm1.weight"));
      assertTrue(model.load(sd, true).isClean());
    }
  }

  @Test
  void strictLoadingReportsMissingUnexpectedAndMismatchedNames() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(SMALL, m, 3)) {
      Map<String, HostTensor> sd = new LinkedHashMap<>(model.stateDict());
      sd.remove("norm.bias");
      sd.put("head.weight", HostTensor.ofFloats(new long[] {1}, new float[] {1}));
      sd.put("cls_token", HostTensor.ofFloats(new long[] {1, 1, 2}, new float[] {1, 2}));
      LoadReport r = model.load(sd, false);
      assertEquals(java.util.List.of("norm.bias"), r.missing());
      assertEquals(java.util.List.of("head.weight"), r.unexpected());
      assertEquals(
          java.util.List.of("cls_token: checkpoint [1, 1, 2], model [1, 1, 64]"),
          r.shapeMismatches());
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> model.load(sd, true));
      assertTrue(e.getMessage().contains("missing [norm.bias]"), e.getMessage());
    }
  }

  @Test
  void wrongImageShapeOrChannelsIsAClearError() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(SMALL, m, 3)) {
      IllegalArgumentException size =
          assertThrows(
              IllegalArgumentException.class, () -> model.embed(m.zeros(new Shape(2, 3, 28, 28))));
      assertEquals("images must have shape N x 3 x 32 x 32, got (2, 3, 28, 28)", size.getMessage());
      IllegalArgumentException channels =
          assertThrows(
              IllegalArgumentException.class, () -> model.target(m.zeros(new Shape(1, 1, 32, 32))));
      assertEquals(
          "images must have shape N x 3 x 32 x 32, got (1, 1, 32, 32)", channels.getMessage());
      try (Permutation p = PermutationSampler.builder(9).raster().build().sample(m, 2)) {
        IllegalArgumentException perm =
            assertThrows(
                IllegalArgumentException.class,
                () -> model.forward(m.zeros(new Shape(2, 3, 32, 32)), p, false));
        assertEquals(
            "permutation is for 2 images of 9 patches, but the batch has 2 images of 16 patches",
            perm.getMessage());
      }
    }
  }

  @Test
  void lossIsZeroForAPerfectPredictionAndPositiveOtherwise() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(SMALL, m, 3)) {
      NDArray img = m.randomNormal(new Shape(2, 3, 32, 32));
      NDArray target = model.target(img); // 2 x 16 x 192
      NDArray perfect = m.zeros(new Shape(2, 1, 192)).concat(target, 1);
      assertEquals(0f, model.loss(perfect, target).getFloat());
      NDArray off = perfect.add(0.5f);
      assertEquals(0.25f, model.loss(off, target).getFloat(), 1e-6f);
      // norm-pix target: each patch has mean 0 and unbiased variance 1 (up to the 1e-6 epsilon)
      float[] t = target.get("0, 5, :").toFloatArray();
      double mean = 0;
      for (float v : t) {
        mean += v;
      }
      mean /= t.length;
      double var = 0;
      for (float v : t) {
        var += (v - mean) * (v - mean);
      }
      assertEquals(0.0, mean, 1e-5);
      assertEquals(1.0, var / (t.length - 1), 1e-4);
    }
  }

  @Test
  void patchLossAveragesToTheLossForBothLossTypes() {
    for (SaimConfig c : new SaimConfig[] {SMALL, SMALL.toBuilder().loss(LossType.L1).build()}) {
      try (NDManager m = manager.newSubManager();
          SaimModel model = new SaimModel(c, m, 5)) {
        NDArray img = m.randomNormal(new Shape(3, 3, 32, 32));
        try (Permutation p = PermutationSampler.builder(16).stochastic(1).build().sample(m, 3)) {
          NDArray pred = model.forward(img, p, false).prediction();
          NDArray target = model.target(img);
          NDArray perPatch = model.patchLoss(pred, target);
          assertEquals(new Shape(3, 16), perPatch.getShape());
          assertEquals(model.loss(pred, target).getFloat(), perPatch.mean().getFloat(), 1e-6f);
          // patch 7 of image 1 by hand: the mean over its 192 values
          float[] d = pred.get("1, 8, :").sub(target.get("1, 7, :")).toFloatArray();
          double sum = 0;
          for (float v : d) {
            sum += c.loss() == LossType.L1 ? Math.abs(v) : v * v;
          }
          assertEquals(sum / d.length, perPatch.getFloat(1, 7), 1e-5);
        }
      }
    }
  }

  /**
   * Raster order in the full model: the prediction of patch k reads patches 0..k-1 only, so
   * changing patch 5's pixels leaves the predictions of patches 0..5 unchanged and changes those of
   * every later patch.
   */
  @Test
  void rasterPredictionOfAPatchReadsOnlyThePatchesBeforeIt() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(SMALL, m, 11);
        Permutation p = PermutationSampler.builder(16).raster().build().sample(m, 1)) {
      NDArray img = m.randomNormal(new Shape(1, 3, 32, 32));
      NDArray changed = img.duplicate();
      // patch 5 = grid row 1, column 1 of the 4 x 4 grid of 8 px patches
      changed.set(new ai.djl.ndarray.index.NDIndex(":, :, 8:16, 8:16"), 3f);
      float[][] before = rows(model.forward(img, p, false).prediction());
      float[][] after = rows(model.forward(changed, p, false).prediction());
      for (int k = 0; k < 16; k++) {
        if (k <= 5) {
          assertArrayEquals(before[k + 1], after[k + 1], 1e-6f, "patch " + k);
        } else {
          assertFalse(java.util.Arrays.equals(before[k + 1], after[k + 1]), "patch " + k);
        }
      }
    }
  }

  private static float[][] rows(NDArray prediction) {
    int l = (int) prediction.getShape().get(1);
    float[][] out = new float[l][];
    for (int i = 0; i < l; i++) {
      out[i] = prediction.get("0, " + i + ", :").toFloatArray();
    }
    return out;
  }
}
