package io.github.saimjava.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Opens datasets: a folder is an image folder, a file an IDX images file; none, the embedded data.
 */
public final class Datasets {
  private Datasets() {}

  /**
   * The dataset at {@code path}, or the embedded Fashion-MNIST training subset when null;
   * undecodable images are errors.
   *
   * @throws IllegalArgumentException naming the path when it is missing, empty or not valid data
   * @throws IOException when it cannot be read
   */
  public static ImageDataset open(@Nullable Path path) throws IOException {
    return open(path, false);
  }

  /**
   * The dataset at {@code path}, or the embedded Fashion-MNIST training subset when null.
   *
   * @param skipBadImages skip and count undecodable images of an image folder instead of failing
   * @throws IllegalArgumentException naming the path when it is missing, empty or not valid data
   * @throws IOException when it cannot be read
   */
  public static ImageDataset open(@Nullable Path path, boolean skipBadImages) throws IOException {
    if (path == null) {
      return embeddedTrain();
    }
    if (Files.isDirectory(path)) {
      return ImageFolderDataset.open(path, skipBadImages);
    }
    if (Files.isRegularFile(path)) {
      return IdxDataset.open(path);
    }
    throw new IllegalArgumentException(
        path
            + ": no such file or folder (expected an image folder"
            + " <root>/<class>/<image>.jpg|jpeg|png, or an IDX images file such as"
            + " train-images-idx3-ubyte.gz)");
  }

  /**
   * The images to pre-train on at {@code path}, or the embedded Fashion-MNIST training subset when
   * null: as {@link #open(Path)}, except that a folder needs no class sub-folders (see {@link
   * ImageFolderDataset#openUnlabelled}), since pre-training uses no labels.
   *
   * @throws IllegalArgumentException naming the path when it is missing, empty or not valid data
   * @throws IOException when it cannot be read
   */
  public static ImageDataset openUnlabelled(@Nullable Path path) throws IOException {
    if (path != null && Files.isDirectory(path)) {
      return ImageFolderDataset.openUnlabelled(path, false);
    }
    if (path != null && !Files.isRegularFile(path)) {
      throw new IllegalArgumentException(path + ": " + NO_SUCH_UNLABELLED);
    }
    return open(path, false);
  }

  /**
   * What a missing path of unlabelled images is told: a folder of images needs no class
   * sub-folders.
   */
  static final String NO_SUCH_UNLABELLED =
      "no such file or folder (expected a folder of .jpg, .jpeg or .png images, at any depth,"
          + " or an IDX images file such as train-images-idx3-ubyte.gz)";

  /** The first 10,000 Fashion-MNIST training images with labels, embedded in this jar. */
  public static IdxDataset embeddedTrain() {
    return EmbeddedFashionMnist.train();
  }

  /** The first 2,000 Fashion-MNIST test images with labels, embedded in this jar. */
  public static IdxDataset embeddedTest() {
    return EmbeddedFashionMnist.test();
  }

  /**
   * {@code dataset} with its undecodable images skipped and counted, the next decodable image
   * standing in for each (see {@link ImageDataset#load}); itself when it already skips.
   */
  public static ImageDataset skippingBadImages(ImageDataset dataset) {
    if (dataset instanceof SkippingDataset || dataset instanceof IdxDataset) {
      return dataset;
    }
    if (dataset instanceof ImageFolderDataset f && f.skipsBadImages()) {
      return f;
    }
    return new SkippingDataset(dataset);
  }
}
