package io.github.saimjava.downstream;

import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.EvaluationListener;
import io.github.saimjava.api.OptimizerSettings;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.StepListener;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.Mixup;
import io.github.saimjava.data.RandAugment;
import io.github.saimjava.train.RunFolder;
import io.github.saimjava.train.TrainingDivergedException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;
import org.jspecify.annotations.Nullable;

/**
 * Fine-tuning of a pre-trained encoder for classification with the paper's protocol (the
 * reference's {@code main_finetune.py}): a {@link VitClassifier} (global pool + {@code fc_norm} or
 * class token, new linear head), AdamW with {@link LayerDecay layer-wise learning-rate decay} and
 * the fine-tuning no-decay rule, {@code lr = blr * effective batch / 256} with a per-iteration
 * linear warm-up and half-cycle cosine to {@code min_lr}, stochastic depth, soft-target
 * cross-entropy with label smoothing, mixup / CutMix ({@link Mixup}), RandAugment ({@link
 * RandAugment}), random erasing ({@link io.github.saimjava.data.RandomErasing}), evaluation (top-1
 * / top-5) after every epoch, the best epoch's weights kept.
 *
 * <p>Internal: programs use the API's {@code SaimFineTuner}, which the provider runs through this
 * class. The builder validates and copies its settings into the immutable {@code FineTuner}; {@link
 * FineTuneLoop} runs them, {@link FineTuneCheckpoint} holds the run's state and files, {@link
 * Evaluation} scores a classifier.
 *
 * <p>Files in the output folder: {@code config.json}; {@code metrics.jsonl}, one line per epoch;
 * {@code checkpoint.safetensors} (weights, AdamW moments and the run's state after the last
 * finished epoch: the run resumes from it); {@code best.safetensors} (the weights of the epoch with
 * the best top-1, loadable by {@code SaimEncoder}); {@code metrics.json} (best and final
 * accuracies). Every write is atomic. Everything random is a pure function of the seed and the
 * position in the run, so a resumed run repeats exactly what the uninterrupted one would have done.
 *
 * <pre>{@code
 * FineTuner.Result r = FineTuner.builder()
 *     .checkpoint(Path.of("runs/pretrain/final.safetensors"))
 *     .data(train, val)
 *     .epochs(10).batchSize(64).blr(5e-4).layerDecay(0.65)
 *     .outputDir(Path.of("runs/finetune"))
 *     .build()
 *     .run();
 * System.out.println(r.bestTop1());
 * }</pre>
 */
public final class FineTuner {
  /** The resumable checkpoint's file name. */
  public static final String CHECKPOINT = "checkpoint.safetensors";

  /** The best epoch's weights. */
  public static final String BEST = "best.safetensors";

  /** One JSON line per epoch. */
  public static final String METRICS = RunFolder.METRICS;

  /** Best and final accuracies. */
  public static final String SUMMARY = "metrics.json";

  /** The run's settings. */
  public static final String CONFIG = RunFolder.CONFIG;

  // the validated settings, copied from the builder (see its setters for their meaning)
  final @Nullable Path checkpoint;
  final @Nullable String zoo;
  final @Nullable SaimConfig config;
  final ImageDataset train;
  final ImageDataset val;
  final @Nullable String dataName;

  /** The number of classes: the builder's, else the larger of the datasets' counts. */
  final int numClasses;

  final int epochs;
  final int batchSize;
  final int accumIter;

  /** AdamW (betas 0.9, 0.999, as the reference's fine-tuning) and the schedule. */
  final OptimizerSettings optimizer;

  /** The peak learning rate: the builder's lr when given, else blr * effective batch / 256. */
  final double peakLr;

  final double layerDecay;
  final double dropPath;
  final double smoothing;
  final double mixup;
  final double cutmix;
  final double @Nullable [] cutmixMinMax;
  final double mixupProb;
  final double mixupSwitchProb;
  final double reprob;
  final String autoAugment;
  final Augmentation augmentation;
  final boolean globalPool;
  final long seed;
  final int threads;
  final Precision precision;
  final int loaderThreads;
  final Path outputDir;
  final @Nullable Path resume;
  final boolean autoResume;
  final boolean evalOnly;
  final int stopAfterEpochs;
  final List<StepListener> stepListeners;
  final List<EvaluationListener> evaluationListeners;

