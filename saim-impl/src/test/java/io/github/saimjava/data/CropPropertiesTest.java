package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class CropPropertiesTest {
  @Property(tries = 300)
  void randomResizedCropStaysInsideWithItsScaleAndRatio(@ForAll @IntRange(min = 1, max = 400) int w,
      @ForAll @IntRange(min = 1, max = 400) int h, @ForAll long seed) {
    Transforms.Box b = Transforms.randomResizedCropBox(w, h, 0.2, 1.0, new SplittableRandom(seed));
    assertTrue(b.x() >= 0 && b.y() >= 0 && b.width() > 0 && b.height() > 0);
    assertTrue(b.x() + b.width() <= w && b.y() + b.height() <= h, b.toString());
    boolean centred = b.x() == (w - b.width()) / 2 && b.y() == (h - b.height()) / 2;
    if (!centred && w >= 8 && h >= 8) {
      double area = (double) b.width() * b.height() / ((double) w * h);
      double ratio = (double) b.width() / b.height();
      // rounding the sides to whole pixels moves area and ratio a little off the sampled range
      double slack = 2.0 / Math.min(b.width(), b.height()) + 2.0 / Math.min(w, h);
      assertTrue(area >= 0.2 - 3 * slack && area <= 1.0 + 3 * slack, "area " + area);
      assertTrue(ratio >= 0.75 * (1 - slack) - 1e-9 && ratio <= (4.0 / 3) * (1 + slack) + 1e-9, "ratio " + ratio);
    }
  }

  @Property(tries = 30)
  void sameSeedEpochAndIndexGiveTheSameImage(@ForAll @IntRange(min = 0, max = 1999) int index,
      @ForAll @IntRange(min = 0, max = 5) int epoch) {
    BatchLoader a = new BatchLoader(Datasets.embeddedTest(), 4, 32, 3,
        io.github.saimjava.api.Augmentation.RANDOM_RESIZED_CROP, 11, 1, false);
    assertArrayEquals(a.sample(epoch, index), a.sample(epoch, index));
    assertTrue(!java.util.Arrays.equals(a.sample(epoch, index), a.sample(epoch + 1, index))
        || !java.util.Arrays.equals(a.sample(epoch, index), a.sample(epoch + 2, index)));
  }
}
