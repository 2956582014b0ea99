package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.BufferedImageFactory;
import ai.djl.modality.cv.Image;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * {@link SaimEncoder.Builder#precision}: bfloat16 embeddings of the reference's tiny checkpoint
 * (width 64, depth 4, 4 heads, 16 patches) against float32 ones of the same weights and images.
 *
 * <p>The bounds: bfloat16 keeps 8 significant bits, a relative rounding error of up to 2^-9 (2e-3)
 * each time a block's input, weight or product is rounded, and a few such roundings add up through
 * the blocks. Measured here (Xeon, 1 thread): 3.5e-3 (mean pooling) to 8.8e-3 (block 4's class
 * token), growing block by block from 5.3e-3 after block 1. The upper bound, 3e-2, is 3.4 times the
 * worst of these; the lower bound, 1e-3, is 3.5 times below the smallest and a thousand times above
 * float32's own reordering noise (about 1e-6), so an encoder that silently stayed float32 fails.
 */
class EncoderPrecisionTest {
  /** Below this, bf16 did not run; measured at least 3.5e-3. */
  static final double RAN_BF16 = 1e-3;

  /** Above this, bf16 is wrong; measured at most 8.8e-3. */
  static final double BF16_BOUND = 3e-2;

  static final SaimConfig REFERENCE_TINY =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(64)
          .depth(4)
          .heads(4)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  static SaimEncoder.Builder referenceTiny() throws Exception {
    Path pth =
        Path.of(
            EncoderPrecisionTest.class
                .getResource("/fixtures/reference-checkpoint-tiny.pth")
                .toURI());
    return SaimEncoder.builder().checkpoint(pth).config(REFERENCE_TINY).threads(1);
  }

  /** {@code |a - b| / |a|} over all the vectors together (Frobenius norms). */
  static double relativeError(float[][] a, float[][] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        num += Math.pow((double) a[i][j] - b[i][j], 2);
        den += Math.pow(a[i][j], 2);
      }
    }
    return Math.sqrt(num / den);
  }

  @Test
  void bf16EmbeddingsAreCloseToFloat32ButNotEqual() throws Exception {
    List<RawImage> imgs = SaimEncoderTest.images(16);
    for (SaimEncoder.Pooling pooling : SaimEncoder.Pooling.values()) {
      try (SaimEncoder fp32 = referenceTiny().pooling(pooling).build();
          SaimEncoder bf16 = referenceTiny().pooling(pooling).precision(Precision.BF16).build()) {
        assertEquals(Precision.FP32, fp32.precision());
        assertEquals(Precision.BF16, bf16.precision());
        float[][] a = fp32.embed(imgs);
        float[][] b = bf16.embed(imgs);
        assertEquals(a[0].length, b[0].length);
        double err = relativeError(a, b);
        System.out.printf(
            Locale.ROOT,
            "bf16 vs fp32 embeddings, %s pooling: relative error %.3e%n",
            pooling,
            err);
        assertTrue(err > RAN_BF16, pooling + ": bf16 gave float32's vectors (" + err + ")");
        assertTrue(err < BF16_BOUND, pooling + ": relative error " + err);
      }
    }
  }

  @Test
  void theFrozenEncoderGivesTheSameVectorsAsTheDefaultOne() throws Exception {
    List<RawImage> imgs = SaimEncoderTest.images(6);
    float[][] eager;
    float[][][] eagerLayers;
    System.setProperty(io.github.saimjava.model.FrozenEncoder.PROPERTY, "false");
    try (SaimEncoder e = referenceTiny().pooling(SaimEncoder.Pooling.CLS_MEAN).build()) {
      eager = e.embed(imgs);
      eagerLayers = e.embedEveryLayer(imgs);
    } finally {
      System.clearProperty(io.github.saimjava.model.FrozenEncoder.PROPERTY);
    }
    System.setProperty(io.github.saimjava.model.FrozenEncoder.PROPERTY, "true");
    try (SaimEncoder f = referenceTiny().pooling(SaimEncoder.Pooling.CLS_MEAN).build()) {
      // float32 with explicit attention: the same operators, but q, k and v as one product,
      // whose sums the GEMM may block differently (measured 6e-7 of a vector at most)
      float[][] frozen = f.embed(imgs);
      float[][][] frozenLayers = f.embedEveryLayer(imgs);
      assertTrue(relativeError(eager, frozen) < 1e-5, "embed: " + relativeError(eager, frozen));
      for (int k = 0; k < eagerLayers.length; k++) {
        double err = relativeError(eagerLayers[k], frozenLayers[k]);
        assertTrue(err < 1e-5, "block " + (k + 1) + ": " + err);
      }
    } finally {
      System.clearProperty(io.github.saimjava.model.FrozenEncoder.PROPERTY);
    }
  }

  @Test
  void everyLayerAndTheDjlPredictorRunInTheBuiltPrecision() throws Exception {
    List<RawImage> imgs = SaimEncoderTest.images(8);
    try (SaimEncoder fp32 = referenceTiny().build();
        SaimEncoder bf16 = referenceTiny().precision(Precision.BF16).build()) {
      float[][][] a = fp32.embedEveryLayer(imgs);
      float[][][] b = bf16.embedEveryLayer(imgs);
      for (int k = 0; k < a.length; k++) {
        double err = relativeError(a[k], b[k]);
        System.out.printf(Locale.ROOT, "bf16 vs fp32, block %d: relative error %.3e%n", k + 1, err);
        assertTrue(err > RAN_BF16 && err < BF16_BOUND, "block " + (k + 1) + ": " + err);
      }
      // the last block of embedEveryLayer is embed's vector, and the DJL predictor's, in bf16 too
      float[][] last = bf16.embed(imgs);
      try (Predictor<Image, float[]> p = bf16.newPredictor()) {
        for (int i = 0; i < imgs.size(); i++) {
          assertArrayEquals(last[i], b[b.length - 1][i], 1e-6f, "image " + i);
          assertArrayEquals(last[i], p.predict(djlImage(imgs.get(i))), 1e-6f, "image " + i);
        }
      }
    }
  }

  /** A grayscale image as DJL sees it. */
  private static Image djlImage(RawImage r) {
    BufferedImage b = new BufferedImage(r.width(), r.height(), BufferedImage.TYPE_BYTE_GRAY);
    b.getRaster().setDataElements(0, 0, r.width(), r.height(), r.pixels());
    return BufferedImageFactory.getInstance().fromImage(b);
  }

  @Test
  void fp32IsTheDefaultAndNullIsRefused() throws Exception {
    List<RawImage> imgs = SaimEncoderTest.images(4);
    try (SaimEncoder plain = referenceTiny().build();
        SaimEncoder fp32 = referenceTiny().precision(Precision.FP32).build()) {
      assertEquals(Precision.FP32, SaimEncoder.builder().precision());
      float[][] a = plain.embed(imgs);
      float[][] b = fp32.embed(imgs);
      for (int i = 0; i < a.length; i++) {
        assertArrayEquals(a[i], b[i], 0f, "image " + i);
      }
    }
    NullPointerException e =
        assertThrows(NullPointerException.class, () -> SaimEncoder.builder().precision(null));
    assertEquals("precision", e.getMessage());
  }
}
