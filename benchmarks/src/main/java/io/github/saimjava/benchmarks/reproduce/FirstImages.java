package io.github.saimjava.benchmarks.reproduce;

import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.ImageDataset;
import java.util.Locale;
import java.util.Objects;

/** The first {@code n} images of a dataset, so that a budget names its data by a prefix. */
final class FirstImages implements ImageDataset {
  private final ImageDataset all;
  private final int n;

  /** The first {@code n} images of {@code all}; all of them when {@code n} is 0 or not smaller. */
  static ImageDataset of(ImageDataset all, int n) {
    return n <= 0 || n >= all.size() ? all : new FirstImages(all, n);
  }

  private FirstImages(ImageDataset all, int n) {
    this.all = all;
    this.n = n;
  }

  @Override
  public int size() {
    return n;
  }

  @Override
  public DecodedImage image(int index) {
    return all.image(Objects.checkIndex(index, n));
  }

  @Override
  public int label(int index) {
    return all.label(Objects.checkIndex(index, n));
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
    return String.format(Locale.ROOT, "the first %,d images of %s", n, all.describe());
  }
}
