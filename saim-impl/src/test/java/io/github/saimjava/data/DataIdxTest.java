package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataIdxTest {
  /** Two images of 2 rows x 3 columns with hand-picked pixels. */
  static final byte[] IMAGES = {
    0,
    0,
    8,
    3,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    3,
    // image 0
    0,
    1,
    2,
    (byte) 253,
    (byte) 254,
    (byte) 255,
    // image 1
    10,
    20,
    30,
    40,
    50,
    (byte) 200,
  };

  static final byte[] LABELS = {0, 0, 8, 1, 0, 0, 0, 2, 7, 3};

  static byte[] gzip(byte[] raw) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(out)) {
      g.write(raw);
    }
    return out.toByteArray();
  }

  static void assertHandmade(IdxDataset d, boolean labelled) {
    assertEquals(2, d.size());
    assertEquals(2, d.rows());
    assertEquals(3, d.columns());
    DecodedImage a = d.image(0);
    assertEquals(3, a.width());
    assertEquals(2, a.height());
    assertEquals(1, a.channels());
    assertEquals(0, a.at(0, 0, 0));
    assertEquals(2, a.at(2, 0, 0));
    assertEquals(253, a.at(0, 1, 0));
    assertEquals(255, a.at(2, 1, 0));
    DecodedImage b = d.image(1);
    assertEquals(10, b.at(0, 0, 0));
    assertEquals(30, b.at(2, 0, 1));
    assertEquals(200, b.at(2, 1, 2));
    assertEquals(labelled ? 7 : -1, d.label(0));
    assertEquals(labelled ? 3 : -1, d.label(1));
    assertEquals(labelled ? 8 : 0, d.numClasses());
    assertEquals(labelled, d.hasLabels());
    LabeledImage l = d.load(1);
    assertEquals(labelled ? 3 : -1, l.label());
    assertEquals(40, l.image().at(0, 1, 0));
  }

  @Test
  void readsRawAndGzipWithExactPixelsAndPairedLabels(@TempDir Path dir) throws Exception {
    Path raw = Files.write(dir.resolve("raw-images-idx3-ubyte"), IMAGES);
    Path gz = Files.write(dir.resolve("gz-images-idx3-ubyte.gz"), gzip(IMAGES));
    Files.write(dir.resolve("raw-labels-idx1-ubyte.gz"), gzip(LABELS));
    Files.write(dir.resolve("gz-labels-idx1-ubyte"), LABELS);
    assertEquals(dir.resolve("raw-labels-idx1-ubyte.gz"), IdxDataset.pairedLabels(raw));
    assertEquals(dir.resolve("gz-labels-idx1-ubyte"), IdxDataset.pairedLabels(gz));
    assertHandmade(IdxDataset.open(raw), true);
    assertHandmade(IdxDataset.open(gz), true);
    assertHandmade(IdxDataset.open(gz, null), false);
    assertEquals(raw + " (2 images of 2 x 3, 8 classes)", IdxDataset.open(raw).describe());
    assertEquals(raw.toString(), IdxDataset.open(raw).name());
    assertHandmade((IdxDataset) Datasets.open(gz), true);
  }

  @Test
  void compressionIsToldByMagicBytesNotName(@TempDir Path dir) throws Exception {
    Path gzNamedRaw = Files.write(dir.resolve("a.idx"), gzip(IMAGES));
    Path rawNamedGz = Files.write(dir.resolve("b.idx.gz"), IMAGES);
    assertHandmade(IdxDataset.open(gzNamedRaw), false);
    assertHandmade(IdxDataset.open(rawNamedGz), false);
    assertHandmade(
        IdxDataset.read(
            "stream",
            new ByteArrayInputStream(gzip(IMAGES)),
            "labels",
            new ByteArrayInputStream(LABELS)),
        true);
  }

  @Test
  void labelsPairByTheDottedNameToo(@TempDir Path dir) throws Exception {
    Path images = Files.write(dir.resolve("t10k-images.idx3-ubyte"), IMAGES);
    assertNull(IdxDataset.pairedLabels(images));
    Files.write(dir.resolve("t10k-labels.idx1-ubyte"), LABELS);
    assertEquals(dir.resolve("t10k-labels.idx1-ubyte"), IdxDataset.pairedLabels(images));
    assertNull(IdxDataset.pairedLabels(Files.write(dir.resolve("other.bin"), IMAGES)));
  }

  static String error(Path p) {
    return assertThrows(IllegalArgumentException.class, () -> IdxDataset.open(p, null))
        .getMessage();
  }

  @Test
  void badMagicIsANamedError(@TempDir Path dir) throws Exception {
    assertEquals(
        dir.resolve("l")
            + ": magic: 0x00000801 is an IDX labels file, expected IDX images (0x00000803)",
        error(Files.write(dir.resolve("l"), LABELS)));
    assertEquals(
        dir.resolve("png")
            + ": magic: 0x89504e47 is not an IDX file, expected IDX images (0x00000803)",
        error(
            Files.write(dir.resolve("png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4})));
    byte[] floats = IMAGES.clone();
    floats[2] = 0x0D;
    assertTrue(
        error(Files.write(dir.resolve("f"), floats))
            .startsWith(
                dir.resolve("f")
                    + ": magic: 0x00000d03 has element type 0x0d, only unsigned bytes"));
    assertEquals(
        dir.resolve("tiny")
            + ": magic: the file holds only 2 bytes, expected IDX images (0x00000803)",
        error(Files.write(dir.resolve("tiny"), new byte[] {0, 0})));
    Path images = Files.write(dir.resolve("i"), IMAGES);
    Path wrongLabels = Files.write(dir.resolve("wl"), IMAGES);
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> IdxDataset.open(images, wrongLabels))
            .getMessage()
            .startsWith(
                wrongLabels + ": magic: 0x00000803 is an IDX images file, expected IDX labels"));
  }

  @Test
  void truncatedOrOverlongFilesAreNamedErrors(@TempDir Path dir) throws Exception {
    Path cut = Files.write(dir.resolve("cut"), Arrays.copyOf(IMAGES, IMAGES.length - 1));
    assertEquals(
        cut
            + ": dimensions: 2 x 2 x 3 declare 12 bytes of data, but the file holds 11 after its"
            + " 16-byte header",
        error(cut));
    Path longer = Files.write(dir.resolve("long"), Arrays.copyOf(IMAGES, IMAGES.length + 1));
    assertTrue(
        error(longer)
            .startsWith(
                longer
                    + ": dimensions: 2 x 2 x 3 declare 12 bytes of data, but the file holds 13"));
    Path header = Files.write(dir.resolve("header"), Arrays.copyOf(IMAGES, 10));
    assertEquals(header + ": dimensions: truncated header (10 of 16 bytes)", error(header));
    Path gzCut = Files.write(dir.resolve("cut.gz"), gzip(Arrays.copyOf(IMAGES, IMAGES.length - 1)));
    assertEquals(
        gzCut
            + ": dimensions: 2 x 2 x 3 declare 12 bytes of data, but the file ends after 11"
            + " (truncated)",
        error(gzCut));
    byte[] gz = gzip(IMAGES);
    Path gzBroken = Files.write(dir.resolve("broken.gz"), Arrays.copyOf(gz, gz.length - 12));
    assertTrue(error(gzBroken).startsWith(gzBroken + ": "), error(gzBroken));
    Path junk = Files.write(dir.resolve("junk.gz"), new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
    assertTrue(
        error(junk).startsWith(junk + ": gzip: corrupt or truncated compressed data"), error(junk));
    byte[] zero = IMAGES.clone();
    zero[11] = 0;
    assertEquals(
        dir.resolve("zero") + ": rows: 0, the file holds no pixels",
        error(Files.write(dir.resolve("zero"), zero)));
    Path missing = dir.resolve("missing-images-idx3-ubyte");
    assertTrue(error(missing).startsWith(missing + ": no such file"));
  }

  @Test
  void labelCountMustMatchImageCount(@TempDir Path dir) throws Exception {
    Path images = Files.write(dir.resolve("i"), IMAGES);
    Path labels = Files.write(dir.resolve("l"), new byte[] {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3});
    assertEquals(
        labels + ": count: 3 labels, but " + images + " holds 2 images",
        assertThrows(IllegalArgumentException.class, () -> IdxDataset.open(images, labels))
            .getMessage());
  }

  static long allocatedBytes(Runnable r) {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = mx.getCurrentThreadAllocatedBytes();
    r.run();
    return mx.getCurrentThreadAllocatedBytes() - before;
  }

  @Test
  void hugeDeclaredDimensionsFailBeforeAnyLargeAllocation(@TempDir Path dir) throws Exception {
    byte[] huge = IMAGES.clone();
    ByteBuffer.wrap(huge).putInt(4, 2_000_000).putInt(8, 1000).putInt(12, 1000);
    Path raw = Files.write(dir.resolve("huge"), huge);
    Path gz = Files.write(dir.resolve("huge.gz"), gzip(huge));
    long[] used = new long[1];
    used[0] =
        allocatedBytes(
            () ->
                assertEquals(
                    raw
                        + ": dimensions: 2000000 x 1000 x 1000 declare more than "
                        + IdxDataset.MAX_PAYLOAD
                        + " bytes, more than one array can hold",
                    error(raw)));
    assertTrue(used[0] < 8 << 20, "allocated " + used[0]);
    ByteBuffer.wrap(huge).putInt(4, 2000);
    Path raw2 = Files.write(dir.resolve("huge2"), huge);
    Path gz2 = Files.write(dir.resolve("huge2.gz"), gzip(huge));
    used[0] =
        allocatedBytes(
            () ->
                assertEquals(
                    raw2
                        + ": dimensions: 2000 x 1000 x 1000 declare 2000000000 bytes of"
                        + " data, but the file holds 12 after its 16-byte header",
                    error(raw2)));
    assertTrue(used[0] < 8 << 20, "allocated " + used[0]);
    used[0] =
        allocatedBytes(
            () ->
                assertTrue(
                    error(gz2)
                        .startsWith(
                            gz2
                                + ": dimensions: 2000 x 1000 x 1000 declare"
                                + " 2000000000 bytes of data, more than a gzip file of ")));
    assertTrue(used[0] < 8 << 20, "allocated " + used[0]);
    // a stream of unknown length: memory grows only with the data that arrives
    used[0] =
        allocatedBytes(
            () ->
                assertEquals(
                    "s: dimensions: 2000 x 1000 x 1000 declare 2000000000 bytes of data,"
                        + " but the file ends after 12 (truncated)",
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                IdxDataset.read(
                                    "s",
                                    new ByteArrayInputStream(Files.readAllBytes(gz2)),
                                    null,
                                    null))
                        .getMessage()));
    assertTrue(used[0] < 8 << 20, "allocated " + used[0]);
    ByteBuffer.wrap(huge).putInt(4, -1);
    assertEquals(
        dir.resolve("neg") + ": count: 4294967295 is too large",
        error(Files.write(dir.resolve("neg"), huge)));
    assertFalse(error(gz).isEmpty());
  }
}
