package io.github.saimjava.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** Opens datasets: a folder is an image folder, a file an IDX images file; none, the embedded data. */
public final class Datasets {
  private static final String RES = "/io/github/saimjava/data/";

  private Datasets() {}

  /**
   * The dataset at {@code path}, or the embedded Fashion-MNIST training subset when null.
   *
   * @throws IllegalArgumentException naming the path when it is missing, empty or unreadable
   */
  public static ImageDataset open(@Nullable Path path) throws IOException {
    if (path == null) {
      return embeddedTrain();
    }
    if (Files.isDirectory(path)) {
      return ImageFolderDataset.open(path);
    }
    if (Files.isRegularFile(path)) {
      return IdxDataset.open(path);
    }
    throw new IllegalArgumentException(path + ": no such file or folder (expected an image folder or an IDX file)");
  }

  /** The first 10,000 Fashion-MNIST training images with labels, embedded in this jar. */
  public static IdxDataset embeddedTrain() {
    return embedded("fashion-mnist-train-10k", "embedded Fashion-MNIST train (first 10,000)");
  }

  /** The first 2,000 Fashion-MNIST test images with labels, embedded in this jar. */
  public static IdxDataset embeddedTest() {
    return embedded("fashion-mnist-test-2k", "embedded Fashion-MNIST test (first 2,000)");
  }

  private static IdxDataset embedded(String base, String name) {
    try {
      return IdxDataset.parse(name, resource(base + "-images-idx3-ubyte.gz"),
          resource(base + "-labels-idx1-ubyte.gz"), name + " labels");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the embedded dataset " + base, e);
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = Datasets.class.getResourceAsStream(RES + name)) {
      if (in == null) {
        throw new IOException("missing resource " + RES + name);
      }
      return IdxDataset.readAll(in, name);
    }
  }
}
