package io.github.saimjava.data;

import io.github.saimjava.api.Augmentation;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Batches of decoded, augmented, normalised images, prepared by background threads ahead of the
 * consumer.
 *
 * <p>The order of an epoch is a Fisher-Yates shuffle seeded by (seed, epoch) ({@link
 * #permutation}); the augmentation of an image is seeded by (seed, epoch, dataset index) ({@link
 * Transforms#random}). So every batch is a pure function of (seed, epoch, batch position), whatever
 * the number of threads or their timing, and an epoch opened at batch {@code k} yields exactly the
 * batches {@code k, k+1, ...} of an uninterrupted epoch.
 *
 * <p>The loader itself is immutable and thread-safe; each {@link #open} starts an {@link Epoch}
 * with its own threads, which stop when it is closed or exhausted.
 */
public final class BatchLoader implements ImageBatches {
  private final ImageDataset dataset;
  private final ImageTransform transform;
  private final int batchSize;
  private final long seed;
  private final int threads;
  private final int prefetch;
  private final boolean dropLast;

  /** This loader's part of every batch ({@link #shard}): part {@code shard} of {@code shards}. */
  private final int shard;

  private final int shards;

  /** Appended to an image's decoding error ({@link #SKIP_BAD_IMAGES_ADVICE}, or empty). */
  private final String badImageAdvice;

  /**
   * A loader of the pre-training recipe (the compatibility constructor of the training entry
   * point): full batches only, up to 3 batches prepared ahead.
   *
   * @param size output height and width
   * @param channels output channels (1 or 3)
   * @param threads background threads, at least 1 (0: decode on the consumer's thread)
   * @param skipBadImages skip and count undecodable images (the next decodable one stands in)
   *     instead of failing
   * @throws IllegalArgumentException when a parameter is out of range
   */
  public BatchLoader(
      ImageDataset dataset,
      int batchSize,
      int size,
      int channels,
      Augmentation augmentation,
      long seed,
      int threads,
      boolean skipBadImages) {
    this(
        skipBadImages ? Datasets.skippingBadImages(dataset) : dataset,
        Transforms.forAugmentation(augmentation, size, channels),
        batchSize,
        seed,
        threads,
        3,
        true,
        0,
        1,
        skipBadImages ? "" : SKIP_BAD_IMAGES_ADVICE);
  }

  /**
   * What a pre-training loader that fails on an undecodable image adds to the error: the way out.
   */
  public static final String SKIP_BAD_IMAGES_ADVICE =
      "; to skip undecodable images and go on (each is counted in metrics.jsonl), set"
          + " skipBadImages(true)";

  private BatchLoader(
      ImageDataset dataset,
      ImageTransform transform,
      int batchSize,
      long seed,
      int threads,
      int prefetch,
      boolean dropLast,
      int shard,
      int shards,
      String badImageAdvice) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    if (threads < 0) {
      throw new IllegalArgumentException("loader threads must be >= 0, got " + threads);
    }
    if (prefetch <= 0) {
      throw new IllegalArgumentException("prefetch must be at least 1 batch, got " + prefetch);
    }
    this.dataset = dataset;
    this.transform = transform;
    this.batchSize = batchSize;
    this.seed = seed;
    this.threads = threads;
    this.prefetch = prefetch;
    this.dropLast = dropLast;
    this.shard = shard;
    this.shards = shards;
    this.badImageAdvice = badImageAdvice;
  }

  /**
   * The same batches, cut in {@code count} equal consecutive parts, of which this loader yields
   * part {@code index} only (and decodes only its images): rank {@code index} of a data-parallel
   * run of {@code count} processes. Batch positions, epoch orders and augmentations stay those of
   * the whole batches, so the parts of all ranks together are exactly this loader's batches.
   *
   * @throws IllegalArgumentException when the batch size is not a multiple of {@code count}, the
   *     index is out of range, or the loader keeps the last partial batch
   */
  public BatchLoader shard(int index, int count) {
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("shard " + index + " of " + count + " is out of range");
    }
    if (batchSize % count != 0 || (count > 1 && !dropLast)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "a batch of %d images does not split into %d equal parts%s",
              batchSize,
              count,
              dropLast ? "" : " (the last partial batch is kept)"));
    }
    return new BatchLoader(
        dataset,
        transform,
        batchSize,
        seed,
        threads,
        prefetch,
        dropLast,
        index,
        count,
        badImageAdvice);
  }

  /** A builder of a loader over {@code dataset} whose images go through {@code transform}. */
  public static Builder builder(ImageDataset dataset, ImageTransform transform) {
    return new Builder(dataset, transform);
  }

  /**
   * Settings of a {@link BatchLoader}; defaults: batch 64, seed 0, 2 threads, 3 batches ahead, drop
   * the last partial batch.
   */
  public static final class Builder {
    private final ImageDataset dataset;
    private final ImageTransform transform;
    private int batchSize = 64;
    private long seed;
    private int threads = 2;
    private int prefetch = 3;
    private boolean dropLast = true;
    private boolean skipBadImages;

    private Builder(ImageDataset dataset, ImageTransform transform) {
      this.dataset = dataset;
      this.transform = transform;
    }

    /** Images per batch. */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /** The run's seed: of the epoch orders and of every augmentation. */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** Background threads that decode and augment; 0 does the work on the consumer's thread. */
    public Builder threads(int v) {
      threads = v;
      return this;
    }

    /**
     * Batches prepared ahead of the consumer at most (memory: that many batches, plus the one being
     * used).
     */
    public Builder prefetch(int v) {
      prefetch = v;
      return this;
    }

    /**
     * Whether an epoch ends with its last full batch (true) or also yields the smaller remainder
     * (false).
     */
    public Builder dropLast(boolean v) {
      dropLast = v;
      return this;
    }

    /**
     * Skip and count undecodable images, the next decodable one standing in, instead of failing.
     */
    public Builder skipBadImages(boolean v) {
      skipBadImages = v;
      return this;
    }

    /**
     * The loader.
     *
     * @throws IllegalArgumentException when a setting is out of range
     */
    public BatchLoader build() {
      return new BatchLoader(
          skipBadImages ? Datasets.skippingBadImages(dataset) : dataset,
          transform,
          batchSize,
          seed,
          threads,
          prefetch,
          dropLast,
          0,
          1,
          "");
    }
  }

  @Override
  public int size() {
    return dataset.size();
  }

  @Override
  public String describe() {
    return dataset.describe();
  }

  @Override
  public long skippedImages() {
    return dataset.skippedImages();
  }

  /** The dataset read (wrapped when it skips bad images). */
  public ImageDataset dataset() {
    return dataset;
  }

  /** The transform applied to every image. */
  public ImageTransform transform() {
    return transform;
  }

  /** Images per full batch, of all {@linkplain #shard shards} together. */
  public int batchSize() {
    return batchSize;
  }

  /**
   * Batches in one epoch: {@code size / batchSize}, rounded down when dropping the last partial
   * batch, up otherwise.
   */
  public int batchesPerEpoch() {
    int n = dataset.size();
    return dropLast ? n / batchSize : (int) ((n + (long) batchSize - 1) / batchSize);
  }

  /** The order of the images in epoch {@code epoch}: {@link #permutation} of this loader's seed. */
  public int[] order(int epoch) {
    return permutation(dataset.size(), seed, epoch);
  }

  /**
   * A Fisher-Yates shuffle of {@code 0 .. n-1} driven by a {@link SplittableRandom} seeded from
   * (seed, epoch).
   */
  public static int[] permutation(int n, long seed, int epoch) {
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom r = new SplittableRandom(Seeds.mix(Seeds.ORDER, seed, epoch, 0));
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }

  /**
   * Image {@code index} as it appears in epoch {@code epoch}: loaded, transformed and normalised.
   */
  public float[] sample(int epoch, int index) {
    float[] out = new float[transform.outputLength()];
    transform.apply(dataset.load(index).image(), seed, epoch, index, out, 0);
    return out;
  }

  /**
   * The batches of {@code epoch} from position {@code startBatch} on, prepared in the background.
   *
   * @throws IllegalArgumentException when {@code startBatch} is outside {@code 0 ..
   *     batchesPerEpoch()}
   */
  @Override
  public Epoch open(int epoch, int startBatch) {
    int batches = batchesPerEpoch();
    if (startBatch < 0 || startBatch > batches) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "start batch %d is outside 0..%d (%d images in batches of %d)",
              startBatch,
              batches,
              dataset.size(),
              batchSize));
    }
    return new Epoch(epoch, startBatch, batches, order(epoch));
  }

  /**
   * The batches of one epoch, in order. {@link #next()} is for one consumer thread; {@link
   * #close()} may be called from any thread and stops the background threads promptly (between two
   * images). An exception while loading an image is thrown by {@link #next()} at the batch it
   * belongs to, with the dataset, the epoch, the batch and the image in its message (and the file,
   * when the dataset names it).
   */
  public final class Epoch implements ImageBatches.Stream, Iterator<Batch> {
    private final int epoch;
    private final int end;
    private final int[] order;
    private final int length;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final Condition room = lock.newCondition();

    /** Batches being filled or filled, by position; guarded by {@link #lock}. */
    private final Map<Integer, Pending> pending = new HashMap<>();

    private final Thread[] workers;

    /** Next batch to hand out; guarded by {@link #lock}. */
    private int position;

    /** Next image to claim, as (batch, slot); guarded by {@link #lock}. */
    private int claimBatch;

    private int claimSlot;

    /** No claims beyond this batch (the first that failed); guarded by {@link #lock}. */
    private int stopAfter = Integer.MAX_VALUE;

    private boolean closed;
    private @Nullable RuntimeException failure;

    private Epoch(int epoch, int start, int end, int[] order) {
      this.epoch = epoch;
      this.end = end;
      this.order = order;
      this.length = transform.outputLength();
      this.position = start;
      this.claimBatch = start;
      this.workers = new Thread[start < end ? threads : 0];
      for (int i = 0; i < workers.length; i++) {
        Thread t = new Thread(this::work, "saim-loader-e" + epoch + "-" + i);
        t.setDaemon(true);
        workers[i] = t;
      }
      for (Thread t : workers) {
        t.start();
      }
    }

    /** The epoch. */
    public int epoch() {
      return epoch;
    }

    /** Position of the batch the next call to {@link #next()} returns. */
    public int position() {
      lock.lock();
      try {
        return position;
      } finally {
        lock.unlock();
      }
    }

    /** Batches in the whole epoch (from position 0). */
    public int batchCount() {
      return end;
    }

    private int count(int batch) {
      return Math.min(batchSize, order.length - batch * batchSize) / shards;
    }

    private Pending allocate(int batch) {
      int n = count(batch);
      int[] indices = new int[n];
      System.arraycopy(order, batch * batchSize + shard * n, indices, 0, n);
      return new Pending(new float[n * length], new int[n], indices);
    }

    /** Fills one image of a batch; returns the failure instead of throwing it. */
    private @Nullable RuntimeException fill(Pending p, int slot, int batch) {
      int index = p.indices[slot];
      try {
        LabeledImage s = dataset.load(index);
        transform.apply(s.image(), seed, epoch, index, p.pixels, slot * length);
        p.labels[slot] = s.label();
        return null;
      } catch (RuntimeException | Error e) {
        return wrap(e, batch, slot, index);
      }
    }

    private RuntimeException wrap(Throwable e, int batch, int slot, int index) {
      String where =
          String.format(
              Locale.ROOT,
              "%s: epoch %d, batch %d, image %d (dataset index %d): %s",
              dataset.describe(),
              epoch,
              batch,
              slot,
              index,
              e.getMessage());
      if (e instanceof IllegalArgumentException) {
        return new IllegalArgumentException(where + badImageAdvice, e);
      }
      if (e instanceof UncheckedIOException u) {
        return new UncheckedIOException(where, u.getCause());
      }
      return new IllegalStateException(where, e);
    }

    private void work() {
      try {
        workLoop();
      } catch (RuntimeException | Error e) {
        lock.lock();
        try {
          if (failure == null) {
            failure =
                new IllegalStateException(dataset.describe() + ": loader thread failed: " + e, e);
          }
          closeLocked();
        } finally {
          lock.unlock();
        }
      }
    }

    private void workLoop() {
      while (true) {
        Pending p;
        int batch;
        int slot;
        lock.lock();
        try {
          while (true) {
            if (closed || claimBatch >= end || claimBatch > stopAfter) {
              return;
            }
            if (claimBatch < position + prefetch) {
              break;
            }
            room.awaitUninterruptibly();
          }
          batch = claimBatch;
          slot = claimSlot;
          p = pending.get(batch);
          if (p == null) {
            p = allocate(batch);
            pending.put(batch, p);
          }
          if (++claimSlot == p.indices.length) {
            claimSlot = 0;
            claimBatch++;
          }
        } finally {
          lock.unlock();
        }
        RuntimeException error = fill(p, slot, batch);
        lock.lock();
        try {
          if (error != null && (p.error == null || slot < p.errorSlot)) {
            p.error = error;
            p.errorSlot = slot;
            stopAfter = Math.min(stopAfter, batch);
          }
          if (++p.done == p.indices.length) {
            ready.signalAll();
          }
        } finally {
          lock.unlock();
        }
      }
    }

    @Override
    public boolean hasNext() {
      lock.lock();
      try {
        return !closed && failure == null && position < end;
      } finally {
        lock.unlock();
      }
    }

    /**
     * The next batch, waiting for it if the background threads have not finished it.
     *
     * @throws NoSuchElementException after the last batch of the epoch
     * @throws IllegalStateException when closed, or interrupted while waiting
     * @throws IllegalArgumentException when an image could not be decoded (naming it)
     */
    @Override
    public Batch next() {
      Pending p;
      int batch;
      lock.lock();
      try {
        if (failure != null) {
          throw failure;
        }
        if (closed) {
          throw new IllegalStateException("the batches of epoch " + epoch + " were closed");
        }
        if (position >= end) {
          throw new NoSuchElementException("epoch " + epoch + " has " + end + " batches");
        }
        batch = position;
        if (workers.length == 0) {
          p = null;
        } else {
          while ((p = pending.get(batch)) == null || p.done < p.indices.length) {
            if (failure != null) {
              throw failure;
            }
            if (closed) {
              throw new IllegalStateException("the batches of epoch " + epoch + " were closed");
            }
            try {
              ready.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(
                  "interrupted while waiting for batch " + batch + " of epoch " + epoch, e);
            }
          }
          pending.remove(batch);
          if (p.error != null) {
            failure = p.error;
            closeLocked();
            throw failure;
          }
          position++;
          room.signalAll();
        }
      } finally {
        lock.unlock();
      }
      if (p == null) {
        p = allocate(batch);
        for (int slot = 0; slot < p.indices.length; slot++) {
          RuntimeException error = fill(p, slot, batch);
          if (error != null) {
            lock.lock();
            try {
              failure = error;
            } finally {
              lock.unlock();
            }
            throw error;
          }
        }
        lock.lock();
        try {
          position++;
        } finally {
          lock.unlock();
        }
      }
      return new Batch(p.pixels, p.labels, p.indices);
    }

    private void closeLocked() {
      closed = true;
      pending.clear();
      ready.signalAll();
      room.signalAll();
    }

    /**
     * Stops the background threads (waiting up to a few seconds for an image in progress) and drops
     * prepared batches.
     */
    @Override
    public void close() {
      lock.lock();
      try {
        closeLocked();
      } finally {
        lock.unlock();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      for (Thread t : workers) {
        if (t == Thread.currentThread()) {
          continue;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }

    /** Whether all background threads have ended. */
    boolean stopped() {
      for (Thread t : workers) {
        if (t.isAlive()) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * A batch being filled by the workers; its fields are guarded by the epoch's lock, its arrays
   * written slot by slot.
   */
  private static final class Pending {
    final float[] pixels;
    final int[] labels;
    final int[] indices;
    int done;
    @Nullable RuntimeException error;
    int errorSlot;

    Pending(float[] pixels, int[] labels, int[] indices) {
      this.pixels = pixels;
      this.labels = labels;
      this.indices = indices;
    }
  }
}
