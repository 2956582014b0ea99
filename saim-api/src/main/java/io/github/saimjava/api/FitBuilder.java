package io.github.saimjava.api;

/**
 * The settings every builder of something trained by a {@code fit} method shares, set the same way
 * on all: pre-training and fine-tuning ({@link TrainingBuilder}) and the two trained probes ({@link
 * ProbeBuilder}). The defaults are each builder's own, given with each setter; each {@code Spec}
 * checks the values, naming the setting and its value.
 *
 * @param <B> the builder, which every setter returns
 */
public abstract class FitBuilder<B extends FitBuilder<B>> {
  int epochs;
  int batchSize;
  double weightDecay;
  long seed;

  FitBuilder(int epochs, int batchSize, double weightDecay) {
    this.epochs = epochs;
    this.batchSize = batchSize;
    this.weightDecay = weightDecay;
  }

  /** {@return this builder, as its own type} */
  abstract B self();

  /**
   * The number of epochs: for pre-training and fine-tuning, the length the learning-rate schedule
   * is laid out over (pre-training's default 1; fine-tuning's the reference's 100); for the probes,
   * the training epochs (default 90, the paper's for the linear probe).
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B epochs(int v) {
    epochs = v;
    return self();
  }

  /**
   * Images per micro-batch for pre-training and fine-tuning (default 64; fine-tuning's reference:
   * 64 per GPU). Pre-training splits them over all its devices and ranks together, so the batch
   * must be a multiple of their number. Images per step for the probes (default 256; the paper's
   * linear probe: 2048), fewer when the training set is smaller.
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B batchSize(int v) {
    batchSize = v;
    return self();
  }

  /**
   * The weight decay: AdamW's, decoupled, for pre-training and fine-tuning (default 0.05, the
   * reference's for both) and for the attentive probe (default 0.05), none of them decaying 1-D
   * parameters; LARS's for the linear probe (default 0, the paper's).
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B weightDecay(double v) {
    weightDecay = v;
    return self();
  }

  /**
   * The seed of everything random: for pre-training and fine-tuning the initialisation, the data
   * order and the augmentation, with pre-training's permutations and fine-tuning's mixup,
   * stochastic depth and head; for the probes the shuffling and the initialisation, with the linear
   * probe's held-out split.
   *
   * @param v the value
   * @return this builder
   */
  public B seed(long v) {
    seed = v;
    return self();
  }
}
