package io.github.saimjava.data;

import java.util.Locale;
import java.util.Objects;

/**
 * Images {@code from .. to - 1} of a dataset, renumbered from 0: the training images kept for
 * training and the ones held out for validation ({@link LabelledData#select}).
 */
final class ImageRange implements ImageDataset {
  private final ImageDataset all;
  private final int from;
  private final int to;

  ImageRange(ImageDataset all, int from, int to) {
    if (from < 0 || to > all.size() || from >= to) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "images %d..%d are not a non-empty range of %s",
              from,
              to - 1,
              all.describe()));
    }
    this.all = all;
    this.from = from;
    this.to = to;
  }

  @Override
  public int size() {
    return to - from;
  }

  @Override
  public DecodedImage image(int index) {
    return all.image(from + Objects.checkIndex(index, size()));
  }

  @Override
  public int label(int index) {
    return all.label(from + Objects.checkIndex(index, size()));
  }

  @Override
  public int numClasses() {
    return all.numClasses();
  }

  @Override
  public String name() {
    return all.name();
  }

  @Override
  public String describe() {
    return String.format(Locale.ROOT, "images %,d-%,d of %s", from, to - 1, all.describe());
  }
}
