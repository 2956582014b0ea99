package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.Augmentation;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
  static byte[] idxImages(int n, int r, int c) {
    ByteBuffer b = ByteBuffer.allocate(16 + n * r * c);
    b.putInt(0x803).putInt(n).putInt(r).putInt(c);
    for (int i = 0; i < n * r * c; i++) {
      b.put((byte) (i * 7));
    }
    return b.array();
  }

  static byte[] gzip(byte[] raw) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(out)) {
      g.write(raw);
    }
    return out.toByteArray();
  }

  @Test
  void idxPixelsAndLabelsReadRawOrGzipped(@TempDir Path dir) throws Exception {
    Path raw = Files.write(dir.resolve("x-images-idx3-ubyte"), idxImages(3, 2, 4));
    Path gz = Files.write(dir.resolve("y-images-idx3-ubyte.gz"), gzip(idxImages(3, 2, 4)));
    ByteBuffer l = ByteBuffer.allocate(11).putInt(0x801).putInt(3).put(new byte[] {4, 0, 9});
    Files.write(dir.resolve("y-labels-idx1-ubyte.gz"), gzip(l.array()));
    for (Path p : new Path[] {raw, gz}) {
      IdxDataset d = IdxDataset.open(p);
      assertEquals(3, d.size());
      DecodedImage img = d.image(1);
      assertEquals(4, img.width());
      assertEquals(2, img.height());
      assertEquals((8 * 7) & 0xff, img.at(0, 0, 0));
      assertEquals((13 * 7) & 0xff, img.at(1, 1, 2));
    }
    assertEquals(-1, IdxDataset.open(raw).label(0));
    assertEquals(9, IdxDataset.open(gz).label(2));
    assertEquals(10, IdxDataset.open(gz).numClasses());
  }

  @Test
  void badIdxFilesAreNamedErrors(@TempDir Path dir) throws Exception {
    byte[] good = idxImages(3, 2, 4);
    byte[] magic = good.clone();
    magic[3] = 1;
    Path m = Files.write(dir.resolve("magic.idx"), magic);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> IdxDataset.open(m)).getMessage()
        .contains("magic 0x00000801 is not that of IDX images"));
    Path t = Files.write(dir.resolve("short.idx"), Arrays.copyOf(good, good.length - 1));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> IdxDataset.open(t)).getMessage()
        .contains("short.idx: header declares 3 images of 2 x 4 (24 bytes) but the file holds 23"));
    byte[] huge = good.clone();
    ByteBuffer.wrap(huge).putInt(4, Integer.MAX_VALUE);
    Path h = Files.write(dir.resolve("huge.idx"), huge);
    assertThrows(IllegalArgumentException.class, () -> IdxDataset.open(h));
    Path junk = Files.write(dir.resolve("junk.gz"), new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
    assertTrue(assertThrows(IllegalArgumentException.class, () -> IdxDataset.open(junk)).getMessage()
        .startsWith(junk + ": corrupt gzip data"));
  }

  @Test
  void embeddedFashionMnistIsTheFirstImagesOfTheDebianFiles() {
    IdxDataset train = Datasets.embeddedTrain();
    IdxDataset test = Datasets.embeddedTest();
    assertEquals(10_000, train.size());
    assertEquals(2_000, test.size());
    // reference values computed from /usr/share/datasets/fashion-mnist (dataset-fashion-mnist)
    assertEquals(9, train.label(0));
    assertEquals(76_247, sum(train.image(0)));
    assertEquals(9, test.label(0));
    assertEquals(33_456, sum(test.image(0)));
    long all = 0;
    for (int i = 0; i < train.size(); i++) {
      all += sum(train.image(i));
    }
    assertEquals(572_388_787L, all);
    assertEquals(10, train.numClasses());
  }

  static long sum(DecodedImage img) {
    long s = 0;
    for (byte b : img.pixels()) {
      s += b & 0xff;
    }
    return s;
  }

  @Test
  void imageFolderReadsPngAndJpegInRgbAndGray(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("b_cats"));
    Files.createDirectories(dir.resolve("a_dogs"));
    BufferedImage rgb = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(1, 2, 0x102030);
    ImageIO.write(rgb, "png", dir.resolve("a_dogs/1.png").toFile());
    BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(2, 1, 0, 200);
    ImageIO.write(gray, "png", dir.resolve("b_cats/2.png").toFile());
    ImageIO.write(rgb, "jpg", dir.resolve("b_cats/3.jpg").toFile());
    Files.writeString(dir.resolve("b_cats/notes.txt"), "ignored");
    ImageFolderDataset d = ImageFolderDataset.open(dir);
    assertEquals(3, d.size());
    assertEquals(java.util.List.of("a_dogs", "b_cats"), d.classes());
    assertEquals(0, d.label(0));
    assertEquals(1, d.label(2));
    DecodedImage a = d.image(0);
    assertEquals(3, a.channels());
    assertEquals(0x10, a.at(1, 2, 0));
    assertEquals(0x30, a.at(1, 2, 2));
    DecodedImage g = d.image(1);
    assertEquals(1, g.channels());
    assertEquals(200, g.at(2, 1, 0));
    assertEquals(5, d.image(2).width());
  }

  @Test
  void corruptImageIsNamedOrSkippedAndCounted(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("c"));
    BufferedImage rgb = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    ImageIO.write(rgb, "png", dir.resolve("c/a.png").toFile());
    Files.write(dir.resolve("c/b.png"), new byte[] {1, 2, 3, 4});
    ImageFolderDataset d = ImageFolderDataset.open(dir);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.image(1));
    assertTrue(e.getMessage().startsWith(dir.resolve("c/b.png") + ": "), e.getMessage());
    BatchLoader strict = new BatchLoader(d, 2, 8, 3, Augmentation.FLIP_ONLY, 0, 1, false);
    try (ImageBatches.Stream s = strict.open(0, 0)) {
      assertTrue(assertThrows(IllegalArgumentException.class, s::next).getMessage().contains("b.png"));
    }
    BatchLoader lenient = new BatchLoader(d, 2, 8, 3, Augmentation.FLIP_ONLY, 0, 1, true);
    try (ImageBatches.Stream s = lenient.open(0, 0)) {
      assertEquals(2, s.next().indices().length);
    }
    assertEquals(1, lenient.skippedImages());
  }

  @Test
  void emptyOrMissingFoldersSayWhatIsExpected(@TempDir Path dir) {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Datasets.open(dir)).getMessage()
        .contains("no images found (expected"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Datasets.open(dir.resolve("nope")))
        .getMessage().contains("no such file or folder"));
  }

  @Test
  void resizingAConstantImageKeepsItConstantAndRampsStayRamps() {
    byte[] px = new byte[20 * 12];
    Arrays.fill(px, (byte) 77);
    float[] out = Transforms.resize(new DecodedImage(20, 12, 1, px), new Transforms.Box(2, 1, 15, 10), 7, 9);
    for (float v : out) {
      assertEquals(77f, v);
    }
    byte[] ramp = new byte[64 * 4];
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 64; x++) {
        ramp[y * 64 + x] = (byte) (x * 4);
      }
    }
    float[] half = Transforms.resize(new DecodedImage(64, 4, 1, ramp), new Transforms.Box(0, 0, 64, 4), 32, 4);
    for (int x = 2; x < 30; x++) {
      // output pixel x covers source pixels 2x and 2x+1, whose mean is 8x + 2
      assertEquals(8 * x + 2, half[x], 1.0f, "x=" + x);
    }
  }

  @Test
  void normalisationUsesImageNetStatistics() {
    byte[] px = {(byte) 255, 0, (byte) 128};
    float[] out = Transforms.padFlip(new DecodedImage(1, 1, 3, px), 1, 3, new SplittableRandom(1));
    assertEquals((1f - 0.485f) / 0.229f, out[0], 1e-6f);
    assertEquals((0f - 0.456f) / 0.224f, out[1], 1e-6f);
    assertEquals((128f / 255f - 0.406f) / 0.225f, out[2], 1e-6f);
  }

  @Test
  void loaderIsDeterministicAcrossThreadCountsAndResumesMidEpoch() {
    IdxDataset d = Datasets.embeddedTest();
    BatchLoader one = new BatchLoader(d, 16, 32, 3, Augmentation.RANDOM_RESIZED_CROP, 7, 1, false);
    BatchLoader three = new BatchLoader(d, 16, 32, 3, Augmentation.RANDOM_RESIZED_CROP, 7, 3, false);
    boolean[] seen = new boolean[d.size()];
    try (ImageBatches.Stream a = one.open(2, 0); ImageBatches.Stream b = three.open(2, 0);
        ImageBatches.Stream resumed = three.open(2, 5)) {
      for (int i = 0; i < 8; i++) {
        ImageBatches.Batch x = a.next();
        ImageBatches.Batch y = b.next();
        assertArrayEquals(x.pixels(), y.pixels());
        assertArrayEquals(x.indices(), y.indices());
        if (i >= 5) {
          assertArrayEquals(x.pixels(), resumed.next().pixels());
        }
      }
    }
    int[] order = one.order(2);
    for (int i : order) {
      assertFalse(seen[i]);
      seen[i] = true;
    }
    assertFalse(Arrays.equals(order, one.order(3)));
  }
}
