package io.github.saimjava.api;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The AdamW settings and learning-rate schedule that pre-training ({@link
 * SaimTrainer.Spec#optimizer()}) and fine-tuning share: the peak rate {@code blr * effective batch
 * / 256} (or an absolute {@code lr}), a linear warm-up over {@code warmupEpochs}, a half-cycle
 * cosine down to {@code minLr}, decoupled weight decay, the moment decay rates and optional
 * clipping of the gradients' global norm. The peak-rate rule is written here only: {@link
 * #peakLr(double, int)}.
 *
 * @param blr base learning rate, per 256 images
 * @param lr absolute peak learning rate instead of the blr rule, or null for the rule
 * @param minLr the learning rate the cosine ends at
 * @param warmupEpochs epochs of linear warm-up
 * @param weightDecay AdamW's weight decay
 * @param beta1 AdamW's first-moment decay rate
 * @param beta2 AdamW's second-moment decay rate
 * @param clipGrad the maximum global gradient norm, or null for no clipping
 */
public record OptimizerSettings(
    double blr,
    @Nullable Double lr,
    double minLr,
    double warmupEpochs,
    double weightDecay,
    double beta1,
    double beta2,
    @Nullable Double clipGrad) {
  /**
   * Checks the values; each message names the setting and its value. {@code minLr} and {@code
   * warmupEpochs} are checked by the run they schedule, against its peak rate and its epochs, with
   * that run's wording.
   *
   * @param blr base learning rate, per 256 images
   * @param lr absolute peak learning rate, or null for the blr rule
   * @param minLr the learning rate the cosine ends at
   * @param warmupEpochs epochs of linear warm-up
   * @param weightDecay AdamW's weight decay
   * @param beta1 AdamW's first-moment decay rate
   * @param beta2 AdamW's second-moment decay rate
   * @param clipGrad the maximum global gradient norm, or null for no clipping
   */
  public OptimizerSettings {
    Checks.check(blr > 0 && Double.isFinite(blr), "blr (%s) must be positive", blr);
    Checks.check(lr == null || (lr > 0 && Double.isFinite(lr)), "lr (%s) must be positive", lr);
    Checks.check(weightDecay >= 0, "weightDecay (%s) must be non-negative", weightDecay);
    Checks.check(
        beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
        "beta1 (%s) and beta2 (%s) must be in [0, 1)",
        beta1,
        beta2);
    Checks.check(clipGrad == null || clipGrad > 0, "clipGrad (%s) must be positive", clipGrad);
  }

  /**
   * The peak learning rate for a batch.
   *
   * @param effectiveBatchSize images per optimiser step
   * @return {@link #lr} when set, else {@code blr * effectiveBatchSize / 256}
   */
  public double peakLr(int effectiveBatchSize) {
    return lr != null ? lr : peakLr(blr, effectiveBatchSize);
  }

  /**
   * The linear scaling rule, the one place it is written: the peak learning rate of a base rate for
   * a batch, as pre-training, fine-tuning and the probes all use it.
   *
   * @param blr base learning rate, per 256 images
   * @param effectiveBatchSize images per optimiser step
   * @return {@code blr * effectiveBatchSize / 256}, computed in that order in double precision
   */
  public static double peakLr(double blr, int effectiveBatchSize) {
    return blr * effectiveBatchSize / 256.0;
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "blr %s, lr %s, minLr %s, warmupEpochs %s, weightDecay %s, betas (%s, %s), "
            + "clipGrad %s",
        blr,
        lr,
        minLr,
        warmupEpochs,
        weightDecay,
        beta1,
        beta2,
        clipGrad);
  }
}
