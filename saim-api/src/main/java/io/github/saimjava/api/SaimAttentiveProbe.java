package io.github.saimjava.api;

import ai.djl.Device;
import io.github.saimjava.api.spi.SaimProvider;
import org.jspecify.annotations.Nullable;

/**
 * The attentive probe of AIM (Apple's autoregressive image models) on frozen patch tokens, which
 * reads more of what an encoder knows than its class token: BatchNorm without affine parameters
 * over the token features (eps 1e-6), {@code queries} learned queries attending over all patch
 * tokens by multi-head cross-attention ({@code heads} heads, projections without bias), the
 * queries' outputs averaged, then a linear head; trained with cross-entropy and AdamW (the
 * reference's no-decay rule) at {@code blr * batch / 256}, with a linear warm-up and a half-cycle
 * cosine per iteration. {@link SaimEncoder#patchTokens} gives the tokens (of the last block, or the
 * average of the last K blocks' outputs, as AIM reads them); they are held in memory.
 *
 * <pre>{@code
 * float[][][] trainX = encoder.patchTokens(trainImages, 1);
 * float[][][] valX = encoder.patchTokens(valImages, 1);
 * SaimAttentiveProbe.Result r = SaimAttentiveProbe.builder().epochs(30).build()
 *     .fit(trainX, trainLabels, valX, valLabels, 10);
 * System.out.println(r.top1());
 * }</pre>
 */
public final class SaimAttentiveProbe {
  private final Spec spec;

  private SaimAttentiveProbe(Spec spec) {
    this.spec = spec;
  }

  /** {@return a builder with this library's defaults (not a paper's): see {@link Builder}} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the validated settings, as the implementation receives them} */
  public Spec spec() {
    return spec;
  }

  /**
   * A builder holding these settings, to vary some of them (a seed, say); this probe is not
   * changed.
   *
   * @return a new builder with every setting of this probe
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.copy(spec);
    b.blr = spec.blr();
    b.minLr = spec.minLr();
    b.queries = spec.queries();
    b.heads = spec.heads();
    return b;
  }

  /**
   * Trains the probe on the training tokens and evaluates it on the validation tokens.
   *
   * @param trainX the training tokens, {@code [image][token][feature]}, every image with the same
   *     number of tokens of the same width
   * @param trainY the training labels, in {@code [0, classes)}
   * @param valX the validation tokens, shaped as the training ones
   * @param valY the validation labels, in {@code [0, classes)}
   * @param classes the number of classes, at least 2
   * @return the accuracies and the trained probe
   * @throws IllegalArgumentException when the tokens or labels are empty or do not match, or the
   *     heads do not divide the token width (the message names the value)
   */
  public Result fit(float[][][] trainX, int[] trainY, float[][][] valX, int[] valY, int classes) {
    return SaimProvider.load().attentiveProbe(spec, trainX, trainY, valX, valY, classes);
  }

  /**
   * What {@link Builder#build()} hands to the implementation.
   *
   * @param epochs training epochs
   * @param batchSize images per step (fewer when the training set is smaller)
   * @param blr base learning rate, per 256 images
   * @param weightDecay AdamW weight decay (none on 1-D parameters)
   * @param warmupEpochs epochs of linear warm-up
   * @param minLr the cosine's floor
   * @param queries learned queries
   * @param heads attention heads, dividing the token width
   * @param seed the seed of the shuffling and the initialisation
   * @param device where the probe computes; null for the engine's default device
   */
  public record Spec(
      int epochs,
      int batchSize,
      double blr,
      double weightDecay,
      double warmupEpochs,
      double minLr,
      int queries,
      int heads,
      long seed,
      @Nullable Device device)
      implements ProbeSpec {
    /**
     * Checks the values; each message names the setting and its value.
     *
     * @param epochs training epochs
     * @param batchSize images per step
     * @param blr base learning rate, per 256 images
     * @param weightDecay AdamW weight decay
     * @param warmupEpochs epochs of linear warm-up
     * @param minLr the cosine's floor
     * @param queries learned queries
     * @param heads attention heads
     * @param seed the seed of the shuffling and the initialisation
     * @param device where the probe computes, or null
     */
    public Spec {
      Checks.check(epochs > 0, "epochs (%s) must be positive", epochs);
      Checks.check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      Checks.check(blr > 0 && Double.isFinite(blr), "blr (%s) must be positive", blr);
      Checks.check(weightDecay >= 0, "weightDecay (%s) must be non-negative", weightDecay);
      Checks.check(warmupEpochs >= 0, "warmupEpochs (%s) must be non-negative", warmupEpochs);
      Checks.check(minLr >= 0 && minLr <= blr, "minLr (%s) must be in [0, blr]", minLr);
      Checks.check(queries > 0, "queries (%s) must be positive", queries);
      Checks.check(heads > 0, "heads (%s) must be positive", heads);
    }
  }

