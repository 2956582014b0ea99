package io.github.saimjava.train;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * How many optimiser steps make an epoch, for pre-training and fine-tuning alike: whole steps of
 * {@code accumIter} full micro-batches; the images left over at the end of an epoch are not trained
 * on, as the reference's loaders drop the last partial batch.
 */
public final class EpochSteps {
  private EpochSteps() {}

  /** Optimiser steps in one epoch (0 when the images do not fill one step). */
  public static int count(int images, int batchSize, int accumIter) {
    return images / batchSize / accumIter;
  }

  /**
   * Optimiser steps in one epoch, refusing images that do not fill one step.
   *
   * @param set what the images are, for the message ("dataset", "training set")
   * @param describe where the images come from, for the message
   * @throws IllegalArgumentException naming the batch size, the micro-batches and the images
   */
  public static int atLeastOne(
      int images, int batchSize, int accumIter, String set, Supplier<String> describe) {
    int steps = count(images, batchSize, accumIter);
    if (steps == 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "batchSize (%d) x accumIter (%d) is larger than the %s (%d images in %s): use a"
                  + " smaller batch size",
              batchSize,
              accumIter,
              set,
              images,
              describe.get()));
    }
    return steps;
  }
}
