package io.github.saimjava.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The settings pre-training ({@link SaimTrainer.Builder}) and fine-tuning ({@link
 * SaimFineTuner.Builder}) share, set the same way on both: those of {@link FitBuilder} (the
 * schedule's length, the batch, the weight decay, the seed), the accumulation, the optimiser's
 * other settings (checked by {@link OptimizerSettings}, the blr / lr pair here), the threads, the
 * number format, the output folder, resumption and the step listeners. The defaults are each
 * builder's own, given with each setter.
 *
 * @param <B> the builder, which every setter returns
 */
public abstract class TrainingBuilder<B extends TrainingBuilder<B>> extends FitBuilder<B> {
  int accumIter = 1;
  double blr;
  boolean blrSet;
  @Nullable Double lr;
  double minLr;
  @Nullable Double warmupEpochs;
  @Nullable Double clipGrad;
  int threads = Runtime.getRuntime().availableProcessors();
  Precision precision = Precision.FP32;
  int loaderThreads;
  Path outputDir;
  @Nullable Path resume;
  boolean autoResume = true;
  final List<StepListener> stepListeners = new ArrayList<>();

  TrainingBuilder(int epochs, double blr, double minLr, int loaderThreads, Path outputDir) {
    super(epochs, 64, 0.05);
    this.blr = blr;
    this.minLr = minLr;
    this.loaderThreads = loaderThreads;
    this.outputDir = outputDir;
  }

  /**
   * Micro-batches whose gradients add up to one optimiser step (default 1): the effective batch is
   * the batch size times this.
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B accumIter(int v) {
    accumIter = v;
    return self();
  }

  /**
   * The base learning rate: the peak is {@code blr * effective batch / 256} ({@link
   * OptimizerSettings#peakLr}). Default: 2e-4 for pre-training; for fine-tuning the reference's
   * 1e-3 (the paper's ViT-B: 5e-4). Give this or {@link #lr}, not both.
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B blr(double v) {
    blr = v;
    blrSet = true;
    return self();
  }

  /**
   * An absolute peak learning rate instead of the blr rule; null (the default) for the rule. Give
   * this or {@link #blr}, not both.
   *
   * @param v the value, or null
   * @return this builder
   */
  public B lr(@Nullable Double v) {
    lr = v;
    return self();
  }

  /**
   * The learning rate the half-cycle cosine ends at (pre-training's default 0; fine-tuning's the
   * reference's 1e-6, and at most the peak).
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B minLr(double v) {
    minLr = v;
    return self();
  }

  /**
   * The epochs of linear learning-rate warm-up, at most {@link #epochs}. Unset, it is 0 for
   * pre-training, and for fine-tuning the reference's 5 epochs or the whole run when that is
   * shorter (the paper's ViT-B: 20), so the defaults hold for any number of epochs.
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B warmupEpochs(double v) {
    warmupEpochs = v;
    return self();
  }

  /**
   * {@link #warmupEpochs(double)} from a whole number of epochs (for Kotlin, which does not widen
   * an {@code Int} to a {@code Double}).
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B warmupEpochs(int v) {
    return warmupEpochs((double) v);
  }

  /**
   * Clip the global gradient norm to {@code v}; null (the default, the reference's) disables
   * clipping.
   *
   * @param v the value, or null
   * @return this builder
   */
  public B clipGrad(@Nullable Double v) {
    clipGrad = v;
    return self();
  }

  /**
   * The number of engine (intra-op) threads (default: all cores).
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B threads(int v) {
    threads = v;
    return self();
  }

  /**
   * The number format of the model's matrix multiplies: {@link Precision#FP32} (the default) or
   * {@link Precision#BF16}, which runs the activations in bfloat16, for speed on GPUs and CPUs with
   * fast bfloat16 arithmetic. Master weights and optimiser state (and fine-tuning's head and loss)
   * stay float32, so the saved models are float32 either way. Part of the run's identity: a
   * fine-tuning checkpoint resumes only in its own precision.
   *
   * @param v the value
   * @return this builder
   */
  public B precision(Precision v) {
    precision = Objects.requireNonNull(v, "precision");
    return self();
  }

  /**
   * The number of background threads decoding and augmenting images ahead of the step:
   * pre-training's default 1 (at least 1); fine-tuning's 2, where 0 decodes on the training thread.
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B loaderThreads(int v) {
    loaderThreads = v;
    return self();
  }

  /**
   * The folder the run writes its configuration, metrics, checkpoint and weights to.
   *
   * @param v the folder
   * @return this builder
   */
  public B outputDir(Path v) {
    outputDir = Objects.requireNonNull(v, "outputDir");
    return self();
  }

  /**
   * Resume from this checkpoint file (or a folder holding one); null (the default): see {@link
   * #autoResume}.
   *
   * @param v the checkpoint, or null
   * @return this builder
   */
  public B resume(@Nullable Path v) {
    resume = v;
    return self();
  }

  /**
   * Whether a checkpoint found in the output folder is resumed automatically (default true).
   *
   * @param v the value
   * @return this builder
   */
  public B autoResume(boolean v) {
    autoResume = v;
    return self();
  }

  /**
   * Adds a listener called after every optimiser step, on the training thread.
   *
   * @param l the listener
   * @return this builder
   */
  public B onStep(StepListener l) {
    stepListeners.add(Objects.requireNonNull(l, "listener"));
    return self();
  }

  /**
   * The optimiser's settings, the one place the blr / lr pair is checked; {@link OptimizerSettings}
   * checks the rest.
   *
   * @param warmup the warm-up epochs, defaults resolved
   * @param beta1 AdamW's first-moment decay rate
   * @param beta2 AdamW's second-moment decay rate
   * @return the settings
   */
  OptimizerSettings optimizer(double warmup, double beta1, double beta2) {
    Checks.check(
        !blrSet || lr == null,
        "blr (%s) and lr (%s) are both set: give one of them (lr replaces the blr rule)",
        blr,
        lr);
    return new OptimizerSettings(blr, lr, minLr, warmup, weightDecay, beta1, beta2, clipGrad);
  }

  /**
   * Takes over what {@code toBuilder()} copies of the shared settings.
   *
   * @param s the settings of a built trainer or fine-tuner
   */
  void copy(TrainingSpec s) {
    OptimizerSettings o = s.optimizer();
    this.blr = o.blr();
    this.lr = o.lr();
    this.minLr = o.minLr();
    this.warmupEpochs = o.warmupEpochs();
    this.weightDecay = o.weightDecay();
    this.clipGrad = o.clipGrad();
    this.epochs = s.epochs();
    this.batchSize = s.batchSize();
    this.accumIter = s.accumIter();
    this.seed = s.seed();
    this.threads = s.threads();
    this.precision = s.precision();
    this.loaderThreads = s.loaderThreads();
    this.outputDir = s.outputDir();
    this.resume = s.resume();
    this.autoResume = s.autoResume();
    this.stepListeners.addAll(s.stepListeners());
  }
}