  /**
   * What the probe achieved.
   *
   * @param top1 validation top-1 accuracy in percent
   * @param top5 validation top-5 accuracy in percent
   * @param trainLoss mean cross-entropy of the last epoch
   * @param head the trained probe
   */
  public record Result(double top1, double top5, double trainLoss, Head head) {}

  /**
   * The trained probe, row-major arrays named as AIM's {@code AttentionPoolingClassifier} names its
   * tensors. The arrays are the probe's own: do not change them.
   *
   * @param runningMean the BatchNorm's running mean, one per feature D
   * @param runningVar the BatchNorm's running (unbiased) variance, one per feature
   * @param batchesTracked training steps taken
   * @param queries the learned queries ({@code cls_token}), Q x D
   * @param wq the query projection, D x D (output x input)
   * @param wk the key projection, D x D
   * @param wv the value projection, D x D
   * @param weight the linear head, K x D
   * @param bias the linear head's bias, K
   * @param heads attention heads
   */
  public record Head(
      float[] runningMean,
      float[] runningVar,
      long batchesTracked,
      float[] queries,
      float[] wq,
      float[] wk,
      float[] wv,
      float[] weight,
      float[] bias,
      int heads) {}

  /**
   * Builds a {@link SaimAttentiveProbe}; validation happens in {@link #build()}. The settings it
   * shares with the linear probe ({@code epochs}, {@code batchSize}, {@code weightDecay}, {@code
   * warmupEpochs}, {@code seed}, {@code device}) are {@link ProbeBuilder}'s; here: epochs 90, batch
   * 256, AdamW weight decay 0.05 (not on 1-D parameters), no warm-up, the engine's default device.
   */
  public static final class Builder extends ProbeBuilder<Builder> {
    private double blr = 1e-3;
    private double minLr;
    private int queries = 1;
    private int heads = 8;

    private Builder() {
      super(0.05);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * The base learning rate: the peak is {@code blr * batch / 256} (default 1e-3).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder blr(double v) {
      blr = v;
      return this;
    }

    /**
     * The learning rate the cosine ends at (default 0).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder minLr(double v) {
      minLr = v;
      return this;
    }

    /**
     * The number of learned queries, whose outputs are averaged (default 1, as AIM).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder queries(int v) {
      queries = v;
      return this;
    }

    /**
     * The number of attention heads, which must divide the token width (default 8).
     *
     * @param v the value, checked by {@link #build()} and against the tokens by {@link #fit}
     * @return this builder
     */
    public Builder heads(int v) {
      heads = v;
      return this;
    }

    /**
     * Validates and builds; the builder is left as it was.
     *
     * @return the probe
     * @throws IllegalArgumentException naming the first invalid value
     */
    public SaimAttentiveProbe build() {
      return new SaimAttentiveProbe(
          new Spec(
              epochs,
              batchSize,
              blr,
              weightDecay,
              warmupEpochs,
              minLr,
              queries,
              heads,
              seed,
              device));
    }
  }
}
