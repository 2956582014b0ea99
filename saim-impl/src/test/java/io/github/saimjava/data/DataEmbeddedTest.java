package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * The embedded subset against reference values computed once from Debian's
 * /usr/share/datasets/fashion-mnist/*.gz (package dataset-fashion-mnist): the first 10,000 training
 * and first 2,000 test images and labels.
 */
class DataEmbeddedTest {
  static long sum(DecodedImage img) {
    long s = 0;
    for (byte b : img.pixels()) {
      s += b & 0xff;
    }
    return s;
  }

  static long crcOfAll(IdxDataset d) {
    CRC32 crc = new CRC32();
    for (int i = 0; i < d.size(); i++) {
      crc.update(d.image(i).pixels());
    }
    return crc.getValue();
  }

  static int[] labels(IdxDataset d, int n) {
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      l[i] = d.label(i);
    }
    return l;
  }

  @Test
  void trainingSubsetIsTheFirst10000DebianImages() {
    IdxDataset train = EmbeddedFashionMnist.train();
    assertEquals(10_000, train.size());
    assertEquals(28, train.rows());
    assertEquals(28, train.columns());
    assertEquals(10, train.numClasses());
    assertEquals(9, train.label(0));
    assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, labels(train, 10));
    assertEquals(76_247, sum(train.image(0)));
    CRC32 first = new CRC32();
    first.update(train.image(0).pixels());
    assertEquals(4_067_475_125L, first.getValue());
    int[] row14 = new int[28];
    for (int x = 0; x < 28; x++) {
      row14[x] = train.image(0).at(x, 14, 0);
    }
    assertArrayEquals(
        new int[] {
          0, 0, 1, 4, 6, 7, 2, 0, 0, 0, 0, 0, 237, 226, 217, 223, 222, 219, 222, 221, 216, 223, 229,
          215, 218, 255, 77, 0
        },
        row14);
    assertEquals(3_140_854_334L, crcOfAll(train));
    long total = 0;
    long labelSum = 0;
    for (int i = 0; i < train.size(); i++) {
      total += sum(train.image(i));
      labelSum += train.label(i);
    }
    assertEquals(572_388_787L, total);
    assertEquals(45_157, labelSum);
    assertEquals(79_936, sum(train.image(9_999)));
    assertEquals(6, train.label(9_999));
  }

  @Test
  void testSubsetIsTheFirst2000DebianImages() {
    IdxDataset test = EmbeddedFashionMnist.test();
    assertEquals(2_000, test.size());
    assertEquals(9, test.label(0));
    assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, labels(test, 10));
    assertEquals(33_456, sum(test.image(0)));
    assertEquals(1_228_093_332L, crcOfAll(test));
    long labelSum = 0;
    for (int i = 0; i < test.size(); i++) {
      labelSum += test.label(i);
    }
    assertEquals(8_878, labelSum);
    assertEquals(59_629, sum(test.image(1_999)));
    assertEquals(0, test.label(1_999));
    assertEquals(
        "embedded Fashion-MNIST test (first 2,000) (2000 images of 28 x 28, 10 classes)",
        test.describe());
  }

  @Test
  void factoriesShareTheEmbeddedData() throws Exception {
    assertSame(EmbeddedFashionMnist.train(), Datasets.embeddedTrain());
    assertSame(EmbeddedFashionMnist.test(), Datasets.embeddedTest());
    assertSame(EmbeddedFashionMnist.train(), Datasets.open(null));
    assertEquals("Ankle boot", EmbeddedFashionMnist.CLASSES.get(9));
  }
}