  private FineTuner(Builder b, int classes) {
    checkpoint = b.checkpoint;
    zoo = b.zoo;
    config = b.config;
    train = Objects.requireNonNull(b.train);
    val = Objects.requireNonNull(b.val);
    dataName = b.dataName;
    numClasses = classes;
    epochs = b.epochs;
    batchSize = b.batchSize;
    accumIter = b.accumIter;
    optimizer =
        new OptimizerSettings(
            b.blr, b.lr, b.minLr, b.warmupEpochs, b.weightDecay, 0.9, 0.999, b.clipGrad);
    peakLr = optimizer.peakLr(b.effectiveBatchSize());
    layerDecay = b.layerDecay;
    dropPath = b.dropPath;
    smoothing = b.smoothing;
    mixup = b.mixup;
    cutmix = b.cutmix;
    cutmixMinMax = b.cutmixMinMax == null ? null : b.cutmixMinMax.clone();
    mixupProb = b.mixupProb;
    mixupSwitchProb = b.mixupSwitchProb;
    reprob = b.reprob;
    autoAugment = b.autoAugment;
    augmentation = b.augmentation;
    globalPool = b.globalPool;
    seed = b.seed;
    threads = b.threads;
    precision = b.precision;
    loaderThreads = b.loaderThreads;
    outputDir = Objects.requireNonNull(b.outputDir);
    resume = b.resume;
    autoResume = b.autoResume;
    evalOnly = b.evalOnly;
    stopAfterEpochs = b.stopAfterEpochs;
    stepListeners = List.copyOf(b.stepListeners);
    evaluationListeners = List.copyOf(b.evaluationListeners);
  }

  /** A builder with the reference script's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * What a fine-tuning run achieved.
   *
   * @param bestTop1 the best epoch's top-1 accuracy in percent
   * @param bestTop5 that epoch's top-5 accuracy in percent
   * @param bestEpoch the best epoch (0-based), -1 when no epoch ran (evaluation only)
   * @param finalTop1 the last epoch's top-1 accuracy in percent
   * @param finalTop5 the last epoch's top-5 accuracy in percent
   * @param finalTrainLoss the last epoch's mean training loss; empty when no epoch ran (evaluation
   *     only)
   * @param epochs epochs done in total (including those before a resume)
   * @param steps optimiser steps done in total
   * @param resumedFromEpoch the epoch this invocation started at (0 for a fresh run)
   * @param bestWeights the best epoch's weights ({@code best.safetensors}), null when evaluating
   *     only
   * @param seconds wall time of this invocation
   * @param notes how the initial weights were loaded (what was ignored or newly initialised)
   */
  public record Result(
      double bestTop1,
      double bestTop5,
      int bestEpoch,
      double finalTop1,
      double finalTop5,
      OptionalDouble finalTrainLoss,
      int epochs,
      long steps,
      int resumedFromEpoch,
      @Nullable Path bestWeights,
      double seconds,
      List<String> notes) {}

  /**
   * Settings of a fine-tuning run; defaults are those of the reference's {@code main_finetune.py}.
   */
  public static final class Builder {
    private @Nullable Path checkpoint;
    private @Nullable String zoo;
    private @Nullable SaimConfig config;
    private @Nullable ImageDataset train;
    private @Nullable ImageDataset val;
    private @Nullable String dataName;
    private int numClasses;
    private int epochs = 100;
    private int batchSize = 64;
    private int accumIter = 1;
    private double blr = 1e-3;
    private boolean blrSet;
    private @Nullable Double lr;
    private double minLr = 1e-6;
    private double warmupEpochs = 5;
    private double weightDecay = 0.05;
    private double layerDecay = 0.75;
    private double dropPath = 0.1;
    private @Nullable Double clipGrad;
    private double smoothing = 0.1;
    private double mixup;
    private double cutmix;
    private double @Nullable [] cutmixMinMax;
    private double mixupProb = 1.0;
    private double mixupSwitchProb = 0.5;
    private double reprob = 0.25;
    private String autoAugment = "rand-m9-mstd0.5-inc1";
    private Augmentation augmentation = Augmentation.RANDOM_RESIZED_CROP;
    private boolean globalPool = true;
    private long seed;
    private int threads = Runtime.getRuntime().availableProcessors();
    private Precision precision = Precision.FP32;
    private int loaderThreads = 2;
    private @Nullable Path outputDir;
    private @Nullable Path resume;
    private boolean autoResume = true;
    private boolean evalOnly;
    private int stopAfterEpochs;
    private final List<StepListener> stepListeners = new ArrayList<>();
    private final List<EvaluationListener> evaluationListeners = new ArrayList<>();

