package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RandomErasingTest {
  /**
   * Only values inside the returned rectangle change (all channels), and its area is within the
   * drawn range.
   */
  @Property(tries = 300)
  void erasingTouchesOnlyTheErasedRectangle(
      @ForAll long seed,
      @ForAll @IntRange(min = 8, max = 40) int h,
      @ForAll @IntRange(min = 8, max = 40) int w) {
    int c = 3;
    float[] img = new float[2 + c * h * w];
    java.util.Arrays.fill(img, 7f);
    float[] before = img.clone();
    CropBox box = RandomErasing.erase(img, 2, c, h, w, 1.0, new SplittableRandom(seed));
    assertEquals(7f, img[0]);
    assertEquals(7f, img[1]);
    int changed = 0;
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int at = 2 + (ch * h + y) * w + x;
          boolean in =
              box != null
                  && x >= box.x()
                  && x < box.x() + box.width()
                  && y >= box.y()
                  && y < box.y() + box.height();
          if (!in) {
            assertEquals(before[at], img[at], 0f, "outside the box at " + ch + "," + y + "," + x);
          } else if (img[at] != before[at]) {
            changed++;
          }
        }
      }
    }
    if (box != null) {
      assertTrue(box.width() < w && box.height() < h, "strictly smaller than the image");
      assertEquals(c * box.width() * box.height(), changed);
      double area = (double) box.width() * box.height() / (h * w);
      // rounding of the sides can move the area a little outside [0.02, 1/3]
      assertTrue(area > 0.005 && area < 0.5, "area fraction " + area);
    }
  }

  @Test
  void probabilityZeroErasesNothingAndOneAlwaysErasesAtThisSize() {
    float[] img = new float[3 * 32 * 32];
    assertNull(RandomErasing.erase(img, 0, 3, 32, 32, 0.0, new SplittableRandom(1)));
    for (int s = 0; s < 50; s++) {
      assertTrue(RandomErasing.erase(img, 0, 3, 32, 32, 1.0, new SplittableRandom(s)) != null);
    }
  }

  @Test
  void theTransformIsAPureFunctionOfSeedEpochAndIndex() {
    DecodedImage image = new DecodedImage(8, 8, 1, new byte[64]);
    ImageTransform t = RandomErasing.after(Transforms.pad(8, 1), 1.0);
    assertArrayEquals(t.apply(image, 3, 1, 5), t.apply(image, 3, 1, 5));
    assertNotEquals(
        java.util.Arrays.toString(t.apply(image, 3, 1, 5)),
        java.util.Arrays.toString(t.apply(image, 3, 2, 5)));
    assertTrue(t.describe().contains("RandomErasing"));
  }
}
