package io.github.saimjava.cli;

import com.google.gson.JsonObject;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.LabelledData;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * What an encoder computes, frozen, for both splits of a labelled data set: the inputs of the probe
 * commands ({@code linprobe}, {@code knn}, {@code attnprobe}), with the encoder's configuration and
 * precision for their result files.
 *
 * @param <T> one split's features: {@code float[][]} (a vector an image) or {@code float[][][]}
 *     (tokens an image)
 */
record FrozenFeatures<T>(
    ImageDataset train, ImageDataset val, T trainX, T valX, SaimConfig config, String precision) {

  /** What an encoder computes for a list of images. */
  @FunctionalInterface
  interface Embedding<T> {
    T of(SaimEncoder encoder, List<RawImage> images);
  }

  /** A check of the loaded encoder against the command's options, made before any image is run. */
  @FunctionalInterface
  interface EncoderCheck {
    /**
     * @throws IllegalArgumentException naming the option at fault
     */
    void check(SaimEncoder encoder);
  }

  /**
   * Builds the encoder, checks it, prints its load notes and a line naming {@code what} is
   * extracted from which data, and runs both splits through it; the encoder is closed after.
   */
  static <T> FrozenFeatures<T> extract(
      SaimEncoder.Builder builder,
      LabelledData data,
      String what,
      EncoderCheck check,
      Embedding<T> embedding,
      PrintWriter out)
      throws IOException {
    ImageDataset train = data.train();
    ImageDataset val = data.val();
    try (SaimEncoder encoder = builder.build()) {
      check.check(encoder);
      encoder.loadNotes().forEach(n -> out.println("note: " + n));
      out.printf(Locale.ROOT, "extracting %s: %s, %s%n", what, train.describe(), val.describe());
      out.flush();
      T trainX = embedding.of(encoder, train.rawImages());
      T valX = embedding.of(encoder, val.rawImages());
      return new FrozenFeatures<>(
          train, val, trainX, valX, encoder.config(), FeatureOptions.name(encoder.precision()));
    }
  }

  /** The classes the probe tells apart: as many as the split with more has. */
  int classes() {
    return Math.max(train.numClasses(), val.numClasses());
  }

  /**
   * Adds the sizes of the splits to a result file, as {@code train_images} and {@code val_images}.
   */
  void addSizes(JsonObject m) {
    m.addProperty("train_images", train.size());
    m.addProperty("val_images", val.size());
  }
}
