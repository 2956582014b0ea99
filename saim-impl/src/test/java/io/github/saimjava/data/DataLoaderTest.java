package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.Augmentation;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLoaderTest {
  /** Another dataset, counting loads, optionally slow, optionally failing at one index. */
  static final class Probe implements ImageDataset {
    final ImageDataset inner;
    final AtomicInteger loads = new AtomicInteger();
    final long sleepMillis;
    final int failAt;

    Probe(ImageDataset inner, long sleepMillis, int failAt) {
      this.inner = inner;
      this.sleepMillis = sleepMillis;
      this.failAt = failAt;
    }

    @Override
    public int size() {
      return inner.size();
    }

    @Override
    public DecodedImage image(int index) {
      loads.incrementAndGet();
      if (sleepMillis > 0) {
        try {
          Thread.sleep(sleepMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (index == failAt) {
        throw new IllegalArgumentException(
            "/data/broken-" + index + ".png: cannot decode image (test)");
      }
      return inner.image(index);
    }

    @Override
    public int label(int index) {
      return inner.label(index);
    }

    @Override
    public int numClasses() {
      return inner.numClasses();
    }

    @Override
    public String name() {
      return "probe";
    }

    @Override
    public String describe() {
      return "probe of " + inner.describe();
    }
  }

  static BatchLoader loader(ImageDataset d, int threads, boolean dropLast) {
    return BatchLoader.builder(d, Transforms.randomResizedCropFlip(32, 3))
        .batchSize(48)
        .seed(7)
        .threads(threads)
        .prefetch(3)
        .dropLast(dropLast)
        .build();
  }

  static List<ImageBatches.Batch> all(BatchLoader l, int epoch, int start) {
    List<ImageBatches.Batch> out = new ArrayList<>();
    try (BatchLoader.Epoch e = l.open(epoch, start)) {
      while (e.hasNext()) {
        out.add(e.next());
      }
      assertThrows(NoSuchElementException.class, e::next);
    }
    return out;
  }

  static void assertSameBatches(List<ImageBatches.Batch> a, List<ImageBatches.Batch> b) {
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).indices(), b.get(i).indices(), "batch " + i);
      assertArrayEquals(a.get(i).labels(), b.get(i).labels(), "batch " + i);
      assertArrayEquals(a.get(i).pixels(), b.get(i).pixels(), "batch " + i);
    }
  }

  @Test
  void batchesDoNotDependOnTheNumberOfThreads() {
    IdxDataset d = EmbeddedFashionMnist.test();
    List<ImageBatches.Batch> one = all(loader(d, 1, false), 2, 0);
    List<ImageBatches.Batch> three = all(loader(d, 3, false), 2, 0);
    List<ImageBatches.Batch> inline = all(loader(d, 0, false), 2, 0);
    assertEquals(42, one.size()); // 2000 = 41 x 48 + 32
    assertSameBatches(one, three);
    assertSameBatches(one, inline);
    assertEquals(32, one.get(41).count());
    assertEquals(32 * 3 * 32 * 32, one.get(41).pixels().length);
    // and they are what the parts give: the epoch's order, each image's own transform, its label
    BatchLoader l = loader(d, 1, false);
    int[] order = l.order(2);
    ImageBatches.Batch b = one.get(5);
    int per = 3 * 32 * 32;
    for (int i = 0; i < b.count(); i++) {
      int index = order[5 * 48 + i];
      assertEquals(index, b.indices()[i]);
      assertEquals(d.label(index), b.labels()[i]);
      assertArrayEquals(l.sample(2, index), Arrays.copyOfRange(b.pixels(), i * per, (i + 1) * per));
    }
  }

  @Test
  void theShardsOfABatchAreItsConsecutiveEqualParts() {
    // data-parallel ranks: shard r of 3 is images 16r .. 16r+15 of every batch of 48, from any
    // start
    IdxDataset d = EmbeddedFashionMnist.test();
    BatchLoader whole = loader(d, 2, true);
    List<ImageBatches.Batch> want = all(whole, 1, 30);
    int per = 3 * 32 * 32;
    for (int r = 0; r < 3; r++) {
      List<ImageBatches.Batch> part = all(whole.shard(r, 3), 1, 30);
      assertEquals(want.size(), part.size());
      for (int i = 0; i < want.size(); i++) {
        ImageBatches.Batch w = want.get(i);
        ImageBatches.Batch p = part.get(i);
        assertEquals(16, p.count());
        assertArrayEquals(
            Arrays.copyOfRange(w.indices(), 16 * r, 16 * r + 16), p.indices(), "batch " + i);
        assertArrayEquals(
            Arrays.copyOfRange(w.pixels(), 16 * r * per, (16 * r + 16) * per),
            p.pixels(),
            "batch " + i);
      }
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> whole.shard(0, 5));
    assertEquals("a batch of 48 images does not split into 5 equal parts", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> loader(d, 1, false).shard(1, 2));
    assertEquals(
        "a batch of 48 images does not split into 2 equal parts (the last partial batch is kept)",
        e.getMessage());
  }

  @Test
  void everyIndexAppearsOncePerEpochInAnOrderOfSeedAndEpoch() {
    IdxDataset d = EmbeddedFashionMnist.test();
    for (int epoch = 0; epoch < 3; epoch++) {
      int[] seen = new int[d.size()];
      for (ImageBatches.Batch b : all(loader(d, 2, false), epoch, 0)) {
        for (int i : b.indices()) {
          seen[i]++;
        }
      }
      for (int i = 0; i < seen.length; i++) {
        assertEquals(1, seen[i], "index " + i + " in epoch " + epoch);
      }
    }
    // dropping the last partial batch: 41 full batches, no index twice
    List<ImageBatches.Batch> dropped = all(loader(d, 2, true), 0, 0);
    assertEquals(41, dropped.size());
    assertEquals(41, loader(d, 2, true).batchesPerEpoch());
    int[] seen = new int[d.size()];
    for (ImageBatches.Batch b : dropped) {
      assertEquals(48, b.count());
      for (int i : b.indices()) {
        assertEquals(1, ++seen[i]);
      }
    }
    int[] p = BatchLoader.permutation(1000, 5, 0);
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 1000; i++) {
      assertEquals(i, sorted[i]);
    }
    assertArrayEquals(p, BatchLoader.permutation(1000, 5, 0));
    assertFalse(Arrays.equals(p, BatchLoader.permutation(1000, 5, 1)));
    assertFalse(Arrays.equals(p, BatchLoader.permutation(1000, 6, 0)));
  }

  @Test
  void resumingAtBatchKGivesTheTailOfTheUninterruptedEpoch() {
    IdxDataset d = EmbeddedFashionMnist.test();
    List<ImageBatches.Batch> full = all(loader(d, 3, false), 4, 0);
    for (int k : new int[] {1, 17, 41, 42}) {
      List<ImageBatches.Batch> tail = all(loader(d, 2, false), 4, k);
      assertSameBatches(full.subList(k, full.size()), tail);
    }
    assertThrows(IllegalArgumentException.class, () -> loader(d, 1, false).open(4, 43));
    assertThrows(IllegalArgumentException.class, () -> loader(d, 1, false).open(4, -1));
  }

  @Test
  void workersStayABoundedNumberOfBatchesAhead() throws Exception {
    Probe p = new Probe(EmbeddedFashionMnist.test(), 0, -1);
    BatchLoader l =
        BatchLoader.builder(p, Transforms.padFlip(32, 3))
            .batchSize(10)
            .threads(3)
            .prefetch(2)
            .build();
    try (BatchLoader.Epoch e = l.open(0, 0)) {
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (p.loads.get() < 20 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      Thread.sleep(200);
      assertEquals(20, p.loads.get()); // two batches ready, none beyond
      long t0 = System.nanoTime();
      e.next();
      e.next();
      assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
      while (p.loads.get() < 40 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      Thread.sleep(200);
      assertEquals(40, p.loads.get());
      assertEquals(2, e.position());
    }
  }

  @Test
  void closingStopsTheThreadsPromptly() throws Exception {
    Probe slow = new Probe(EmbeddedFashionMnist.test(), 20, -1);
    BatchLoader l =
        BatchLoader.builder(slow, Transforms.padFlip(32, 3))
            .batchSize(16)
            .threads(4)
            .prefetch(4)
            .build();
    BatchLoader.Epoch e = l.open(0, 0);
    assertEquals(16, e.next().count());
    long t0 = System.nanoTime();
    e.close();
    assertTrue(e.stopped());
    assertTrue(
        System.nanoTime() - t0 < 2_000_000_000L,
        "close took " + (System.nanoTime() - t0) / 1e6 + " ms");
    int loads = slow.loads.get();
    Thread.sleep(100);
    assertEquals(loads, slow.loads.get());
    assertThrows(IllegalStateException.class, e::next);
    assertFalse(e.hasNext());
  }

  @Test
  void aWorkerExceptionReachesTheConsumerAtItsBatchWithTheFileNamed() {
    IdxDataset d = EmbeddedFashionMnist.test();
    int[] order = BatchLoader.permutation(d.size(), 7, 0);
    int bad = order[3 * 48 + 5]; // image 5 of batch 3
    for (int threads : new int[] {0, 1, 3}) {
      BatchLoader l = loader(new Probe(d, 0, bad), threads, true);
      try (BatchLoader.Epoch e = l.open(0, 0)) {
        for (int b = 0; b < 3; b++) {
          assertEquals(48, e.next().count());
        }
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e::next);
        assertEquals(
            "probe of "
                + d.describe()
                + ": epoch 0, batch 3, image 5 (dataset index "
                + bad
                + "): /data/broken-"
                + bad
                + ".png: cannot decode image (test)",
            x.getMessage());
        assertThrows(IllegalArgumentException.class, e::next);
      }
    }
  }

  @Test
  void skippedImagesAreCountedThroughTheLoader(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("a"));
    Files.createDirectories(dir.resolve("b"));
    for (int i = 0; i < 6; i++) {
      BufferedImage img = new BufferedImage(10, 12, BufferedImage.TYPE_INT_RGB);
      img.setRGB(3, 3, 0x102030 * (i + 1));
      ImageIO.write(img, "png", dir.resolve((i < 3 ? "a/" : "b/") + i + ".png").toFile());
    }
    Path broken = Files.write(dir.resolve("b/3.png"), new byte[] {9, 9, 9});
    ImageFolderDataset folder = ImageFolderDataset.open(dir);
    BatchLoader strict =
        new BatchLoader(folder, 3, 16, 3, Augmentation.RANDOM_RESIZED_CROP, 1, 2, false);
    IllegalArgumentException x =
        assertThrows(IllegalArgumentException.class, () -> all(strict, 0, 0));
    assertTrue(x.getMessage().contains(broken + ": not a supported image"), x.getMessage());
    BatchLoader lenient =
        new BatchLoader(folder, 3, 16, 3, Augmentation.RANDOM_RESIZED_CROP, 1, 2, true);
    List<ImageBatches.Batch> batches = all(lenient, 0, 0);
    assertEquals(2, batches.size());
    assertEquals(1, lenient.skippedImages());
    all(lenient, 1, 0);
    assertEquals(1, lenient.skippedImages());
    assertSameBatches(
        batches,
        all(
            BatchLoader.builder(
                    ImageFolderDataset.open(dir, true), Transforms.randomResizedCropFlip(16, 3))
                .batchSize(3)
                .seed(1)
                .threads(1)
                .build(),
            0,
            0));
  }

  @Test
  void theTrainingEntryPointConstructorMakesFullBatchesOfTheRecipe() {
    IdxDataset d = EmbeddedFashionMnist.test();
    BatchLoader l = new BatchLoader(d, 64, 32, 1, Augmentation.FLIP_ONLY, 3, 2, false);
    assertEquals(31, l.batchesPerEpoch());
    assertEquals(d.size(), l.size());
    ImageBatches batches = l;
    try (ImageBatches.Stream s = batches.open(1, 30)) {
      ImageBatches.Batch b = s.next();
      assertEquals(64 * 32 * 32, b.pixels().length);
      assertArrayEquals(
          Transforms.padFlip(32, 1).apply(d.image(b.indices()[0]), 3, 1, b.indices()[0]),
          Arrays.copyOf(b.pixels(), 32 * 32));
      assertThrows(NoSuchElementException.class, s::next);
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> new BatchLoader(d, 0, 32, 3, Augmentation.FLIP_ONLY, 3, 2, false));
  }
}
