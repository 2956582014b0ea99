package io.github.saimjava.api;

import ai.djl.Device;
import io.github.saimjava.api.spi.SaimProvider;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The paper's linear probe on frozen features: BatchNorm without affine parameters (eps 1e-6, batch
 * statistics in training, running statistics for evaluation), then a linear head (weights drawn
 * from N(0, 0.01), bias 0) trained with cross-entropy and LARS (momentum 0.9, trust coefficient
 * 0.001, no trust ratio for the bias), learning rate {@code blr * batch / 256} with a linear
 * warm-up and a half-cycle cosine to 0 per iteration. The features are held in memory and the probe
 * computes on the host, in double precision ({@link Builder#device}: the CPU only); {@link
 * SaimEncoder#embed} gives the features, on whichever device the encoder was given.
 *
 * <p>Several base learning rates ({@link Builder#blrs}) are swept in one pass, as DINOv2 does: one
 * head per rate, all trained over the same batches of the same features. A share of the training
 * features ({@link Builder#heldOutFraction}, drawn with the seed) is then held out from training,
 * and the rate whose head classifies it best is selected; the evaluation features select nothing.
 * With one rate nothing is held out.
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
   * A builder holding these settings, to vary some of them (a seed, say); this probe is not
   * changed.
   *
   * @return a new builder with every setting of this probe
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.copy(spec);
    b.blrs = spec.blrs();
    b.heldOutFraction = spec.heldOutFraction();
    return b;
  }

  /**
   * Trains the probe on the training features and evaluates it on the validation features. With
   * several rates, each head is also evaluated on the validation features, but the selected one is
   * chosen on the split held out from the training features.
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
   * @param blrs base learning rates, per 256 images (the paper: one, 0.1); several are swept
   * @param weightDecay LARS weight decay (the paper: 0)
   * @param warmupEpochs epochs of linear warm-up (SAIM.md: none)
   * @param seed the seed of the shuffling, the heads' initialisation and the validation split
   * @param heldOutFraction the share of the training features held out to select a rate when there
   *     are several
   * @param device where the probe computes: null or the CPU, as the probe computes on the host
   */
  public record Spec(
      int epochs,
      int batchSize,
      List<Double> blrs,
      double weightDecay,
      double warmupEpochs,
      long seed,
      double heldOutFraction,
      @Nullable Device device)
      implements ProbeSpec {
    /**
     * Checks the values; each message names the setting and its value.
     *
     * @param epochs training epochs
     * @param batchSize images per step
     * @param blrs base learning rates, per 256 images, none repeated
     * @param weightDecay LARS weight decay
     * @param warmupEpochs epochs of linear warm-up
     * @param seed the seed of the shuffling, the heads' initialisation and the validation split
     * @param heldOutFraction the share of the training features held out, in (0, 1)
     * @param device null or the CPU
     */
    public Spec {
      Checks.check(epochs > 0, "epochs (%s) must be positive", epochs);
      Checks.check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      blrs = List.copyOf(blrs);
      Checks.check(!blrs.isEmpty(), "blrs must hold at least one base learning rate");
      Set<Double> seen = new HashSet<>();
      for (double blr : blrs) {
        Checks.check(blr > 0 && Double.isFinite(blr), "blr (%s) must be positive", blr);
        Checks.check(seen.add(blr), "blr (%s) is listed twice", blr);
      }
      Checks.check(
          heldOutFraction > 0 && heldOutFraction < 1,
          "heldOutFraction (%s) must be in (0, 1)",
          heldOutFraction);
      Checks.check(weightDecay >= 0, "weightDecay (%s) must be non-negative", weightDecay);
      Checks.check(warmupEpochs >= 0, "warmupEpochs (%s) must be non-negative", warmupEpochs);
      Checks.check(
          device == null || Device.Type.CPU.equals(device.getDeviceType()),
          "device (%s) must be the CPU: the linear probe computes on the host (give the GPU to"
              + " the encoder that extracts the features)",
          device);
    }
  }

  /**
   * What the probe achieved; with several rates, what the selected one did.
   *
   * @param top1 validation top-1 accuracy in percent
   * @param top5 validation top-5 accuracy in percent
   * @param trainLoss mean cross-entropy of the last epoch
   * @param head the trained BatchNorm statistics and linear layer
   * @param blr the base learning rate of {@code head} (with several, the selected one)
   * @param sweep with several rates, each one in the order given; empty with one
   * @param heldOutImages the training images held out to select the rate (0 with one rate)
   */
  public record Result(
      double top1,
      double top5,
      double trainLoss,
      Head head,
      double blr,
      List<Rate> sweep,
      int heldOutImages) {
    /**
     * Copies the sweep.
     *
     * @param top1 validation top-1 accuracy in percent
     * @param top5 validation top-5 accuracy in percent
     * @param trainLoss mean cross-entropy of the last epoch
     * @param head the trained BatchNorm statistics and linear layer
     * @param blr the base learning rate of {@code head}
     * @param sweep each rate of a sweep, or empty
     * @param heldOutImages the training images held out to select the rate
     */
    public Result {
      sweep = List.copyOf(sweep);
    }
  }

  /**
   * One rate of a sweep.
   *
   * @param blr the base learning rate
   * @param heldOutTop1 top-1 in percent on the training images held out, which selects the rate
   * @param heldOutTop5 top-5 in percent on the training images held out
   * @param top1 validation top-1 in percent (reported; selects nothing)
   * @param top5 validation top-5 in percent
   * @param trainLoss mean cross-entropy of the last epoch
   */
  public record Rate(
      double blr,
      double heldOutTop1,
      double heldOutTop5,
      double top1,
      double top5,
      double trainLoss) {}

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

  /**
   * Builds a {@link SaimLinearProbe}; validation happens in {@link #build()}. The settings it
   * shares with the attentive probe ({@code epochs}, {@code batchSize}, {@code weightDecay}, {@code
   * warmupEpochs}, {@code seed}, {@code device}) are {@link ProbeBuilder}'s; here: epochs 90 (the
   * paper's), batch 256 (the paper: 2048), LARS weight decay 0 (the paper's), no warm-up (SAIM.md),
   * the CPU only.
   */
  public static final class Builder extends ProbeBuilder<Builder> {
    private List<Double> blrs = List.of(0.1);
    private double heldOutFraction = 0.1;

    private Builder() {
      super(0);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * The base learning rate: the peak is {@code blr * batch / 256} (the paper: 0.1).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder blr(double v) {
      blrs = List.of(v);
      return this;
    }

    /**
     * Several base learning rates, swept in one pass ({@link SaimLinearProbe}); replaces {@link
     * #blr}. DINOv2 sweeps 13, from 1e-5 to 0.1 at its batch.
     *
     * @param v the values, checked by {@link #build()}
     * @return this builder
     */
    public Builder blrs(double... v) {
      List<Double> l = new ArrayList<>();
      for (double x : v) {
        l.add(x);
      }
      blrs = l;
      return this;
    }

    /**
     * The share of the training features held out to select a rate when several are swept (default
     * 0.1); with one rate nothing is held out.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder heldOutFraction(double v) {
      heldOutFraction = v;
      return this;
    }

    /**
     * Validates and builds; the builder is left as it was.
     *
     * @return the probe
     * @throws IllegalArgumentException naming the first invalid value
     */
    public SaimLinearProbe build() {
      return new SaimLinearProbe(
          new Spec(
              epochs, batchSize, blrs, weightDecay, warmupEpochs, seed, heldOutFraction, device));
    }
  }
}
