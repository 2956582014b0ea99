package io.github.saimjava.api;

import ai.djl.Device;
import io.github.saimjava.api.spi.SaimProvider;
import org.jspecify.annotations.Nullable;

/**
 * The weighted k-nearest-neighbour classifier on frozen features, as DINO evaluates self-supervised
 * encoders: no training. Every feature vector is L2-normalised; for each test vector the {@code k}
 * training vectors of highest cosine similarity {@code s} vote for their labels with weight {@code
 * exp(s / T)}, and the classes are ranked by their summed votes (top-1 and top-5 accuracy). Exact
 * ties are broken deterministically: among equally similar training vectors the earlier one is a
 * neighbour, among equally voted classes the lower class index ranks first.
 *
 * <pre>{@code
 * float[][] trainX = encoder.embed(trainImages);
 * float[][] testX = encoder.embed(testImages);
 * SaimKnn.Result r = SaimKnn.builder().k(20).temperature(0.07).build()
 *     .evaluate(trainX, trainLabels, testX, testLabels, 10);
 * System.out.println(r.top1());
 * }</pre>
 */
public final class SaimKnn {
  private final Spec spec;

  private SaimKnn(Spec spec) {
    this.spec = spec;
  }

  /** {@return a builder with DINO's settings: k = 20, T = 0.07} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the validated settings, as the implementation receives them} */
  public Spec spec() {
    return spec;
  }

  /**
   * A builder holding these settings, to vary some of them (k, say); this classifier is not
   * changed.
   *
   * @return a new builder with every setting of this classifier
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.k = spec.k();
    b.temperature = spec.temperature();
    b.batchSize = spec.batchSize();
    b.device = spec.device();
    return b;
  }

  /**
   * Classifies each test vector by its nearest training vectors and scores the result.
   *
   * @param trainX the training features, one row of equal length per image
   * @param trainY the training labels, in {@code [0, classes)}
   * @param testX the test features, rows as long as the training ones
   * @param testY the test labels, in {@code [0, classes)}
   * @param classes the number of classes, at least 2
   * @return the accuracies
   * @throws IllegalArgumentException when the features or labels are empty or do not match, or a
   *     label is outside {@code [0, classes)} (the message names the row)
   */
  public Result evaluate(
      float[][] trainX, int[] trainY, float[][] testX, int[] testY, int classes) {
    return SaimProvider.load().knn(spec, trainX, trainY, testX, testY, classes);
  }

  /**
   * What {@link Builder#build()} hands to the implementation.
   *
   * @param k the number of neighbours that vote (DINO: 20)
   * @param temperature T of the vote weights {@code exp(similarity / T)} (DINO: 0.07)
   * @param batchSize test vectors compared with the whole training set at once (memory: {@code
   *     batchSize x training size} similarities)
   * @param device where the similarities are computed; null for the engine's default device
   */
  public record Spec(int k, double temperature, int batchSize, @Nullable Device device) {
    /**
     * Checks the values; each message names the setting and its value.
     *
     * @param k the number of neighbours
     * @param temperature the vote temperature
     * @param batchSize test vectors per batch
     * @param device where the similarities are computed, or null
     */
    public Spec {
      Checks.check(k > 0, "k (%s) must be positive", k);
      Checks.check(
          temperature > 0 && Double.isFinite(temperature),
          "temperature (%s) must be positive",
          temperature);
      Checks.check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
    }
  }

  /**
   * What the classifier achieved.
   *
   * @param top1 test top-1 accuracy in percent
   * @param top5 test top-5 accuracy in percent (100 when there are at most 5 classes)
   * @param k the neighbours that voted: the configured k, or the training set's size when smaller
   */
  public record Result(double top1, double top5, int k) {}

  /** Builds a {@link SaimKnn}; validation happens in {@link #build()}. */
  public static final class Builder {
    private int k = 20;
    private double temperature = 0.07;
    private int batchSize = 256;
    private @Nullable Device device;

    private Builder() {}

    /**
     * The number of neighbours that vote (default 20).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder k(int v) {
      k = v;
      return this;
    }

    /**
     * The temperature T of the vote weights {@code exp(similarity / T)} (default 0.07).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder temperature(double v) {
      temperature = v;
      return this;
    }

    /**
     * Test vectors compared with the whole training set at once (default 256): bounds memory at
     * {@code batchSize x training size} similarities.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /**
     * Where the classifier computes, as {@code Device.cpu()} or {@code Device.gpu(0)}; null (the
     * default) for the engine's default device, a GPU when the engine has one. The features stay on
     * the host; each batch is copied to the device. A device the engine does not have is refused
     * when the classifier runs, naming it.
     *
     * @param v the device, or null
     * @return this builder
     */
    public Builder device(@Nullable Device v) {
      device = v;
      return this;
    }

    /**
     * Validates and builds; the builder is left as it was.
     *
     * @return the classifier
     * @throws IllegalArgumentException naming the first invalid value
     */
    public SaimKnn build() {
      return new SaimKnn(new Spec(k, temperature, batchSize, device));
    }
  }
}
