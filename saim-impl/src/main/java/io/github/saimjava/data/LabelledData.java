package io.github.saimjava.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The labelled train / validation data of fine-tuning and probing: {@code DIR/train} and {@code
 * DIR/val} image folders, an IDX pair in {@code DIR} ({@code train-*} and {@code t10k-*}), or the
 * embedded Fashion-MNIST subset when no folder is given.
 *
 * @param train the training images
 * @param val the validation images
 */
public record LabelledData(ImageDataset train, ImageDataset val) {
  /**
   * Opens the data {@code data} names.
   *
   * @param data the folder, or null for the embedded subset
   * @return the two datasets
   * @throws IllegalArgumentException when the folder holds neither layout, or no labels
   * @throws IOException when a file cannot be read
   */
  public static LabelledData open(@Nullable Path data) throws IOException {
    LabelledData d;
    if (data == null) {
      d = new LabelledData(Datasets.embeddedTrain(), Datasets.embeddedTest());
    } else if (Files.isDirectory(data.resolve("train")) && Files.isDirectory(data.resolve("val"))) {
      d =
          new LabelledData(
              ImageFolderDataset.open(data.resolve("train")),
              ImageFolderDataset.open(data.resolve("val")));
    } else {
      d = new LabelledData(IdxDataset.open(idx(data, "train")), IdxDataset.open(idx(data, "t10k")));
    }
    if (d.train.numClasses() < 2) {
      throw new IllegalArgumentException(
          d.train.describe() + " has no labels: this command needs labelled data");
    }
    return d;
  }

  private static Path idx(Path dir, String prefix) {
    for (String suffix : new String[] {"", ".gz"}) {
      Path p = dir.resolve(prefix + "-images-idx3-ubyte" + suffix);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        dir
            + ": expected train/ and val/ image folders, or "
            + prefix
            + "-images-idx3-ubyte[.gz] with its labels");
  }
}
