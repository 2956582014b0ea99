package io.github.saimjava.data;

import java.util.List;
import java.util.Objects;

/**
 * Another dataset whose undecodable images are skipped and counted (see {@link ImageDataset#load}).
 */
final class SkippingDataset implements ImageDataset {
  private final ImageDataset inner;
  private final BadImages bad = new BadImages();

  SkippingDataset(ImageDataset inner) {
    this.inner = inner;
  }

  @Override
  public int size() {
    return inner.size();
  }

  @Override
  public DecodedImage image(int index) {
    return load(index).image();
  }

  @Override
  public int label(int index) {
    return inner.label(index);
  }

  @Override
  public LabeledImage load(int index) {
    Objects.checkIndex(index, inner.size());
    return bad.load(index, inner.size(), inner::load, inner.describe());
  }

  @Override
  public int numClasses() {
    return inner.numClasses();
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public long skippedImages() {
    return bad.count() + inner.skippedImages();
  }

  List<String> skippedMessages() {
    return bad.messages();
  }
}
