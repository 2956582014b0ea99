package io.github.saimjava.api;

import io.github.saimjava.api.spi.SaimProvider;

/**
 * The paper's linear probe on frozen features: BatchNorm without affine parameters (eps 1e-6, batch
 * statistics in training, running statistics for evaluation), then a linear head (weights drawn
 * from N(0, 0.01), bias 0) trained with cross-entropy and LARS (momentum 0.9, trust coefficient
 * 0.001, no trust ratio for the bias), learning rate {@code blr * batch / 256} with a linear
 * warm-up and a half-cycle cosine to 0 per iteration. The features are held in memory, so the probe
 * runs on the host; {@link SaimEncoder#embed} gives them.
 *
 * <pre>{@code
 * float[][] trainX = encoder.embed(trainImages);
 * float[][] valX = encoder.embed(valImages);
 * SaimLinearProbe.Result r = SaimLinearProbe.builder().epochs(90).blr(0.1).build()
 *     .fit(trainX, trainLabels, valX, valLabels, 10);
 * System.out.println(r.top1());
 * }</pre>
 */
public final class SaimLinearProbe {
  private final Spec spec;

  private SaimLinearProbe(Spec spec) {
    this.spec = spec;
  }

  /** {@return a builder with the paper's settings, except a batch of 256 (the paper: 2048)} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the validated settings, as the implementation receives them} */
  public Spec spec() {
    return spec;
  }

  /**
   * Trains the probe on the training features and evaluates it on the validation features.
   *
   * @param trainX the training features, one row of equal length per image
   * @param trainY the training labels, in {@code [0, classes)}
   * @param valX the validation features, rows as long as the training ones
   * @param valY the validation labels, in {@code [0, classes)}
   * @param classes the number of classes, at least 2
   * @return the accuracies and the trained head
   * @throws IllegalArgumentException when the features or labels are empty or do not match
   */
  public Result fit(float[][] trainX, int[] trainY, float[][] valX, int[] valY, int classes) {
    return SaimProvider.load().linearProbe(spec, trainX, trainY, valX, valY, classes);
  }

  /**
   * What {@link Builder#build()} hands to the implementation.
   *
   * @param epochs training epochs (the paper: 90)
   * @param batchSize images per step (fewer when the training set is smaller)
   * @param blr base learning rate, per 256 images (the paper: 0.1)
   * @param weightDecay LARS weight decay (the paper: 0)
   * @param warmupEpochs epochs of linear warm-up (SAIM.md: none)
   * @param seed the seed of the shuffling and the head's initialisation
   */
  public record Spec(
      int epochs, int batchSize, double blr, double weightDecay, double warmupEpochs, long seed) {
    /**
     * Checks the values; each message names the setting and its value.
     *
     * @param epochs training epochs
     * @param batchSize images per step
     * @param blr base learning rate, per 256 images
     * @param weightDecay LARS weight decay
     * @param warmupEpochs epochs of linear warm-up
     * @param seed the seed of the shuffling and the head's initialisation
     */
    public Spec {
      Checks.check(epochs > 0, "epochs (%s) must be positive", epochs);
      Checks.check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      Checks.check(blr > 0 && Double.isFinite(blr), "blr (%s) must be positive", blr);
      Checks.check(weightDecay >= 0, "weightDecay (%s) must be non-negative", weightDecay);
      Checks.check(warmupEpochs >= 0, "warmupEpochs (%s) must be non-negative", warmupEpochs);
    }
  }

  /**
   * What the probe achieved.
   *
   * @param top1 validation top-1 accuracy in percent
   * @param top5 validation top-5 accuracy in percent
   * @param trainLoss mean cross-entropy of the last epoch
   * @param head the trained BatchNorm statistics and linear layer
   */
  public record Result(double top1, double top5, double trainLoss, Head head) {}

  /**
   * The trained probe as the reference's linear-probe model holds it: {@code head.0}, a {@code
   * BatchNorm1d(affine=False, eps=1e-6)} with its running statistics (momentum 0.1, unbiased
   * variance, as PyTorch keeps them), and {@code head.1}, the linear layer. The arrays are the
   * probe's own: do not change them.
   *
   * @param weight the linear layer's weights, {@code [class][feature]}
   * @param bias the linear layer's bias, one per class
   * @param runningMean the BatchNorm's running mean, one per feature
   * @param runningVar the BatchNorm's running variance, one per feature
   * @param batchesTracked training steps taken ({@code num_batches_tracked})
   */
  public record Head(
      float[][] weight,
      float[] bias,
      float[] runningMean,
      float[] runningVar,
      long batchesTracked) {}

  /** Builds a {@link SaimLinearProbe}; validation happens in {@link #build()}. */
  public static final class Builder {
    private int epochs = 90;
    private int batchSize = 256;
    private double blr = 0.1;
    private double weightDecay;
    private double warmupEpochs;
    private long seed;

    private Builder() {}

    /**
     * The number of training epochs (the paper: 90).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    /**
     * The number of images per step (default 256; the paper: 2048).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /**
     * The base learning rate: the peak is {@code blr * batch / 256} (the paper: 0.1).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder blr(double v) {
      blr = v;
      return this;
    }

    /**
     * LARS's weight decay (the paper: 0).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    /**
     * The epochs of linear learning-rate warm-up (default 0, as SAIM.md).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder warmupEpochs(double v) {
      warmupEpochs = v;
      return this;
    }

    /**
     * The seed of the shuffling and the head's initialisation.
     *
     * @param v the value
     * @return this builder
     */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /**
     * Validates and builds; the builder is left as it was.
     *
     * @return the probe
     * @throws IllegalArgumentException naming the first invalid value
     */
    public SaimLinearProbe build() {
      return new SaimLinearProbe(new Spec(epochs, batchSize, blr, weightDecay, warmupEpochs, seed));
    }
  }
}