    private Builder() {}

    /**
     * Initial weights: our {@code final.safetensors} or checkpoint, or a reference {@code .pth}
     * (its {@code model} entry).
     */
    public Builder checkpoint(@Nullable Path v) {
      checkpoint = v;
      return this;
    }

    /** Initial weights from the model zoo by name (needs saim-zoo on the class path). */
    public Builder zoo(@Nullable String name) {
      zoo = name;
      return this;
    }

    /**
     * The architecture: required for random initialisation (no checkpoint, no zoo name) and for a
     * reference {@code .pth}; our checkpoints carry their own, and a zoo model brings its own
     * (giving both is refused).
     */
    public Builder config(@Nullable SaimConfig v) {
      config = v;
      return this;
    }

    /** Labelled training and validation images. */
    public Builder data(ImageDataset trainSet, ImageDataset valSet) {
      train = trainSet;
      val = valSet;
      return this;
    }

    /** What the data is called in {@code config.json} (default: the datasets' names). */
    public Builder dataName(@Nullable String v) {
      dataName = v;
      return this;
    }

    /** Number of classes (default 0: the larger of the two datasets' class counts). */
    public Builder numClasses(int v) {
      numClasses = v;
      return this;
    }

    /** Epochs (reference: 100). */
    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    /** Images per micro-batch (reference: 64 per GPU). */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /** Micro-batches per optimiser step. */
    public Builder accumIter(int v) {
      accumIter = v;
      return this;
    }

    /**
     * Base learning rate: lr = blr * effective batch / 256 (reference: 1e-3; the paper's ViT-B:
     * 5e-4). Give this or {@link #lr}, not both.
     */
    public Builder blr(double v) {
      blr = v;
      blrSet = true;
      return this;
    }

    /**
     * Absolute peak learning rate instead of the {@link #blr} rule; null (the default) for the
     * rule.
     */
    public Builder lr(@Nullable Double v) {
      lr = v;
      return this;
    }

    /** Learning rate the cosine ends at (reference: 1e-6). */
    public Builder minLr(double v) {
      minLr = v;
      return this;
    }

    /** Linear warm-up epochs (reference: 5; the paper's ViT-B: 20). */
    public Builder warmupEpochs(double v) {
      warmupEpochs = v;
      return this;
    }

    /** AdamW weight decay (reference: 0.05). */
    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    /**
     * Layer-wise learning-rate decay factor (reference: 0.75; the paper's ViT-B: 0.65); 1 disables
     * it.
     */
    public Builder layerDecay(double v) {
      layerDecay = v;
      return this;
    }

    /** Stochastic-depth rate of the last block (reference: 0.1). */
    public Builder dropPath(double v) {
      dropPath = v;
      return this;
    }

    /**
     * Clip the gradients' global norm to this value; null for no clipping (the reference's
     * default).
     */
    public Builder clipGrad(@Nullable Double v) {
      clipGrad = v;
      return this;
    }

    /** Label smoothing (reference: 0.1). */
    public Builder smoothing(double v) {
      smoothing = v;
      return this;
    }

    /** Mixup alpha, 0 disables (reference: 0; the paper: 0.8). */
    public Builder mixup(double v) {
      mixup = v;
      return this;
    }

    /** CutMix alpha, 0 disables (reference: 0; the paper: 1.0). */
    public Builder cutmix(double v) {
      cutmix = v;
      return this;
    }

