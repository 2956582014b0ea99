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

  /**
   * These data restricted to the first {@code trainImages} training images (0: all), of which the
   * last {@code valSplit} (0: none) become the evaluation set in place of the test images, so that
   * settings can be chosen without reading the test set.
   *
   * @param trainImages how many training images to keep, the first ones; 0 for all
   * @param valSplit how many of the kept images, the last ones, to evaluate on; 0 for none
   * @return the selection
   * @throws IllegalArgumentException naming the setting and the value at fault
   */
  public LabelledData select(int trainImages, int valSplit) {
    int n = train.size();
    if (trainImages < 0 || trainImages > n) {
      throw new IllegalArgumentException(
          "trainImages must be in 0.." + n + " (" + train.describe() + "), got " + trainImages);
    }
    int kept = trainImages == 0 ? n : trainImages;
    if (valSplit < 0 || valSplit >= kept) {
      throw new IllegalArgumentException(
          "validationSplit must be in 0.."
              + (kept - 1)
              + " (it holds out the last images of the "
              + kept
              + " training images), got "
              + valSplit);
    }
    if (valSplit > 0) {
      return new LabelledData(
          new ImageRange(train, 0, kept - valSplit), new ImageRange(train, kept - valSplit, kept));
    }
    return kept == n ? this : new LabelledData(new ImageRange(train, 0, kept), val);
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
