package io.github.saimjava.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The Fashion-MNIST subset embedded in this jar, so pre-training works offline: the first 10,000
 * training images and the first 2,000 test images (28 x 28 grayscale) with their labels. Source:
 * Debian's {@code dataset-fashion-mnist}; Fashion-MNIST is Copyright (c) 2017 Zalando SE, MIT
 * licence.
 */
public final class EmbeddedFashionMnist {
  /** The class names, in label order. */
  public static final List<String> CLASSES =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  private static final String RESOURCES = "/io/github/saimjava/data/";

  private EmbeddedFashionMnist() {}

  private static final class Train {
    static final IdxDataset DATA =
        load("fashion-mnist-train-10k", "embedded Fashion-MNIST train (first 10,000)");
  }

  private static final class Test {
    static final IdxDataset DATA =
        load("fashion-mnist-test-2k", "embedded Fashion-MNIST test (first 2,000)");
  }

  /** The first 10,000 Fashion-MNIST training images with labels (read once, then shared). */
  public static IdxDataset train() {
    return Train.DATA;
  }

  /** The first 2,000 Fashion-MNIST test images with labels (read once, then shared). */
  public static IdxDataset test() {
    return Test.DATA;
  }

  private static IdxDataset load(String base, String name) {
    String images = RESOURCES + base + "-images-idx3-ubyte.gz";
    String labels = RESOURCES + base + "-labels-idx1-ubyte.gz";
    try (InputStream i = open(images);
        InputStream l = open(labels)) {
      return IdxDataset.read(name, i, name + " labels", l);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the embedded dataset " + base, e);
    }
  }

  private static InputStream open(String resource) throws IOException {
    InputStream in = EmbeddedFashionMnist.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IOException("missing resource " + resource + " (is saim-impl's jar complete?)");
    }
    return in;
  }
}
