package io.github.saimjava.data;

import java.util.Arrays;

/**
 * Augmented, normalised training images in batches whose content is a pure function of the seed,
 * the epoch and the batch position, so a resumed run sees exactly the batches it would have seen.
 */
public interface ImageBatches {
  /** Images in the dataset. */
  int size();

  /** What the data is, for logs and errors. */
  String describe();

  /** Undecodable images skipped so far (when the source skips them). */
  default long skippedImages() {
    return 0;
  }

  /** The batches of {@code epoch} from batch {@code startBatch} on; close the stream when done. */
  Stream open(int epoch, int startBatch);

  /** A sequence of batches, prefetched in the background. */
  interface Stream extends AutoCloseable {
    /** The next batch (blocks until it is ready). */
    Batch next();

    /** Stops any background work; further calls to {@link #next()} fail. */
    @Override
    void close();
  }

  /**
   * One batch.
   *
   * @param pixels {@code N x C x H x W} float32 values, row-major
   * @param labels class label of each image, -1 when unlabelled
   * @param indices dataset index of each image
   */
  record Batch(float[] pixels, int[] labels, int[] indices) {
    /**
     * Checks that there is one label per index.
     *
     * @throws IllegalArgumentException when the counts differ
     */
    public Batch {
      if (labels.length != indices.length) {
        throw new IllegalArgumentException(
            labels.length + " labels for " + indices.length + " images");
      }
    }

    /** A batch of unlabelled images. */
    public Batch(float[] pixels, int[] indices) {
      this(pixels, unlabelled(indices.length), indices);
    }

    private static int[] unlabelled(int n) {
      int[] l = new int[n];
      Arrays.fill(l, -1);
      return l;
    }

    /** Number of images. */
    public int count() {
      return indices.length;
    }
  }
}
