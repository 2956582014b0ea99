package io.github.saimjava.api.spi;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.translate.Translator;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimAttentiveProbe;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimFineTuner;
import io.github.saimjava.api.SaimKnn;
import io.github.saimjava.api.SaimLinearProbe;
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
  /**
   * Runs the pre-training {@code spec} describes.
   *
   * @param spec the validated settings
   * @return the run's figures
   * @throws IOException when the data or the output folder cannot be read or written
   */
  TrainingSummary fit(SaimTrainer.Spec spec) throws IOException;

  /**
   * Runs (or resumes) the fine-tuning {@code spec} describes, or only its evaluation.
   *
   * @param spec the validated settings
   * @return what the run achieved
   * @throws IOException when the data, the weights or the output folder cannot be read or written
   */
  SaimFineTuner.Result fineTune(SaimFineTuner.Spec spec) throws IOException;

  /**
   * Trains and evaluates the linear probe {@code spec} describes on frozen features.
   *
   * @param spec the validated settings
   * @param trainX the training features, one row per image
   * @param trainY the training labels, in {@code [0, classes)}
   * @param valX the validation features
   * @param valY the validation labels, in {@code [0, classes)}
   * @param classes the number of classes
   * @return the accuracies and the trained head
   */
  SaimLinearProbe.Result linearProbe(
      SaimLinearProbe.Spec spec,
      float[][] trainX,
      int[] trainY,
      float[][] valX,
      int[] valY,
      int classes);

  /**
   * Trains and evaluates the attentive probe {@code spec} describes on frozen patch tokens.
   *
   * @param spec the validated settings
   * @param trainX the training tokens, {@code [image][token][feature]}
   * @param trainY the training labels, in {@code [0, classes)}
   * @param valX the validation tokens
   * @param valY the validation labels, in {@code [0, classes)}
   * @param classes the number of classes
   * @return the accuracies and the trained probe
   */
  SaimAttentiveProbe.Result attentiveProbe(
      SaimAttentiveProbe.Spec spec,
      float[][][] trainX,
      int[] trainY,
      float[][][] valX,
      int[] valY,
      int classes);

  /**
   * Runs the k-nearest-neighbour classifier {@code spec} describes on frozen features.
   *
   * @param spec the validated settings
   * @param trainX the training features, one row per image
   * @param trainY the training labels, in {@code [0, classes)}
   * @param testX the test features
   * @param testY the test labels, in {@code [0, classes)}
   * @param classes the number of classes
   * @return the accuracies
   */
  SaimKnn.Result knn(
      SaimKnn.Spec spec, float[][] trainX, int[] trainY, float[][] testX, int[] testY, int classes);

  /**
   * Builds the encoder {@code spec} describes.
   *
   * @param spec the validated settings
   * @return the encoder, owning native memory until closed
   * @throws IOException when the checkpoint cannot be read
   */
  Encoder newEncoder(SaimEncoder.Spec spec) throws IOException;

  /**
   * Builds and strictly loads the classifier {@code spec} describes.
   *
   * @param spec the validated settings
   * @return the classifier, owning native memory until closed
   * @throws IOException when the checkpoint cannot be read
   */
  Classifier newClassifier(SaimClassifier.Spec spec) throws IOException;

  /** A classifier implementation; {@link SaimClassifier} batches, labels and delegates to it. */
  interface Classifier extends AutoCloseable {
    /** {@return the encoder's architecture} */
    SaimConfig config();

    /** {@return the head kind the checkpoint holds} */
    SaimClassifier.Head head();

    /** {@return the number of classes K} */
    int numClasses();

    /** {@return what loading reported, one line each} */
    List<String> loadNotes();

    /**
     * Logits after the evaluation transform. Must be safe to call from several threads.
     *
     * @param images the images
     * @return the logits, {@code [image][class]}
     */
    float[][] logits(List<RawImage> images);

    /**
     * Decodes an image file as Pillow's {@code convert('RGB')} sees it, naming the file on failure.
     *
     * @param file a JPEG or PNG file
     * @return its pixels
     */
    RawImage decode(Path file);

    /**
     * A DJL predictor from images to classifications over {@code labels}; one per thread.
     *
     * @param labels the class names in class-index order
     * @param topK how many classes {@link ai.djl.modality.Classifications#topK()} gives
     * @return a new predictor
     */
    Predictor<Image, Classifications> newPredictor(List<String> labels, int topK);

    /** {@return the classifier as a DJL model; closing it frees the classifier} */
    Model djlModel();

    /**
     * The DJL translator from images to classifications over {@code labels} for {@link
     * #djlModel()}.
     *
     * @param labels the class names in class-index order
     * @param topK how many classes {@link ai.djl.modality.Classifications#topK()} gives
     * @return the translator
     */
    Translator<Image, Classifications> translator(List<String> labels, int topK);

    /**
     * Writes the classifier as an ONNX model ({@link SaimClassifier#exportOnnx(Path, int)}).
     *
     * @param file the {@code .onnx} file to write
     * @param opset the ONNX opset
     * @param labels the class names in class-index order, for the model's metadata
     * @throws IOException when the file cannot be written
     * @throws UnsupportedOperationException when this implementation cannot export ONNX
     */
    default void exportOnnx(Path file, int opset, List<String> labels) throws IOException {
      throw new UnsupportedOperationException(getClass().getName() + " cannot export ONNX");
    }

    @Override
    void close();
  }

  /** An encoder implementation; {@link SaimEncoder} batches and delegates to it. */
  interface Encoder extends AutoCloseable {
    /** {@return the architecture of the loaded model} */
    SaimConfig config();

    /** {@return the length of one vector} */
    int dimension();

    /** {@return what loading the weights left out or ignored, one line each} */
    List<String> loadNotes();

    /**
     * One vector per image. Must be safe to call from several threads.
     *
     * @param images the images
     * @return one vector per image, in order
     */
    float[][] embed(List<RawImage> images);

    /**
     * Every block's vectors, {@code [block - 1][image][dimension]}, from one forward pass; the same
     * vectors {@link #embed} gives with the layer set to that block. Thread-safe as {@link #embed}.
     *
     * @param images the images
     * @return the vectors, indexed by block (from 0 for block 1), image and dimension
     */
    float[][][] embedEveryLayer(List<RawImage> images);

    /**
     * The patch tokens of the last block, or the average of the last {@code lastBlocks} blocks'
     * outputs ({@link SaimEncoder#patchTokens}). Thread-safe as {@link #embed}.
     *
     * @param images the images
     * @param lastBlocks how many of the last blocks to average, 1 to the depth (checked)
     * @return the tokens, {@code [image][patch][dimension]}
     * @throws UnsupportedOperationException when this implementation cannot give them
     */
    default float[][][] patchTokens(List<RawImage> images, int lastBlocks) {
      throw new UnsupportedOperationException(getClass().getName() + " cannot give patch tokens");
    }

    /** {@return a DJL predictor from images to vectors; one per thread} */
    Predictor<Image, float[]> newPredictor();

    /** {@return the encoder as a DJL model (block set); closing it frees the encoder} */
    Model djlModel();

    /** {@return the DJL translator from images to vectors that goes with {@link #djlModel()}} */
    Translator<Image, float[]> translator();

    /**
     * Decodes an image file, naming it on failure.
     *
     * @param file a JPEG or PNG file
     * @return its pixels
     */
    RawImage decode(Path file);

    /**
     * Writes the encoder as an ONNX model ({@link SaimEncoder#exportOnnx(Path, int)}).
     *
     * @param file the {@code .onnx} file to write
     * @param opset the ONNX opset
     * @throws IOException when the file cannot be written
     * @throws UnsupportedOperationException when this implementation cannot export ONNX
     */
    default void exportOnnx(Path file, int opset) throws IOException {
      throw new UnsupportedOperationException(getClass().getName() + " cannot export ONNX");
    }

    @Override
    void close();
  }

  /**
   * The provider on the class path.
   *
   * @return the first provider {@link ServiceLoader} finds
   * @throws IllegalStateException when none is, saying which artifact to add
   */
  static SaimProvider load() {
    return ServiceLoader.load(SaimProvider.class)
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "no saim-java implementation found: add io.github.saimjava:saim-impl to the"
                        + " class path"));
  }
}
