package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The operations against Pillow 12.3 on a 9 x 7 RGB pattern (fixtures/randaugment-pil.py wrote the
 * values).
 */
class RandAugmentTest {
  static final JsonObject PIL = read();

  static JsonObject read() {
    try {
      return JsonParser.parseString(
              Files.readString(Path.of("src/test/resources/fixtures/randaugment-pil.json")))
          .getAsJsonObject();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static byte[] bytes(String key) {
    JsonArray a = PIL.getAsJsonArray(key);
    byte[] b = new byte[a.size()];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) a.get(i).getAsInt();
    }
    return b;
  }

  static final DecodedImage INPUT = new DecodedImage(9, 7, 3, bytes("input"));

  /** Largest absolute difference from PIL's bytes. */
  static int maxDiff(String key, UnaryOperator<DecodedImage> op) {
    byte[] want = bytes(key);
    byte[] got = op.apply(INPUT).pixels();
    int max = 0;
    for (int i = 0; i < want.length; i++) {
      max = Math.max(max, Math.abs((want[i] & 0xff) - (got[i] & 0xff)));
    }
    return max;
  }

  @Test
  void pointOperationsMatchPillowExactly() {
    assertEquals(0, maxDiff("autocontrast", RandAugment::autoContrast));
    assertEquals(0, maxDiff("equalize", RandAugment::equalize));
    assertEquals(0, maxDiff("posterize2", i -> RandAugment.posterize(i, 2)));
    assertEquals(0, maxDiff("solarize100", i -> RandAugment.solarize(i, 100)));
  }

  @Test
  void enhancementsMatchPillowExactly() {
    assertEquals(0, maxDiff("color1.6", i -> RandAugment.color(i, 1.6)));
    assertEquals(0, maxDiff("color0.3", i -> RandAugment.color(i, 0.3)));
    assertEquals(0, maxDiff("contrast1.7", i -> RandAugment.contrast(i, 1.7)));
    assertEquals(
        0,
        maxDiff(
            "brightness0.4",
            i -> RandAugment.blend(new DecodedImage(9, 7, 3, new byte[9 * 7 * 3]), i, 0.4)));
    assertEquals(0, maxDiff("sharpness1.8", i -> RandAugment.blend(RandAugment.smooth(i), i, 1.8)));
  }

  @Test
  void geometricOperationsMatchPillowExactly() {
    assertEquals(0, maxDiff("rotate17", i -> RandAugment.rotate(i, 17)));
    assertEquals(
        0, maxDiff("shearx0.2", i -> RandAugment.affine(i, new double[] {1, 0.2, 0, 0, 1, 0})));
    assertEquals(
        0,
        maxDiff("translatey-2.5", i -> RandAugment.affine(i, new double[] {1, 0, 0, 0, 1, -2.5})));
  }

  @Test
  void policyStringsParseAsTimmReadsThem() {
    RandAugment r = RandAugment.parse("rand-m9-mstd0.5-inc1");
    assertEquals(2, r.layers());
    assertEquals(3, RandAugment.parse("rand-m5-n3").layers());
    assertNull(RandAugment.parse("none"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> RandAugment.parse("rand-m9-x3"))
            .getMessage()
            .contains("'x3'"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> RandAugment.parse("v0"))
            .getMessage()
            .contains("not supported"));
    assertThrows(IllegalArgumentException.class, () -> RandAugment.parse("rand-m11"));
  }

  @Test
  void augmentationIsAPureFunctionOfTheGenerator() {
    RandAugment r = RandAugment.parse("rand-m9-mstd0.5-inc1");
    for (long s = 0; s < 20; s++) {
      DecodedImage a = r.apply(INPUT, new SplittableRandom(s));
      DecodedImage b = r.apply(INPUT, new SplittableRandom(s));
      assertEquals(java.util.Arrays.toString(a.pixels()), java.util.Arrays.toString(b.pixels()));
      assertEquals(INPUT.width(), a.width());
      assertEquals(INPUT.channels(), a.channels());
    }
  }
}
