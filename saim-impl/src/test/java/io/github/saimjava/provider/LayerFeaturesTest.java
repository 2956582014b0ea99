package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.SaimModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Features read after an earlier block ({@code layer(k)}) and the pooling variants, against
 * hand-run references.
 */
class LayerFeaturesTest {
  static final SaimConfig CFG =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(48)
          .depth(3)
          .heads(3)
          .queryDepth(3)
          .blur(3, 1)
          .build();
  static final int D = 48;
  static final int L = 16;

  /**
   * The reference for block k: an encoder of depth k built apart and given the full model's
   * embedding, first k blocks and final norm, run to its end. Returns, per image, the class token
   * after the final norm and the raw patch tokens {@code [image][patch][D]}.
   */
  private static Object[] handRun(int k, List<RawImage> imgs) {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        SaimModel full = new SaimModel(CFG, m, 3);
        SaimModel cut =
            new SaimModel(
                SaimConfig.builder()
                    .imageSize(32)
                    .patchSize(8)
                    .width(D)
                    .depth(k)
                    .heads(3)
                    .queryDepth(k)
                    .blur(3, 1)
                    .build(),
                m,
                99)) {
      Map<String, HostTensor> w = new LinkedHashMap<>();
      full.stateDict()
          .forEach(
              (name, t) -> {
                boolean laterBlock =
                    name.startsWith("blocks.") && Integer.parseInt(name.split("\\.")[1]) >= k;
                if (!laterBlock
                    && !name.startsWith("query_blocks.")
                    && !name.startsWith("prediction_head.")) {
                  w.put(name, t);
                }
              });
      assertTrue(
          cut.load(w, false).missing().stream()
              .allMatch(
                  n ->
                      n.startsWith("query_blocks.")
                          || n.startsWith("prediction_head.")
                          || n.startsWith("gaussian")),
          "the cut encoder got every encoder weight");
      float[] px = new float[imgs.size() * 3 * 32 * 32];
      for (int i = 0; i < imgs.size(); i++) {
        System.arraycopy(
            Transforms.centreCrop(DecodedImage.of(imgs.get(i)), 32, 3),
            0,
            px,
            i * 3 * 32 * 32,
            3 * 32 * 32);
      }
      NDArray x = m.create(px, new Shape(imgs.size(), 3, 32, 32));
      NDArray h = cut.encode(x, false);
      float[] cls = cut.norm(h).get(":, 0, :").toFloatArray();
      float[] tokens = h.toFloatArray();
      float[][] c = new float[imgs.size()][D];
      float[][][] patches = new float[imgs.size()][L][D];
      for (int i = 0; i < imgs.size(); i++) {
        System.arraycopy(cls, i * D, c[i], 0, D);
        for (int l = 0; l < L; l++) {
          System.arraycopy(tokens, (i * (L + 1) + l + 1) * D, patches[i][l], 0, D);
        }
      }
      return new Object[] {c, patches};
    }
  }

  /**
   * The mean over patch tokens, then a LayerNorm without affine (the checkpoint has no fc_norm).
   */
  private static float[] directMean(float[][] patches, double eps) {
    double[] mean = new double[D];
    for (float[] p : patches) {
      for (int j = 0; j < D; j++) {
        mean[j] += p[j] / (double) patches.length;
      }
    }
    double mu = 0;
    for (double v : mean) {
      mu += v / D;
    }
    double var = 0;
    for (double v : mean) {
      var += (v - mu) * (v - mu) / D;
    }
    float[] out = new float[D];
    for (int j = 0; j < D; j++) {
      out[j] = (float) ((mean[j] - mu) / Math.sqrt(var + eps));
    }
    return out;
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    double diff = 0;
    double scale = 0;
    for (int j = 0; j < expected.length; j++) {
      diff = Math.max(diff, Math.abs(expected[j] - actual[j]));
      scale = Math.max(scale, Math.abs(expected[j]));
    }
    assertTrue(scale > 0.1, what + ": a degenerate reference");
    assertTrue(diff / scale < 1e-4, what + ": relative error " + diff / scale);
  }

  @Test
  void blockKFeaturesEqualAHandRunOfTheFirstKBlocksWithEachPooling() throws Exception {
    List<RawImage> imgs = SaimEncoderTest.images(4);
    float[][][] every;
    try (SaimEncoder e =
        SaimEncoder.builder()
            .config(CFG)
            .seed(3)
            .pooling(SaimEncoder.Pooling.CLS_MEAN)
            .batchSize(3)
            .build()) {
      assertEquals(2 * D, e.dimension());
      every = e.embedEveryLayer(imgs);
    }
    assertEquals(3, every.length);
    for (int k = 1; k <= 3; k++) {
      Object[] ref = handRun(k, imgs);
      float[][] cls = (float[][]) ref[0];
      float[][][] patches = (float[][][]) ref[1];
      float[][] clsK;
      float[][] meanK;
      float[][] bothK;
      try (SaimEncoder c = SaimEncoder.builder().config(CFG).seed(3).layer(k).build();
          SaimEncoder a =
              SaimEncoder.builder()
                  .config(CFG)
                  .seed(3)
                  .layer(k)
                  .pooling(SaimEncoder.Pooling.MEAN)
                  .build();
          SaimEncoder b =
              SaimEncoder.builder()
                  .config(CFG)
                  .seed(3)
                  .layer(k)
                  .pooling(SaimEncoder.Pooling.CLS_MEAN)
                  .build()) {
        clsK = c.embed(imgs);
        meanK = a.embed(imgs);
        bothK = b.embed(imgs);
      }
      for (int i = 0; i < imgs.size(); i++) {
        String at = "block " + k + ", image " + i;
        assertClose(cls[i], clsK[i], "cls " + at);
        assertClose(directMean(patches[i], CFG.layerNormEps()), meanK[i], "mean " + at);
        float[] concat = new float[2 * D];
        System.arraycopy(clsK[i], 0, concat, 0, D);
        System.arraycopy(meanK[i], 0, concat, D, D);
        assertArrayEquals(concat, bothK[i], 1e-6f, "cls_mean is cls then mean, " + at);
        assertArrayEquals(
            bothK[i], every[k - 1][i], 1e-5f, "embedEveryLayer equals layer(k), " + at);
      }
    }
  }

  @Test
  void patchTokensAreTheLastBlocksRawTokensOrTheAverageOfTheLastK() throws Exception {
    List<RawImage> imgs = SaimEncoderTest.images(3);
    float[][][] last;
    float[][][] lastTwo;
    try (SaimEncoder e = SaimEncoder.builder().config(CFG).seed(3).layer(1).batchSize(2).build()) {
      last = e.patchTokens(imgs, 1);
      lastTwo = e.patchTokens(imgs, 2);
      assertEquals(
          "lastBlocks (4) must be in 1..3 (the encoder's depth)",
          assertThrows(IllegalArgumentException.class, () -> e.patchTokens(imgs, 4)).getMessage());
    }
    float[][][] block3 = (float[][][]) handRun(3, imgs)[1];
    float[][][] block2 = (float[][][]) handRun(2, imgs)[1];
    assertEquals(3, last.length);
    for (int i = 0; i < imgs.size(); i++) {
      assertEquals(L, last[i].length);
      for (int t = 0; t < L; t++) {
        String at = "image " + i + ", patch " + t;
        assertClose(block3[i][t], last[i][t], "last block, " + at);
        float[] avg = new float[D];
        for (int j = 0; j < D; j++) {
          avg[j] = (block2[i][t][j] + block3[i][t][j]) / 2;
        }
        assertClose(avg, lastTwo[i][t], "average of the last two, " + at);
      }
    }
  }

  @Test
  void theDefaultLayerIsTheLastBlock() throws Exception {
    List<RawImage> imgs = SaimEncoderTest.images(3);
    try (SaimEncoder def = SaimEncoder.builder().config(CFG).seed(5).build();
        SaimEncoder last = SaimEncoder.builder().config(CFG).seed(5).layer(3).build();
        SaimEncoder first = SaimEncoder.builder().config(CFG).seed(5).layer(1).build()) {
      float[][] a = def.embed(imgs);
      float[][] b = last.embed(imgs);
      float[][] c = first.embed(imgs);
      for (int i = 0; i < imgs.size(); i++) {
        assertArrayEquals(a[i], b[i], 0f);
        assertTrue(
            Math.abs(a[i][0] - c[i][0]) + Math.abs(a[i][1] - c[i][1]) > 1e-4,
            "block 1 differs from block 3");
      }
    }
  }

  @Test
  void aLayerOutsideTheEncoderIsRefusedNamingTheDepth() {
    IllegalArgumentException deep =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimEncoder.builder().config(CFG).layer(4).build());
    assertTrue(
        deep.getMessage().contains("layer 4") && deep.getMessage().contains("1..3"),
        deep.getMessage());
    IllegalArgumentException negative =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimEncoder.builder().config(CFG).layer(-1).build());
    assertTrue(negative.getMessage().contains("-1"), negative.getMessage());
  }
}
