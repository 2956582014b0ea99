package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.Augmentation;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DataTransformsTest {
  /**
   * The pattern the PIL reference values were computed from: (37x + 91y + 53c + 29 (xy mod 7)) mod
   * 256.
   */
  static DecodedImage pattern(int w, int h, int c) {
    byte[] px = new byte[w * h * c];
    int i = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int ch = 0; ch < c; ch++) {
          px[i++] = (byte) ((x * 37 + y * 91 + ch * 53 + ((x * y) % 7) * 29) % 256);
        }
      }
    }
    return new DecodedImage(w, h, c, px);
  }

  static String hex(DecodedImage img) {
    return HexFormat.of().formatHex(img.pixels());
  }

  /**
   * Expected bytes from Pillow 9.4 ({@code Image.resize(size, Image.BICUBIC).tobytes().hex()}),
   * computed once by hand.
   */
  @Test
  void bicubicMatchesPilByteForByte() {
    Bicubic b = Bicubic.pil();
    DecodedImage rgb = pattern(13, 9, 3);
    assertEquals(
        "5f76717f8f9e9581596a6e828bb269587e8e8675797f8678657b8e9778798f858e54518c8965676e7b974f498494856a7b635c536aa"
            + "48e8d5f60556d",
        hex(b.resize(rgb, 5, 4)));
    assertEquals(
        "497e81578c4f915c915f629a79aee3b1f11bc11d5a4c81845a8f52945f9462659d7cb180b4f41e6196784684ab5f4e85ac9258477"
            + "cb1dd5f3e67918764997b4987ae6b5188af955b4a7fbce0624177b4818d739ab45c824573ad0d4a7fa42664935a507ab78490769d685"
            + "f854876b0104d82a729678f5e96818447a8b275a568376230652160954f87c492619984874a79b578a86b3a653368246398",
        hex(b.resize(rgb, 13, 4)));
    assertEquals(
        "174c8164a1d8bcaf6e423569508db8a5da2f919a5a7154799a965f9e866a8c576072ad7d639d6794589789b471619f5c825e9ea6a"
            + "f794378b3659d61965580497bba5e9c7899636b50598e7c5a969a6355638c7e7f4b878453889cd19b4583c1a92658c1b170589dd476"
            + "4075a93d726d366b034b80644b8036356a0c487d9bd66ab67943325da684c39fcba735424a8c6d3d788c94587256817d4685739773905059",
        hex(b.resize(rgb, 6, 9)));
    assertEquals(
        "975e958d4767755479649bcaaddc3ea28c487c4b847daf7568a95b7980709b5d986339738c89777eac8b3b6aa0cc2956c1615275a"
            + "9745f948e468ab85566a4733f73c05c916b649f1a5d9911427773346d90335f81585a78ad6ea38092855f9d4b5f94",
        hex(b.resize(rgb, new CropBox(2, 1, 8, 6), 11, 3)));
    DecodedImage up = b.resize(rgb, 29, 17);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(up.pixels());
    assertEquals(314_857_788L, crc.getValue());
    assertEquals("002b5e0031690b3e821e549e", hex(up).substring(0, 24));
    DecodedImage gray = pattern(7, 5, 1);
    assertEquals("5e77a8567b91", hex(b.resize(gray, 3, 2)));
    assertEquals(
        "0000081926364e6b818e9cacbaccd9e10003112434455668788898a9b8cbdae2",
        hex(b.resize(gray, 16, 16)).substring(0, 64));
    crc.reset();
    crc.update(b.resize(gray, 16, 16).pixels());
    assertEquals(3_488_719_321L, crc.getValue());
  }

  @Test
  void kernelHasTheCubicConvolutionShape() {
    for (Bicubic b : new Bicubic[] {Bicubic.pil(), Bicubic.withA(Bicubic.KEYS_A)}) {
      assertEquals(1.0, b.kernel(0));
      assertEquals(0.0, b.kernel(1), 0.0);
      assertEquals(0.0, b.kernel(2), 0.0);
      assertEquals(0.0, b.kernel(-2.5), 0.0);
      assertEquals(b.kernel(0.3), b.kernel(-0.3));
      // the weights of the four neighbours of any point sum to 1
      for (double t = 0; t < 1; t += 0.125) {
        assertEquals(1.0, b.kernel(1 + t) + b.kernel(t) + b.kernel(1 - t) + b.kernel(2 - t), 1e-12);
      }
    }
    // at x = 1.5 the kernel is 0.125 a: -0.0625 for PIL's a = -0.5, -0.09375 for -0.75
    assertEquals(-0.0625, Bicubic.pil().kernel(1.5), 1e-15);
    assertEquals(-0.09375, Bicubic.withA(-0.75).kernel(1.5), 1e-15);
    assertSame(Bicubic.pil(), Bicubic.withA(-0.5));
    assertThrows(IllegalArgumentException.class, () -> Bicubic.withA(0.5));
  }

  @Test
  void constantImagesStayConstant() {
    byte[] px = new byte[20 * 12 * 3];
    Arrays.fill(px, (byte) 201);
    DecodedImage flat = new DecodedImage(20, 12, 3, px);
    for (Bicubic b : new Bicubic[] {Bicubic.pil(), Bicubic.withA(Bicubic.KEYS_A)}) {
      for (int[] size : new int[][] {{7, 9}, {57, 31}, {20, 5}, {3, 12}, {1, 1}, {64, 64}}) {
        DecodedImage out = b.resize(flat, new CropBox(2, 1, 15, 10), size[0], size[1]);
        for (byte v : out.pixels()) {
          assertEquals(201, v & 0xff, Arrays.toString(size));
        }
        out = b.resize(flat, size[0], size[1]);
        for (byte v : out.pixels()) {
          assertEquals(201, v & 0xff, Arrays.toString(size));
        }
      }
    }
  }

  @Test
  void linearRampsStayRamps() {
    // horizontal ramp v = 4x (+ 2 when sampling at pixel centres): shrinking by 2 averages pairs
    byte[] ramp = new byte[64 * 4];
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 64; x++) {
        ramp[y * 64 + x] = (byte) (x * 4);
      }
    }
    DecodedImage src = new DecodedImage(64, 4, 1, ramp);
    DecodedImage half = Bicubic.pil().resize(src, 32, 4);
    for (int x = 2; x < 30; x++) {
      assertEquals(8 * x + 2, half.at(x, 0, 0), 1, "x=" + x);
    }
    // enlarging 16 -> 40: output pixel x samples the source at (x + 0.5) * 0.4 - 0.5
    byte[] small = new byte[16 * 3];
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 16; x++) {
        small[y * 16 + x] = (byte) (10 + x * 15);
      }
    }
    for (Bicubic b : new Bicubic[] {Bicubic.pil(), Bicubic.withA(Bicubic.KEYS_A)}) {
      DecodedImage big = b.resize(new DecodedImage(16, 3, 1, small), 40, 3);
      for (int x = 4; x < 36; x++) {
        double at = (x + 0.5) * 0.4 - 0.5;
        assertEquals(10 + 15 * at, big.at(x, 1, 0), 1.0, "x=" + x);
      }
    }
  }

  @Test
  void cropBoxMustLieInsideTheImage() {
    DecodedImage img = pattern(10, 8, 1);
    assertThrows(
        IllegalArgumentException.class,
        () -> Bicubic.pil().resize(img, new CropBox(5, 0, 6, 8), 4, 4));
    assertThrows(IllegalArgumentException.class, () -> new CropBox(-1, 0, 2, 2));
    // a crop at its own size is a plain cut
    DecodedImage cut = Bicubic.pil().resize(img, new CropBox(2, 3, 4, 2), 4, 2);
    assertEquals(img.at(2, 3, 0), cut.at(0, 0, 0));
    assertEquals(img.at(5, 4, 0), cut.at(3, 1, 0));
  }

  @Test
  void normalisationIsToTensorThenNormalizeInFloat32() {
    // literals: numpy's float32 (v / 255 - mean) / std
    assertEquals(2.2489083f, Transforms.normalise(255, 0.485f, 0.229f));
    assertEquals(-2.0357141f, Transforms.normalise(0, 0.456f, 0.224f));
    assertEquals(0.42649257f, Transforms.normalise(128, 0.406f, 0.225f));
    DecodedImage one = new DecodedImage(1, 1, 3, new byte[] {(byte) 255, 0, (byte) 128});
    float[] out = Transforms.pad(1, 3).apply(one, 0, 0, 0);
    assertArrayEquals(new float[] {2.2489083f, -2.0357141f, 0.42649257f}, out);
    float[] gray = Transforms.pad(1, 1).apply(new DecodedImage(1, 1, 1, new byte[] {0}), 0, 0, 0);
    assertArrayEquals(new float[] {-1.9867257f}, gray);
  }

  static int unnormalise(float v, int c) {
    for (int i = 0; i < 256; i++) {
      if (Transforms.normalise(i, Transforms.IMAGENET_MEAN.get(c), Transforms.IMAGENET_STD.get(c))
          == v) {
        return i;
      }
    }
    throw new AssertionError("not a normalised 8-bit value: " + v);
  }

  @Test
  void channelsAreReplicatedOrReducedToLuma() {
    DecodedImage red = new DecodedImage(1, 1, 3, new byte[] {(byte) 255, 0, 0});
    assertEquals(76, red.toGray().at(0, 0, 0));
    assertEquals(
        150, new DecodedImage(1, 1, 3, new byte[] {0, (byte) 255, 0}).toGray().at(0, 0, 0));
    assertEquals(29, new DecodedImage(1, 1, 3, new byte[] {0, 0, (byte) 255}).toGray().at(0, 0, 0));
    assertEquals(123, new DecodedImage(1, 1, 3, new byte[] {123, 123, 123}).toGray().at(0, 0, 0));
    DecodedImage digit = EmbeddedFashionMnist.test().image(0);
    float[] rgb = Transforms.randomResizedCropFlip(24, 3).apply(digit, 5, 1, 0);
    int plane = 24 * 24;
    for (int i = 0; i < plane; i++) {
      int v = unnormalise(rgb[i], 0);
      assertEquals(v, unnormalise(rgb[plane + i], 1));
      assertEquals(v, unnormalise(rgb[2 * plane + i], 2));
    }
    // a gray image through the 3-channel transform equals its RGB copy through it
    assertArrayEquals(rgb, Transforms.randomResizedCropFlip(24, 3).apply(digit.toRgb(), 5, 1, 0));
  }

  @Test
  void evaluationMatchesPilResizeAndCentreCrop() {
    // PIL: img.resize((24, 18), BICUBIC).crop((4, 1, 20, 17)) for 40 x 30 at size 16 (shorter side
    // 18)
    byte[] expected =
        HexFormat.of()
            .parseHex(
                "6b9870707a8d8c6a8297a7717194736b8b8d91687f995b7e7a80766b9c6393688197698b866c"
                    + "786eab608f6d82957594579a9f69598b6e9694b4435d6f948f5c5d9c7b998fa3446f8c937b536a6c868f898e5684a7876f55797c8b7f"
                    + "7c77749693946f726fa71c5a9a7b3967953b65876ea42864a4643f719939609569a5386ead4c487fa23b6062619c4875b315528d7c7e9d"
                    + "95a8437f4d5727619f6f8cb7976a50923e532d59915e8bc7987d609d40523f53835187ca768c769b46525b507779788a857caba86d6579"
                    + "6e818284707d7a68a47f778b5d7e85926f78795da18a839f5578829a7c7c795a9e8e89ae5a72906ba26687c89b91637d94859a6096668d"
                    + "bd95828189ae829a5a586f8f968c7da297bd71935e737e8d7a8380bda3bc68848080c6538db96f8e6eb5d6698a84736298c95a847dbdba"
                    + "6b958f68709dcb4d8091bac26ca099667b9dc04c84a6ac96b26f4f5a88b475b6f2b3bd80796e3e5587a871acf0a9cd6e98752d50879b70"
                    + "a4d89dd555b1852a50848a6f9dda92d63c8081698368616e5e999db24e7f736d7c805d784d9295c16b906d6975935e85478789bc779f75"
                    + "61719d648f51807f8a91418893526490808c6f9c5f6d4e8f8c4a69a1848d6b9a6175628f854874aa83876c936c7f7a8c7e4885ad7b7e77"
                    + "8c6e858aa4707b62a53870a9a9284ba19d5c7a6ea54d77b08b2c60b8894b7183a45a76b46b4279c94a4279619f6b7eb4515991697a8ed5"
                    + "824e433b69204f8b55769ed58a546a4867194a854b70a7a28d60585b642047814264a8a078766c366128487d82688277947daf6246525d"
                    + "8c83748b718b85b07d4e654a7f7a8296778087ae945c80406f6c8da27e7065a37f679c4862747f9b6d7ac0848274898172877b886781c7"
                    + "807e8c8f8c709578796488c87f7da495936c9878786c8e8c8183ad99956d8b5790a05995bc69575ca0b1795695a266a0bf515c72b3a767"
                    + "5c9fa76da3bc45698eb8946069ad726da8ab487ea9ac80948e6d8078ac8aa0de91beb59a983c837bac8c96d390c4d89fa24089829c8d8f"
                    + "cc93c5ed93ad555389868a8acc94c0d0");
    float[] out = Transforms.evaluation(16, 3).apply(pattern(40, 30, 3), 1, 2, 3);
    assertEquals(768, expected.length);
    for (int i = 0; i < 16 * 16; i++) {
      for (int c = 0; c < 3; c++) {
        assertEquals(
            expected[3 * i + c] & 0xff,
            unnormalise(out[c * 256 + i], c),
            "pixel " + i + " channel " + c);
      }
    }
    assertArrayEquals(out, Transforms.centreCrop(pattern(40, 30, 3), 16, 3));
    assertEquals(256, (int) (224 / Transforms.CROP_FRACTION));
    assertEquals(36, (int) (32 / Transforms.CROP_FRACTION));
  }

  @Test
  void resizeShorterSideFollowsTorchvision() {
    DecodedImage wide = pattern(40, 30, 1);
    DecodedImage r = Transforms.resizeShorterSide(wide, 18, Bicubic.pil());
    assertEquals(24, r.width());
    assertEquals(18, r.height());
    DecodedImage tall = pattern(7, 10, 1);
    r = Transforms.resizeShorterSide(tall, 5, Bicubic.pil());
    assertEquals(5, r.width());
    assertEquals(7, r.height()); // int(5 * 10 / 7) = int(7.14)
    assertSame(tall, Transforms.resizeShorterSide(tall, 7, Bicubic.pil()));
  }

  @Test
  void padCentresSmallImagesAndFlipMirrorsThem() {
    DecodedImage digit = EmbeddedFashionMnist.train().image(0);
    float zero = Transforms.normalise(0, 0.485f, 0.229f);
    float[] padded = Transforms.pad(32, 3).apply(digit, 0, 0, 0);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        boolean inside = x >= 2 && x < 30 && y >= 2 && y < 30;
        int expected = inside ? digit.at(x - 2, y - 2, 0) : 0;
        assertEquals(expected, unnormalise(padded[y * 32 + x], 0));
        assertEquals(expected, unnormalise(padded[2 * 1024 + y * 32 + x], 2));
      }
    }
    assertEquals(zero, padded[0]);
    // odd differences pad less before than after, as torchvision's CenterCrop
    assertEquals(1, Transforms.centreOffset(28, 31));
    assertEquals(-4, Transforms.centreOffset(25, 16)); // round(4.5) = 4, half to even
    assertEquals(-6, Transforms.centreOffset(29, 16)); // round(6.5) = 6
    assertEquals(-3, Transforms.centreOffset(22, 16));
    // flip-only: each image is either the padded image or its mirror, about half of each
    ImageTransform flip = Transforms.padFlip(32, 3);
    int flipped = 0;
    for (int index = 0; index < 400; index++) {
      float[] f = flip.apply(digit, 9, 0, index);
      float[] mirror = mirror(padded, 3, 32);
      if (Arrays.equals(f, mirror)) {
        flipped++;
      } else {
        assertArrayEquals(padded, f);
      }
    }
    assertTrue(flipped > 160 && flipped < 240, "flipped " + flipped);
    // larger images: shorter side resized to the size, then centre-cropped
    float[] big = Transforms.pad(16, 3).apply(pattern(40, 30, 3), 0, 0, 0);
    DecodedImage resized = Bicubic.pil().resize(pattern(40, 30, 3), 21, 16);
    assertEquals(resized.at(2, 0, 0), unnormalise(big[0], 0)); // crop left = round(5 / 2) = 2
  }

  static float[] mirror(float[] chw, int c, int s) {
    float[] out = new float[chw.length];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < s; y++) {
        for (int x = 0; x < s; x++) {
          out[(ch * s + y) * s + x] = chw[(ch * s + y) * s + s - 1 - x];
        }
      }
    }
    return out;
  }

  @Test
  void randomResizedCropFlipIsThePipelineOfItsParts() {
    DecodedImage img = pattern(50, 37, 3);
    ImageTransform t = Transforms.randomResizedCropFlip(20, 3);
    int flips = 0;
    for (int index = 0; index < 50; index++) {
      SplittableRandom r = Transforms.random(42, 3, index);
      Transforms.CropSample crop = Transforms.randomResizedCrop(50, 37, 0.2, 1.0, 0.75, 4.0 / 3, r);
      DecodedImage resized = Bicubic.pil().resize(img, crop.box(), 20, 20);
      boolean flip = r.nextDouble() < 0.5;
      flips += flip ? 1 : 0;
      float[] expected = new float[3 * 400];
      Transforms.write(resized, 0, 0, 20, flip, 3, expected, 0);
      float[] out = new float[5 + 3 * 400];
      t.apply(img, 42, 3, index, out, 5);
      assertArrayEquals(expected, Arrays.copyOfRange(out, 5, out.length), "index " + index);
    }
    assertTrue(flips > 10 && flips < 40);
  }

  @Test
  void sameKeyGivesTheSameImageAndAnyOtherKeyAnother() {
    DecodedImage img = pattern(64, 48, 3);
    for (ImageTransform t :
        new ImageTransform[] {
          Transforms.randomResizedCropFlip(32, 3),
          Transforms.forAugmentation(Augmentation.RANDOM_RESIZED_CROP, 32, 1)
        }) {
      float[] a = t.apply(img, 7, 2, 11);
      assertArrayEquals(a, t.apply(img, 7, 2, 11));
      assertFalse(Arrays.equals(a, t.apply(img, 7, 2, 12)));
      assertFalse(Arrays.equals(a, t.apply(img, 7, 3, 11)));
      assertFalse(Arrays.equals(a, t.apply(img, 8, 2, 11)));
    }
    ImageTransform eval = Transforms.evaluationFor(Augmentation.RANDOM_RESIZED_CROP, 32, 3);
    assertArrayEquals(eval.apply(img, 1, 1, 1), eval.apply(img, 2, 2, 2));
    assertEquals(
        Transforms.pad(32, 3).describe(),
        Transforms.evaluationFor(Augmentation.FLIP_ONLY, 32, 3).describe());
    assertEquals(
        Transforms.padFlip(32, 1).describe(),
        Transforms.forAugmentation(Augmentation.FLIP_ONLY, 32, 1).describe());
  }

  @Test
  void invalidSettingsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Transforms.randomResizedCropFlip(0, 3));
    assertThrows(IllegalArgumentException.class, () -> Transforms.randomResizedCropFlip(32, 2));
    assertThrows(
        IllegalArgumentException.class,
        () -> Transforms.randomResizedCropFlip(32, 3, 0.5, 0.2, 0.75, 1.33, Bicubic.pil()));
    assertThrows(
        IllegalArgumentException.class,
        () -> Transforms.randomResizedCropFlip(32, 3, 0.2, 1.0, 0, 1.33, Bicubic.pil()));
    assertThrows(
        IndexOutOfBoundsException.class,
        () -> Transforms.pad(4, 3).apply(pattern(4, 4, 3), 0, 0, 0, new float[40], 0));
  }
}