    /** CutMix box side fractions {@code {min, max}}, overriding the alpha; null for none. */
    public Builder cutmixMinMax(double @Nullable [] v) {
      cutmixMinMax = v == null ? null : v.clone();
      return this;
    }

    /** Probability of mixing a batch when mixup or CutMix is on (reference: 1). */
    public Builder mixupProb(double v) {
      mixupProb = v;
      return this;
    }

    /** Probability of CutMix instead of mixup when both are on (reference: 0.5). */
    public Builder mixupSwitchProb(double v) {
      mixupSwitchProb = v;
      return this;
    }

    /**
     * RandAugment policy {@code rand-m<M>[-n<N>][-mstd<S>][-inc<0|1>]}, or {@code none} (reference:
     * rand-m9-mstd0.5-inc1).
     */
    public Builder autoAugment(String v) {
      autoAugment = Objects.requireNonNull(v);
      return this;
    }

    /** Random-erasing probability (reference: 0.25). */
    public Builder reprob(double v) {
      reprob = v;
      return this;
    }

    /**
     * The geometric augmentation: RandomResizedCrop with timm's scale (0.08, 1) and a flip (the
     * reference), or, for small images, centred padding and a flip.
     */
    public Builder augmentation(Augmentation v) {
      augmentation = v;
      return this;
    }

    /** Mean of patch tokens + fc_norm (true, the reference's default) or class token + norm. */
    public Builder globalPool(boolean v) {
      globalPool = v;
      return this;
    }

    /**
     * Seed of everything random: data order, augmentation, mixup, stochastic depth, head and random
     * init.
     */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** Engine intra-op threads (default: all cores). */
    public Builder threads(int v) {
      threads = v;
      return this;
    }

    /**
     * The number format of the encoder's matrix multiplies (default float32); the weights, the
     * optimiser, the head and the loss stay float32 either way.
     */
    public Builder precision(Precision v) {
      precision = Objects.requireNonNull(v, "precision");
      return this;
    }

    /** Background threads decoding and augmenting images. */
    public Builder loaderThreads(int v) {
      loaderThreads = v;
      return this;
    }

    /** Where the files go (required). */
    public Builder outputDir(Path v) {
      outputDir = v;
      return this;
    }

    /** Resume from this checkpoint (or folder holding one); null: see {@link #autoResume}. */
    public Builder resume(@Nullable Path v) {
      resume = v;
      return this;
    }

    /** Resume from the output folder's checkpoint when there is one (default: true). */
    public Builder autoResume(boolean v) {
      autoResume = v;
      return this;
    }

    /**
     * Only evaluate the {@link #checkpoint} (a fine-tuned model with its head) on the validation
     * set.
     */
    public Builder evalOnly(boolean v) {
      evalOnly = v;
      return this;
    }

    /**
     * Stop (with a checkpoint) once this many epochs are done, as if killed there; 0 for no limit.
     * Not part of the run's identity: a later run with the limit lifted resumes and finishes it.
     */
    public Builder stopAfterEpochs(int v) {
      stopAfterEpochs = v;
      return this;
    }

    /** Called after every optimiser step. */
    public Builder onStep(StepListener l) {
      stepListeners.add(Objects.requireNonNull(l));
      return this;
    }

