package io.github.saimjava.api.spi;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.TrainingSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Implements the API on an engine. Registered with {@link ServiceLoader}; the first provider found
 * is used.
 */
public interface SaimProvider {
  /** Runs the pre-training {@code trainer} describes. */
  TrainingSummary fit(SaimTrainer trainer) throws IOException;

  /** Builds the encoder {@code spec} describes. */
  Encoder newEncoder(SaimEncoder.Builder spec) throws IOException;

  /** Builds and strictly loads the classifier {@code spec} describes. */
  Classifier newClassifier(SaimClassifier.Spec spec) throws IOException;

  /** A classifier implementation; {@link SaimClassifier} batches, labels and delegates to it. */
  interface Classifier extends AutoCloseable {
    /** The encoder's architecture. */
    SaimConfig config();

    /** The head kind the checkpoint holds. */
    SaimClassifier.Head head();

    /** Number of classes K. */
    int numClasses();

    /** What loading reported, one line each. */
    List<String> loadNotes();

    /** Logits {@code [image][class]} after the evaluation transform. Must be safe to call from several threads. */
    float[][] logits(List<RawImage> images);

    /** Decodes an image file as Pillow's {@code convert('RGB')} sees it, naming the file on failure. */
    RawImage decode(Path file);

    /** A DJL predictor from images to classifications over {@code labels}; one per thread. */
    ai.djl.inference.Predictor<ai.djl.modality.cv.Image, ai.djl.modality.Classifications> newPredictor(
        List<String> labels, int topK);

    /** The classifier as a DJL model; closing it frees the classifier. */
    ai.djl.Model djlModel();

    /** The DJL translator from images to classifications over {@code labels} for {@link #djlModel()}. */
    ai.djl.translate.Translator<ai.djl.modality.cv.Image, ai.djl.modality.Classifications> translator(
        List<String> labels, int topK);

    @Override
    void close();
  }

  /** An encoder implementation; {@link SaimEncoder} batches and delegates to it. */
  interface Encoder extends AutoCloseable {
    SaimConfig config();

    int dimension();

    List<String> loadNotes();

    /** One vector per image. Must be safe to call from several threads. */
    float[][] embed(List<RawImage> images);

    /**
     * Every block's vectors, {@code [block - 1][image][dimension]}, from one forward pass; the
     * same vectors {@link #embed} gives with the layer set to that block. Thread-safe as {@link #embed}.
     */
    float[][][] embedEveryLayer(List<RawImage> images);

    /** A DJL predictor from images to vectors; one per thread. */
    ai.djl.inference.Predictor<ai.djl.modality.cv.Image, float[]> newPredictor();

    /** The encoder as a DJL model (block set); closing it frees the encoder. */
    ai.djl.Model djlModel();

    /** The DJL translator from images to vectors that goes with {@link #djlModel()}. */
    ai.djl.translate.Translator<ai.djl.modality.cv.Image, float[]> translator();

    /** Decodes an image file, naming it on failure. */
    RawImage decode(Path file);

    @Override
    void close();
  }

  /**
   * The provider on the class path.
   *
   * @throws IllegalStateException when none is, saying which artifact to add
   */
  static SaimProvider load() {
    return ServiceLoader.load(SaimProvider.class)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(
            "no saim-java implementation found: add io.github.saimjava:saim-impl to the class path"));
  }
}
