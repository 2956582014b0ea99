package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class DataCropPropertiesTest {
  static final double LO = 3.0 / 4.0;
  static final double HI = 4.0 / 3.0;

  @Property(tries = 2000)
  void randomResizedCropStaysInsideWithinItsScaleAndRatio(
      @ForAll @IntRange(min = 1, max = 3000) int w,
      @ForAll @IntRange(min = 1, max = 3000) int h,
      @ForAll long seed) {
    Transforms.CropSample s =
        Transforms.randomResizedCrop(w, h, 0.2, 1.0, LO, HI, new SplittableRandom(seed));
    CropBox b = s.box();
    assertTrue(b.x() >= 0 && b.y() >= 0 && b.width() > 0 && b.height() > 0, b.toString());
    assertTrue(b.x() + b.width() <= w && b.y() + b.height() <= h, b + " in " + w + " x " + h);
    if (s.fallback()) {
      // the centre crop of the whole image, clamped to the ratio range
      assertEquals((w - b.width()) / 2, b.x());
      assertEquals((h - b.height()) / 2, b.y());
      double in = (double) w / h;
      if (in < LO) {
        assertEquals(w, b.width());
        assertEquals(Math.min(h, Math.rint(w / LO)), b.height());
      } else if (in > HI) {
        assertEquals(h, b.height());
        assertEquals(Math.min(w, Math.rint(h * HI)), b.width());
      } else {
        assertEquals(w, b.width());
        assertEquals(h, b.height());
      }
      return;
    }
    // the sampled area fraction and ratio are in range ...
    assertTrue(s.areaFraction() >= 0.2 && s.areaFraction() <= 1.0, "fraction " + s.areaFraction());
    assertTrue(
        s.aspectRatio() >= LO - 1e-12 && s.aspectRatio() <= HI + 1e-12, "ratio " + s.aspectRatio());
    // ... and the box is their rounding: each side within half a pixel of the exact one
    double area = s.areaFraction() * w * h;
    double exactW = Math.sqrt(area * s.aspectRatio());
    double exactH = Math.sqrt(area / s.aspectRatio());
    assertEquals(Math.rint(exactW), b.width());
    assertEquals(Math.rint(exactH), b.height());
    // so the realised area fraction and ratio are in range up to that rounding
    double lo = (exactW - 0.5) * (exactH - 0.5) / ((double) w * h);
    double fraction = (double) b.width() * b.height() / ((double) w * h);
    assertTrue(
        fraction >= Math.min(0.2, lo) - 1e-12 && fraction <= 1.0, "realised fraction " + fraction);
    double ratio = (double) b.width() / b.height();
    assertTrue(
        ratio >= LO * (exactW - 0.5) / exactW * exactH / (exactH + 0.5) - 1e-12
            && ratio <= HI * (exactW + 0.5) / exactW * exactH / (exactH - 0.5) + 1e-12,
        "realised ratio " + ratio);
    if (w >= 100 && h >= 100) {
      assertTrue(fraction >= 0.19 && ratio >= 0.73 && ratio <= 1.37, fraction + " " + ratio);
    }
  }

  @Property(tries = 300)
  void mostCropsAreNotFallbacksOnOrdinaryImages(
      @ForAll @IntRange(min = 32, max = 1000) int w,
      @ForAll @IntRange(min = 0, max = 100) int extra,
      @ForAll long seed) {
    int h = Math.max(1, (int) (w * (0.8 + extra / 250.0)));
    int fallbacks = 0;
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < 50; i++) {
      fallbacks += Transforms.randomResizedCrop(w, h, 0.2, 1.0, LO, HI, r).fallback() ? 1 : 0;
    }
    assertTrue(fallbacks <= 5, fallbacks + " fallbacks for " + w + " x " + h);
  }

  @Property(tries = 40)
  void theImageOfAKeyIsAPureFunctionOfIt(
      @ForAll @IntRange(min = 0, max = 1998) int index,
      @ForAll @IntRange(min = 0, max = 1000) int epoch,
      @ForAll long seed) {
    IdxDataset d = EmbeddedFashionMnist.test();
    ImageTransform t = Transforms.randomResizedCropFlip(32, 3);
    float[] a = t.apply(d.image(index), seed, epoch, index);
    assertArrayEquals(a, t.apply(d.image(index), seed, epoch, index));
    // another index draws another crop: on the same image, the output differs
    boolean differs = false;
    for (int other = index + 1; other < index + 4 && !differs; other++) {
      differs = !Arrays.equals(a, t.apply(d.image(index), seed, epoch, other));
    }
    assertTrue(differs);
    assertFalse(Arrays.equals(a, t.apply(d.image(index + 1), seed, epoch, index + 1)));
  }
}