    /** Called after every epoch's evaluation, on the training thread. */
    public Builder onEvaluation(EvaluationListener l) {
      evaluationListeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    /** The effective batch: batch size x accumulation. */
    public int effectiveBatchSize() {
      return batchSize * accumIter;
    }

    /** The peak learning rate: {@link #lr} when given, else blr * effective batch / 256. */
    public double peakLr() {
      return lr == null ? blr * effectiveBatchSize() / 256.0 : lr;
    }

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the first setting out of range
     */
    public FineTuner build() {
      int sources = (checkpoint != null ? 1 : 0) + (zoo != null ? 1 : 0);
      check(
          sources <= 1,
          "zoo (%s) and checkpoint (%s): give one of them, not both",
          zoo,
          checkpoint);
      check(
          zoo == null || config == null,
          "a zoo model (%s) brings its own architecture: give no config",
          zoo);
      check(
          sources == 1 || config != null,
          "fine-tuning needs a checkpoint, a zoo name or a config (for random initialisation)");
      check(
          !evalOnly || checkpoint != null,
          "evalOnly needs a fine-tuned checkpoint (with its head)");
      check(train != null && val != null, "fine-tuning needs training and validation data");
      check(outputDir != null, "fine-tuning needs an outputDir");
      check(epochs > 0, "epochs (%s) must be positive", epochs);
      check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      check(accumIter > 0, "accumIter (%s) must be positive", accumIter);
      check(blr > 0 && Double.isFinite(blr), "blr (%s) must be positive", blr);
      check(lr == null || (lr > 0 && Double.isFinite(lr)), "lr (%s) must be positive", lr);
      check(
          !blrSet || lr == null,
          "blr (%s) and lr (%s) are both set: give one of them (lr replaces the blr rule)",
          blr,
          lr);
      check(
          minLr >= 0 && minLr <= peakLr(),
          "minLr (%s) must be in [0, peak lr (%s)]",
          minLr,
          peakLr());
      check(
          warmupEpochs >= 0 && warmupEpochs <= epochs,
          "warmupEpochs (%s) must be in [0, epochs (%s)]",
          warmupEpochs,
          epochs);
      check(weightDecay >= 0, "weightDecay (%s) must be non-negative", weightDecay);
      check(layerDecay > 0 && layerDecay <= 1, "layerDecay (%s) must be in (0, 1]", layerDecay);
      check(dropPath >= 0 && dropPath < 1, "dropPath (%s) must be in [0, 1)", dropPath);
      check(clipGrad == null || clipGrad > 0, "clipGrad (%s) must be positive", clipGrad);
      check(reprob >= 0 && reprob <= 1, "reprob (%s) must be in [0, 1]", reprob);
      check(threads > 0, "threads (%s) must be positive", threads);
      check(loaderThreads >= 0, "loaderThreads (%s) must be non-negative", loaderThreads);
      RandAugment.parse(autoAugment); // names the part it cannot read
      check(stopAfterEpochs >= 0, "stopAfterEpochs (%s) must be non-negative", stopAfterEpochs);
      int k = classes();
      check(
          k >= 2,
          "fine-tuning needs labelled data with at least 2 classes; %s has %s",
          Objects.requireNonNull(train).describe(),
          train.numClasses());
      Mixup m = mixupOf(k); // validates its settings
      check(
          !m.active() || batchSize % 2 == 0,
          "mixup and cutmix need an even batchSize, got %s",
          batchSize);
      return new FineTuner(this, k);
    }

    private int classes() {
      return numClasses > 0
          ? numClasses
          : Math.max(
              Objects.requireNonNull(train).numClasses(), Objects.requireNonNull(val).numClasses());
    }

    private Mixup mixupOf(int k) {
      return new Mixup(mixup, cutmix, cutmixMinMax, mixupProb, mixupSwitchProb, smoothing, k);
    }

    private static void check(boolean ok, String template, @Nullable Object... args) {
      if (!ok) {
        throw new IllegalArgumentException(String.format(Locale.ROOT, template, args));
      }
    }
  }

  /**
   * Runs (or resumes) fine-tuning to the end, or only evaluates when {@link Builder#evalOnly} is
   * set.
   *
   * @throws IllegalArgumentException for weights that do not fit, a checkpoint of another run, or
   *     images that cannot be decoded
   * @throws TrainingDivergedException when the loss stops being finite
   * @throws IOException when a file cannot be read or written
   */
  public Result run() throws IOException {
    return new FineTuneLoop(this).run();
  }

  /** The effective batch: batch size x accumulation. */
  int effectiveBatchSize() {
    return batchSize * accumIter;
  }

  /** Mixup / CutMix with these settings over {@link #numClasses} classes. */
  Mixup mixupOf() {
    return new Mixup(
        mixup, cutmix, cutmixMinMax, mixupProb, mixupSwitchProb, smoothing, numClasses);
  }
}
