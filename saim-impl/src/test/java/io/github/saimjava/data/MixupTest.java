package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class MixupTest {
  static float[] pixels(int n, int per, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] p = new float[n * per];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) r.nextGaussian();
    }
    return p;
  }

  /** Every row of the targets sums to 1 and each class keeps the unmixed batch's total mass. */
  @Property(tries = 300)
  void mixupAndCutmixKeepLabelMass(
      @ForAll @IntRange(min = 1, max = 8) int half,
      @ForAll @IntRange(min = 2, max = 12) int classes,
      @ForAll @DoubleRange(min = 0, max = 0.3) double smoothing,
      @ForAll @DoubleRange(min = 0, max = 1) double switchProb,
      @ForAll long seed) {
    int n = 2 * half;
    SplittableRandom r = new SplittableRandom(seed);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(classes);
    }
    Mixup m = new Mixup(0.8, 1.0, null, 1.0, switchProb, smoothing, classes);
    Mixup.Outcome o = m.apply(pixels(n, 3 * 8 * 8, seed), labels, 3, 8, 8, r);
    assertTrue(o.lambda() >= 0 && o.lambda() <= 1, "lambda " + o.lambda());
    double[] mass = new double[classes];
    for (int i = 0; i < n; i++) {
      double row = 0;
      for (int k = 0; k < classes; k++) {
        row += o.targets()[i * classes + k];
        mass[k] += o.targets()[i * classes + k];
      }
      assertEquals(1.0, row, 1e-5);
    }
    for (int k = 0; k < classes; k++) {
      int count = 0;
      for (int y : labels) {
        count += y == k ? 1 : 0;
      }
      assertEquals(count * (1 - smoothing) + n * smoothing / classes, mass[k], 1e-4, "class " + k);
    }
  }

  /**
   * CutMix's lambda is the fraction of the image left unpasted; the box holds the partner's pixels,
   * the rest is untouched.
   */
  @Property(tries = 200)
  void cutmixLambdaIsTheKeptAreaFraction(
      @ForAll long seed, @ForAll @IntRange(min = 4, max = 24) int size, @ForAll boolean minMax) {
    int n = 4;
    int per = 2 * size * size;
    float[] orig = pixels(n, per, seed);
    float[] px = orig.clone();
    Mixup m = new Mixup(0, 1.0, minMax ? new double[] {0.25, 0.75} : null, 1.0, 0.5, 0, 3);
    Mixup.Outcome o =
        m.apply(px, new int[] {0, 1, 2, 0}, 2, size, size, new SplittableRandom(seed));
    int pasted = 0;
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < 2; c++) {
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            int at = (c * size + y) * size + x;
            boolean inBox =
                o.box() != null
                    && x >= o.box().x()
                    && x < o.box().x() + o.box().width()
                    && y >= o.box().y()
                    && y < o.box().y() + o.box().height();
            float want = inBox ? orig[(n - 1 - i) * per + at] : orig[i * per + at];
            assertEquals(want, px[i * per + at], 0f);
            if (i == 0 && c == 0 && inBox) {
              pasted++;
            }
          }
        }
      }
    }
    assertEquals(1 - (double) pasted / (size * size), o.lambda(), 1e-12);
    // the targets carry the same lambda: label 0 of row 0 and label 0 of its partner (row 3)
    assertEquals(1.0, o.targets()[0], 1e-6);
    assertEquals(o.lambda(), o.targets()[3 + 1], 1e-6);
  }

  @Test
  void mixupBlendsEachImageWithItsPartner() {
    float[] orig = pixels(2, 4, 7);
    float[] px = orig.clone();
    Mixup.Outcome o =
        new Mixup(0.8, 0, null, 1.0, 0.5, 0, 2)
            .apply(px, new int[] {0, 1}, 1, 2, 2, new SplittableRandom(5));
    double l = o.lambda();
    assertTrue(l > 0 && l < 1);
    for (int k = 0; k < 4; k++) {
      assertEquals(orig[k] * (float) l + orig[4 + k] * (float) (1 - l), px[k], 1e-6);
    }
    assertEquals(l, o.targets()[0], 1e-6);
    assertEquals(1 - l, o.targets()[1], 1e-6);
  }

  @Test
  void betaSamplesHaveTheRightMean() {
    SplittableRandom r = new SplittableRandom(1);
    for (double a : new double[] {0.2, 0.8, 1.0, 3.0}) {
      double sum = 0;
      double sq = 0;
      int n = 20000;
      for (int i = 0; i < n; i++) {
        double b = Mixup.beta(a, r);
        sum += b;
        sq += (b - 0.5) * (b - 0.5);
      }
      // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1))
      assertEquals(0.5, sum / n, 0.01, "alpha " + a);
      assertEquals(1 / (4 * (2 * a + 1)), sq / n, 0.01, "alpha " + a);
    }
  }

  @Test
  void probabilityZeroLeavesTheBatchAlone() {
    float[] orig = pixels(2, 4, 1);
    float[] px = orig.clone();
    Mixup.Outcome o =
        new Mixup(0.8, 1.0, null, 0.0, 0.5, 0.1, 2)
            .apply(px, new int[] {0, 1}, 1, 2, 2, new SplittableRandom(1));
    assertEquals(1.0, o.lambda());
    assertEquals(java.util.Arrays.toString(orig), java.util.Arrays.toString(px));
  }

  @Test
  void badSettingsAreRefusedByName() {
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new Mixup(-1, 0, null, 1, 0.5, 0, 2))
            .getMessage()
            .contains("mixup alpha"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> new Mixup(0, 1, new double[] {0.8, 0.2}, 1, 0.5, 0, 2))
            .getMessage()
            .contains("cutmix min/max"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    new Mixup(1, 0, null, 1, 0.5, 0, 2)
                        .apply(new float[3], new int[3], 1, 1, 1, new SplittableRandom(1)))
            .getMessage()
            .contains("even"));
    assertNotNull(new Mixup(0, 0, null, 1, 0.5, 0, 2).toString());
  }
}
