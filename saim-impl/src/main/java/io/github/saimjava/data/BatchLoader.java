package io.github.saimjava.data;

import io.github.saimjava.api.Augmentation;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes and augments images on background threads ahead of the training step. The order of an
 * epoch is a seeded shuffle of (seed, epoch); the augmentation of an image is seeded by (seed,
 * epoch, index). So each batch is a pure function of its position, whatever the thread count or
 * timing, and a run resumed mid-epoch gets the batches the uninterrupted run would have got.
 */
public final class BatchLoader implements ImageBatches {
  private static final Logger LOG = LoggerFactory.getLogger(BatchLoader.class);

  private final ImageDataset dataset;
  private final int batchSize;
  private final int size;
  private final int channels;
  private final Augmentation augmentation;
  private final long seed;
  private final int threads;
  private final boolean skipBadImages;
  private final AtomicLong skipped = new AtomicLong();

  /**
   * A loader of {@code batchSize} images of {@code channels x size x size}.
   *
   * @param skipBadImages replace an undecodable image by the next decodable one (and count it)
   *     instead of failing
   */
  public BatchLoader(ImageDataset dataset, int batchSize, int size, int channels,
      Augmentation augmentation, long seed, int threads, boolean skipBadImages) {
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.size = size;
    this.channels = channels;
    this.augmentation = augmentation;
    this.seed = seed;
    this.threads = threads;
    this.skipBadImages = skipBadImages;
  }

  @Override
  public int size() {
    return dataset.size();
  }

  @Override
  public String describe() {
    return dataset.describe();
  }

  /** Images skipped as undecodable so far. */
  public long skippedImages() {
    return skipped.get();
  }

  /** The order of epoch {@code epoch}: a Fisher-Yates shuffle seeded by (seed, epoch). */
  public int[] order(int epoch) {
    int n = dataset.size();
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom r = new SplittableRandom(mix(seed, 0x5EEDL, epoch));
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }

  /** The augmented, normalised image {@code index} as seen in epoch {@code epoch}. */
  public float[] sample(int epoch, int index) {
    SplittableRandom r = new SplittableRandom(mix(seed, epoch, index));
    DecodedImage img = decode(index);
    return augmentation == Augmentation.FLIP_ONLY
        ? Transforms.padFlip(img, size, channels, r)
        : Transforms.randomResizedCropFlip(img, size, channels, r);
  }

  private DecodedImage decode(int index) {
    if (!skipBadImages) {
      return dataset.image(index);
    }
    int n = dataset.size();
    for (int k = 0; k < n; k++) {
      int i = (index + k) % n;
      try {
        return dataset.image(i);
      } catch (IllegalArgumentException e) {
        skipped.incrementAndGet();
        LOG.warn("skipping bad image: {}", e.getMessage());
      }
    }
    throw new IllegalArgumentException(dataset.describe() + ": no image could be decoded");
  }

  /** The batch at position {@code b} of {@code order}. */
  Batch batch(int epoch, int[] order, int b) {
    int per = channels * size * size;
    float[] px = new float[batchSize * per];
    int[] idx = new int[batchSize];
    for (int i = 0; i < batchSize; i++) {
      idx[i] = order[b * batchSize + i];
      System.arraycopy(sample(epoch, idx[i]), 0, px, i * per, per);
    }
    return new Batch(px, idx);
  }

  @Override
  public Stream open(int epoch, int startBatch) {
    int[] order = order(epoch);
    int batches = dataset.size() / batchSize;
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "saim-loader");
      t.setDaemon(true);
      return t;
    });
    int ahead = Math.max(2, 2 * threads);
    return new Stream() {
      private final Deque<Future<Batch>> queue = new ArrayDeque<>();
      private int nextToSubmit = startBatch;

      private void fill() {
        while (queue.size() < ahead && nextToSubmit < batches) {
          int b = nextToSubmit++;
          queue.add(pool.submit(() -> batch(epoch, order, b)));
        }
      }

      @Override
      public Batch next() {
        fill();
        Future<Batch> f = queue.poll();
        if (f == null) {
          throw new IllegalStateException("epoch " + epoch + " has only " + batches + " batches");
        }
        try {
          Batch b = f.get();
          fill();
          return b;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while loading images", e);
        } catch (ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof RuntimeException re) {
            throw re;
          }
          throw new IllegalStateException(c);
        }
      }

      @Override
      public void close() {
        queue.forEach(f -> f.cancel(true));
        pool.shutdownNow();
      }
    };
  }

  static long mix(long seed, long a, long b) {
    long z = seed * 0x9E3779B97F4A7C15L + a * 0xBF58476D1CE4E5B9L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
