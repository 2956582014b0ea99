package io.github.saimjava.api;

import ai.djl.Device;
import io.github.saimjava.api.spi.SaimProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import org.jspecify.annotations.Nullable;

/**
 * Fine-tuning of a pre-trained encoder for classification with the paper's protocol (the
 * reference's {@code main_finetune.py}): the encoder, a global pool with {@code fc_norm} (or the
 * class token) and a new linear head; AdamW with layer-wise learning-rate decay and the fine-tuning
 * no-decay rule; the peak rate {@code blr * effective batch / 256} with a per-iteration linear
 * warm-up and half-cycle cosine to {@code minLr}; stochastic depth, label smoothing, mixup /
 * CutMix, RandAugment and random erasing; evaluation (top-1 / top-5) after every epoch, the best
 * epoch's weights kept.
 *
 * <p>Build one with {@link #builder()}, then call {@link #fit()}. The defaults are the reference
 * script's. The output folder receives {@code config.json}; {@code metrics.jsonl}, one line per
 * epoch; {@code checkpoint.safetensors} (weights, AdamW moments and the run's state after the last
 * finished epoch: the run resumes from it); {@code best.safetensors} (the weights of the epoch with
 * the best top-1, loadable by {@link SaimEncoder} and {@link SaimClassifier}); {@code metrics.json}
 * (best and final accuracies). Every write is atomic, and a resumed run repeats exactly what the
 * uninterrupted one would have done.
 *
 * <pre>{@code
 * SaimFineTuner.Result r = SaimFineTuner.builder()
 *     .checkpoint(Path.of("runs/pretrain/final.safetensors"))
 *     .data(Path.of("data/imagenette"))
 *     .epochs(10).batchSize(64).blr(5e-4).layerDecay(0.65)
 *     .outputDir(Path.of("runs/finetune"))
 *     .onEvaluation(e -> System.out.println(e.epoch() + " " + e.top1()))
 *     .build()
 *     .fit();
 * System.out.println(r.bestTop1());
 * }</pre>
 */
public final class SaimFineTuner {
  /** The resumable checkpoint's file name in the output folder. */
  public static final String CHECKPOINT = "checkpoint.safetensors";

  /** The file name of the best epoch's weights in the output folder. */
  public static final String BEST = "best.safetensors";

  /** The file name of the best and final accuracies in the output folder. */
  public static final String SUMMARY = "metrics.json";

  private final Spec spec;

  private SaimFineTuner(Spec spec) {
    this.spec = spec;
  }

  /** {@return a builder with the reference script's defaults} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding these settings, to vary some of them; this fine-tuner is not changed. Every
   * value is set, the warm-up included: a shorter run from it needs a shorter warm-up too.
   *
   * @return a new builder with every setting and listener of this fine-tuner
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    Spec s = spec;
    b.checkpoint = s.checkpoint();
    b.zoo = s.zoo();
    b.config = s.config();
    b.data = s.data();
    b.trainImages = s.trainImages();
    b.validationSplit = s.validationSplit();
    b.dataName = s.dataName();
    b.numClasses = s.numClasses();
    b.copy(s);
    b.layerDecay = s.layerDecay();
    b.dropPath = s.dropPath();
    b.smoothing = s.smoothing();
    b.mixup = s.mixup();
    b.cutmix = s.cutmix();
    b.mixupProb = s.mixupProb();
    b.mixupSwitchProb = s.mixupSwitchProb();
    b.cutmixMinMax = s.cutmixMinMax().isEmpty() ? null : s.cutmixMinMax();
    b.autoAugment = s.autoAugment();
    b.reprob = s.reprob();
    b.augmentation = s.augmentation();
    b.globalPool = s.globalPool();
    b.device = s.device();
    b.evalOnly = s.evalOnly();
    b.stopAfterEpochs = s.stopAfterEpochs();
    b.evaluationListeners.addAll(s.evaluationListeners());
    return b;
  }

  /** {@return the validated settings, as the implementation receives them} */
  public Spec spec() {
    return spec;
  }

  /**
   * {@return the peak learning rate: the absolute one if set, else {@code blr * effective batch /
   * 256}}
   */
  public double peakLr() {
    return spec.optimizer().peakLr(spec.batchSize() * spec.accumIter());
  }

  /**
   * Runs (or resumes) fine-tuning to the end, or only evaluates when {@link Builder#evalOnly} is
   * set.
   *
   * @return what the run achieved
   * @throws IllegalArgumentException for data or weights that do not fit, a checkpoint of another
   *     run, or images that cannot be decoded
   * @throws IllegalStateException when the loss stops being finite (the run diverged)
   * @throws IOException when a file cannot be read or written
   */
  public Result fit() throws IOException {
    return SaimProvider.load().fineTune(spec);
  }

  /**
   * Runs (or resumes) fine-tuning: the former name of {@link #fit()}, which the trainer and the
   * probes share.
   *
   * @return what the run achieved
   * @throws IOException when a file cannot be read or written
   * @deprecated use {@link #fit()}; this method will be removed
   */
  @Deprecated(forRemoval = true)
  public Result run() throws IOException {
    return fit();
  }

  /**
   * What a fine-tuning run achieved.
   *
   * @param bestTop1 the best epoch's top-1 accuracy in percent
   * @param bestTop5 that epoch's top-5 accuracy in percent
   * @param bestEpoch the best epoch (0-based), -1 when no epoch ran (evaluation only)
   * @param finalTop1 the last epoch's top-1 accuracy in percent
   * @param finalTop5 the last epoch's top-5 accuracy in percent
   * @param finalTrainLoss the last epoch's mean training loss; empty when no epoch ran
   * @param epochs epochs done in total (including those before a resume)
   * @param steps optimiser steps done in total
   * @param resumedFromEpoch the epoch this invocation started at (0 for a fresh run)
   * @param bestWeights the best epoch's weights ({@code best.safetensors}); empty when evaluating
   *     only
   * @param seconds wall-clock seconds of this invocation
   * @param notes how the initial weights were loaded (what was ignored or newly initialised)
   * @param trainImages the number of training images
   * @param valImages the number of validation images
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
      Optional<Path> bestWeights,
      double seconds,
      List<String> notes,
      int trainImages,
      int valImages) {
    /**
     * Copies the notes.
     *
     * @param bestTop1 see {@link #bestTop1()}
     * @param bestTop5 see {@link #bestTop5()}
     * @param bestEpoch see {@link #bestEpoch()}
     * @param finalTop1 see {@link #finalTop1()}
     * @param finalTop5 see {@link #finalTop5()}
     * @param finalTrainLoss see {@link #finalTrainLoss()}
     * @param epochs see {@link #epochs()}
     * @param steps see {@link #steps()}
     * @param resumedFromEpoch see {@link #resumedFromEpoch()}
     * @param bestWeights see {@link #bestWeights()}
     * @param seconds see {@link #seconds()}
     * @param notes see {@link #notes()}
     * @param trainImages see {@link #trainImages()}
     * @param valImages see {@link #valImages()}
     */
    public Result {
      notes = List.copyOf(notes);
    }
  }

  /**
   * What {@link Builder#build()} hands to the implementation: the builder's settings, validated and
   * immutable.
   *
   * @param checkpoint the initial weights: our {@code final.safetensors} or a checkpoint of ours,
   *     or a reference {@code .pth} (its {@code model} entry); null for a zoo model or a random
   *     initialisation
   * @param zoo the initial weights from the model zoo by name (needs saim-zoo at run time); null
   *     for none
   * @param config the architecture: needed for a random initialisation and for a reference {@code
   *     .pth}; our checkpoints carry their own, and a zoo model brings its own (giving both is
   *     refused); null to take the checkpoint's
   * @param data the labelled images: a folder holding {@code train/} and {@code val/} image folders
   *     (one sub-folder per class), or a folder holding an IDX pair ({@code
   *     train-images-idx3-ubyte[.gz]}, {@code t10k-images-idx3-ubyte[.gz]} and their labels); null
   *     for the embedded Fashion-MNIST subset
   * @param trainImages how many of the training images to use, the first ones; 0 for all
   * @param validationSplit how many of those training images, the last ones, to hold out and
   *     evaluate on every epoch in place of the validation images (to choose settings without
   *     reading the test set); 0 for none
   * @param dataName what the data is called in {@code config.json}; null for the data's own
   *     description
   * @param numClasses the number of classes; 0 for the larger of the two datasets' class counts
   * @param epochs the number of epochs (reference: 100)
   * @param batchSize the number of images per micro-batch (reference: 64 per GPU)
   * @param accumIter the number of micro-batches accumulated per optimiser step
   * @param optimizer the AdamW settings and schedule (betas 0.9 and 0.999, as the reference's
   *     fine-tuning)
   * @param layerDecay the layer-wise learning-rate decay factor (reference: 0.75; the paper's
   *     ViT-B: 0.65); 1 disables it
   * @param dropPath the stochastic-depth rate of the last block (reference: 0.1)
   * @param smoothing the label smoothing (reference: 0.1)
   * @param mixup the mixup alpha, 0 to disable (reference: 0; the paper: 0.8)
   * @param cutmix the CutMix alpha, 0 to disable (reference: 0; the paper: 1.0)
   * @param mixupProb the probability of mixing a batch when mixup or CutMix is on (reference: 1)
   * @param mixupSwitchProb the probability of CutMix instead of mixup when both are on (reference:
   *     0.5)
   * @param cutmixMinMax CutMix's box side fractions {@code [min, max]}, overriding its alpha; empty
   *     for none
   * @param autoAugment the RandAugment policy {@code rand-m<M>[-n<N>][-mstd<S>][-inc<0|1>]}, or
   *     {@code none} (reference: rand-m9-mstd0.5-inc1)
   * @param reprob the random-erasing probability (reference: 0.25)
   * @param augmentation the geometric augmentation: RandomResizedCrop with timm's scale (0.08, 1)
   *     and a flip (the reference), or, for small images, centred padding and a flip
   * @param globalPool whether the head reads the mean of the patch tokens and {@code fc_norm}
   *     (true, the reference's default) or the class token and {@code norm}
   * @param seed the seed of everything random: data order, augmentation, mixup, stochastic depth,
   *     the head and a random initialisation
   * @param threads the number of engine (intra-op) threads
   * @param device the device the model and its arrays live on; null for the engine's default (a GPU
   *     when the engine has one)
   * @param precision the number format of the encoder's matrix multiplies (weights, optimiser, head
   *     and loss are float32 either way)
   * @param loaderThreads the number of background threads decoding and augmenting images; 0 decodes
   *     on the training thread
   * @param outputDir the folder the run writes its files to
   * @param resume a checkpoint (or a folder holding one) to resume from; null: see {@code
   *     autoResume}
   * @param autoResume whether a checkpoint found in the output folder is resumed
   * @param evalOnly whether to only evaluate {@code checkpoint}, a fine-tuned model with its head,
   *     on the validation images
   * @param stopAfterEpochs stop (with a checkpoint) once this many epochs are done, as if killed
   *     there; 0 for no limit. Not part of the run's identity: a later run with the limit lifted
   *     resumes and finishes it
   * @param stepListeners the listeners called after every optimiser step
   * @param evaluationListeners the listeners called after every epoch's evaluation
   */
  public record Spec(
      @Nullable Path checkpoint,
      @Nullable String zoo,
      @Nullable SaimConfig config,
      @Nullable Path data,
      int trainImages,
      int validationSplit,
      @Nullable String dataName,
      int numClasses,
      int epochs,
      int batchSize,
      int accumIter,
      OptimizerSettings optimizer,
      double layerDecay,
      double dropPath,
      double smoothing,
      double mixup,
      double cutmix,
      double mixupProb,
      double mixupSwitchProb,
      List<Double> cutmixMinMax,
      String autoAugment,
      double reprob,
      Augmentation augmentation,
      boolean globalPool,
      long seed,
      int threads,
      @Nullable Device device,
      Precision precision,
      int loaderThreads,
      Path outputDir,
      @Nullable Path resume,
      boolean autoResume,
      boolean evalOnly,
      int stopAfterEpochs,
      List<StepListener> stepListeners,
      List<EvaluationListener> evaluationListeners)
      implements TrainingSpec {
    /**
     * Checks the values; each message names the setting and its value.
     *
     * @param checkpoint see {@link #checkpoint()}
     * @param zoo see {@link #zoo()}
     * @param config see {@link #config()}
     * @param data see {@link #data()}
     * @param trainImages see {@link #trainImages()}
     * @param validationSplit see {@link #validationSplit()}
     * @param dataName see {@link #dataName()}
     * @param numClasses see {@link #numClasses()}
     * @param epochs see {@link #epochs()}
     * @param batchSize see {@link #batchSize()}
     * @param accumIter see {@link #accumIter()}
     * @param optimizer see {@link #optimizer()}
     * @param layerDecay see {@link #layerDecay()}
     * @param dropPath see {@link #dropPath()}
     * @param smoothing see {@link #smoothing()}
     * @param mixup see {@link #mixup()}
     * @param cutmix see {@link #cutmix()}
     * @param mixupProb see {@link #mixupProb()}
     * @param mixupSwitchProb see {@link #mixupSwitchProb()}
     * @param cutmixMinMax see {@link #cutmixMinMax()}
     * @param autoAugment see {@link #autoAugment()}
     * @param reprob see {@link #reprob()}
     * @param augmentation see {@link #augmentation()}
     * @param globalPool see {@link #globalPool()}
     * @param seed see {@link #seed()}
     * @param threads see {@link #threads()}
     * @param device see {@link #device()}
     * @param precision see {@link #precision()}
     * @param loaderThreads see {@link #loaderThreads()}
     * @param outputDir see {@link #outputDir()}
     * @param resume see {@link #resume()}
     * @param autoResume see {@link #autoResume()}
     * @param evalOnly see {@link #evalOnly()}
     * @param stopAfterEpochs see {@link #stopAfterEpochs()}
     * @param stepListeners see {@link #stepListeners()}
     * @param evaluationListeners see {@link #evaluationListeners()}
     */
    public Spec {
      Objects.requireNonNull(optimizer, "optimizer");
      Objects.requireNonNull(autoAugment, "autoAugment");
      Objects.requireNonNull(augmentation, "augmentation");
      Objects.requireNonNull(outputDir, "outputDir");
      Objects.requireNonNull(precision, "precision");
      cutmixMinMax = List.copyOf(cutmixMinMax);
      stepListeners = List.copyOf(stepListeners);
      evaluationListeners = List.copyOf(evaluationListeners);
      Checks.check(
          zoo == null || checkpoint == null,
          "zoo (%s) and checkpoint (%s): give one of them, not both",
          zoo,
          checkpoint);
      Checks.check(zoo == null || config == null, SaimEncoder.ZOO_WITH_CONFIG, zoo);
      Checks.check(
          zoo != null || checkpoint != null || config != null,
          "fine-tuning needs a checkpoint, a zoo name or a config (for random initialisation)");
      Checks.check(
          !evalOnly || checkpoint != null,
          "evalOnly needs a fine-tuned checkpoint (with its head)");
      Checks.check(
          numClasses >= 0, "numClasses (%s) must be 0 (from the data) or positive", numClasses);
      Checks.check(trainImages >= 0, "trainImages (%s) must be 0 (all) or positive", trainImages);
      Checks.check(
          validationSplit >= 0 && (trainImages == 0 || validationSplit < trainImages),
          "validationSplit (%s) must be 0 (none) or fewer than trainImages (%s)",
          validationSplit,
          trainImages);
      Checks.check(epochs > 0, "epochs (%s) must be positive", epochs);
      Checks.check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      Checks.check(accumIter > 0, "accumIter (%s) must be positive", accumIter);
      // the schedule's two run-relative settings are checked here, with their whole range
      double peak = optimizer.peakLr(batchSize * accumIter);
      Checks.check(
          optimizer.minLr() >= 0 && optimizer.minLr() <= peak,
          "minLr (%s) must be in [0, peak lr (%s)]",
          optimizer.minLr(),
          peak);
      Checks.warmupWithin(optimizer, epochs);
      Checks.check(
          layerDecay > 0 && layerDecay <= 1, "layerDecay (%s) must be in (0, 1]", layerDecay);
      Checks.check(dropPath >= 0 && dropPath < 1, "dropPath (%s) must be in [0, 1)", dropPath);
      Checks.check(
          cutmixMinMax.isEmpty() || cutmixMinMax.size() == 2,
          "cutmixMinMax (%s) must be empty or [min, max]",
          cutmixMinMax);
      Checks.check(reprob >= 0 && reprob <= 1, "reprob (%s) must be in [0, 1]", reprob);
      Checks.check(threads > 0, "threads (%s) must be positive", threads);
      Checks.check(loaderThreads >= 0, "loaderThreads (%s) must be non-negative", loaderThreads);
      Checks.check(
          stopAfterEpochs >= 0, "stopAfterEpochs (%s) must be non-negative", stopAfterEpochs);
    }
  }

  /** Settings of a fine-tuning run; validation happens in {@link #build()}. */
  public static final class Builder extends TrainingBuilder<Builder> {
    /** The reference's warm-up epochs, shortened to the run when that is shorter. */
    private static final double DEFAULT_WARMUP = 5;

    private @Nullable Path checkpoint;
    private @Nullable String zoo;
    private @Nullable SaimConfig config;
    private @Nullable Path data;
    private int trainImages;
    private int validationSplit;
    private @Nullable String dataName;
    private int numClasses;
    private double layerDecay = 0.75;
    private double dropPath = 0.1;
    private double smoothing = 0.1;
    private double mixup;
    private double cutmix;
    private double mixupProb = 1.0;
    private double mixupSwitchProb = 0.5;
    private String autoAugment = "rand-m9-mstd0.5-inc1";
    private double reprob = 0.25;
    private Augmentation augmentation = Augmentation.RANDOM_RESIZED_CROP;
    private boolean globalPool = true;
    private @Nullable Device device;
    private boolean evalOnly;
    private int stopAfterEpochs;
    private @Nullable List<Double> cutmixMinMax;
    private final List<EvaluationListener> evaluationListeners = new ArrayList<>();

    private Builder() {
      super(100, 1e-3, 1e-6, 2, Path.of("finetune-output"));
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * The initial weights: our {@code final.safetensors} or a checkpoint of ours, or a reference
     * {@code .pth} (its {@code model} entry); null for a zoo model or a random initialisation.
     *
     * @param v the value, or null
     * @return this builder
     */
    public Builder checkpoint(@Nullable Path v) {
      checkpoint = v;
      return this;
    }

    /**
     * The initial weights from the model zoo by name (needs saim-zoo at run time); null for none.
     *
     * @param v the value, or null
     * @return this builder
     */
    public Builder zoo(@Nullable String v) {
      zoo = v;
      return this;
    }

    /**
     * The architecture: needed for a random initialisation and for a reference {@code .pth}; our
     * checkpoints carry their own, and a zoo model brings its own (giving both is refused); null to
     * take the checkpoint's.
     *
     * @param v the value, or null
     * @return this builder
     */
    public Builder config(@Nullable SaimConfig v) {
      config = v;
      return this;
    }

    /**
     * The labelled images: a folder holding {@code train/} and {@code val/} image folders (one
     * sub-folder per class), or a folder holding an IDX pair ({@code train-images-idx3-ubyte[.gz]},
     * {@code t10k-images-idx3-ubyte[.gz]} and their labels); null for the embedded Fashion-MNIST
     * subset.
     *
     * @param v the value, or null
     * @return this builder
     */
    public Builder data(@Nullable Path v) {
      data = v;
      return this;
    }

    /**
     * How many of the training images to use, the first ones; 0 (the default) for all.
     *
     * @param v the number of images
     * @return this builder
     */
    public Builder trainImages(int v) {
      trainImages = v;
      return this;
    }

    /**
     * How many of the training images in use, the last ones, to hold out and evaluate on every
     * epoch in place of the validation images, so that settings can be chosen without reading the
     * test set; 0 (the default) for none.
     *
     * @param v the number of images
     * @return this builder
     */
    public Builder validationSplit(int v) {
      validationSplit = v;
      return this;
    }

    /**
     * What the data is called in {@code config.json}; null for the data's own description.
     *
     * @param v the value, or null
     * @return this builder
     */
    public Builder dataName(@Nullable String v) {
      dataName = v;
      return this;
    }

    /**
     * The number of classes; 0 for the larger of the two datasets' class counts.
     *
     * @param v the value
     * @return this builder
     */
    public Builder numClasses(int v) {
      numClasses = v;
      return this;
    }

    /**
     * The layer-wise learning-rate decay factor (reference: 0.75; the paper's ViT-B: 0.65); 1
     * disables it.
     *
     * @param v the value
     * @return this builder
     */
    public Builder layerDecay(double v) {
      layerDecay = v;
      return this;
    }

    /**
     * The stochastic-depth rate of the last block (reference: 0.1).
     *
     * @param v the value
     * @return this builder
     */
    public Builder dropPath(double v) {
      dropPath = v;
      return this;
    }

    /**
     * The label smoothing (reference: 0.1).
     *
     * @param v the value
     * @return this builder
     */
    public Builder smoothing(double v) {
      smoothing = v;
      return this;
    }

    /**
     * The mixup alpha, 0 to disable (reference: 0; the paper: 0.8).
     *
     * @param v the value
     * @return this builder
     */
    public Builder mixup(double v) {
      mixup = v;
      return this;
    }

    /**
     * The CutMix alpha, 0 to disable (reference: 0; the paper: 1.0).
     *
     * @param v the value
     * @return this builder
     */
    public Builder cutmix(double v) {
      cutmix = v;
      return this;
    }

    /**
     * The probability of mixing a batch when mixup or CutMix is on (reference: 1).
     *
     * @param v the value
     * @return this builder
     */
    public Builder mixupProb(double v) {
      mixupProb = v;
      return this;
    }

    /**
     * The probability of CutMix instead of mixup when both are on (reference: 0.5).
     *
     * @param v the value
     * @return this builder
     */
    public Builder mixupSwitchProb(double v) {
      mixupSwitchProb = v;
      return this;
    }

    /**
     * CutMix's box side fractions {@code min} and {@code max}, overriding its alpha.
     *
     * @param min the smallest side fraction
     * @param max the largest side fraction
     * @return this builder
     */
    public Builder cutmixMinMax(double min, double max) {
      cutmixMinMax = List.of(min, max);
      return this;
    }

    /**
     * The RandAugment policy {@code rand-m<M>[-n<N>][-mstd<S>][-inc<0|1>]}, or {@code none}
     * (reference: rand-m9-mstd0.5-inc1).
     *
     * @param v the value
     * @return this builder
     */
    public Builder autoAugment(String v) {
      autoAugment = Objects.requireNonNull(v, "autoAugment");
      return this;
    }

    /**
     * The random-erasing probability (reference: 0.25).
     *
     * @param v the value
     * @return this builder
     */
    public Builder reprob(double v) {
      reprob = v;
      return this;
    }

    /**
     * The geometric augmentation: RandomResizedCrop with timm's scale (0.08, 1) and a flip (the
     * reference), or, for small images, centred padding and a flip.
     *
     * @param v the value
     * @return this builder
     */
    public Builder augmentation(Augmentation v) {
      augmentation = Objects.requireNonNull(v, "augmentation");
      return this;
    }

    /**
     * Whether the head reads the mean of the patch tokens and {@code fc_norm} (true, the
     * reference's default) or the class token and {@code norm}.
     *
     * @param v the value
     * @return this builder
     */
    public Builder globalPool(boolean v) {
      globalPool = v;
      return this;
    }

    /**
     * The device the model and its arrays live on, as {@code Device.cpu()} or {@code
     * Device.gpu(0)}; null (the default) for the engine's default device, a GPU when the engine has
     * one. A device the engine does not have is refused when the run starts. Not part of the run's
     * identity: a checkpoint resumes on any device.
     *
     * @param v the device, or null
     * @return this builder
     */
    public Builder device(@Nullable Device v) {
      device = v;
      return this;
    }

    /**
     * Whether to only evaluate {@code checkpoint}, a fine-tuned model with its head, on the
     * validation images.
     *
     * @param v the value
     * @return this builder
     */
    public Builder evalOnly(boolean v) {
      evalOnly = v;
      return this;
    }

    /**
     * Stop (with a checkpoint) once this many epochs are done, as if killed there; 0 for no limit.
     * Not part of the run's identity: a later run with the limit lifted resumes and finishes it.
     *
     * @param v the value
     * @return this builder
     */
    public Builder stopAfterEpochs(int v) {
      stopAfterEpochs = v;
      return this;
    }

    /**
     * Adds a listener called after every epoch's evaluation, on the training thread.
     *
     * @param l the listener
     * @return this builder
     */
    public Builder onEvaluation(EvaluationListener l) {
      evaluationListeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    /**
     * Validates and builds; the builder is left as it was.
     *
     * @return the fine-tuner
     * @throws IllegalArgumentException naming the first invalid value
     */
    public SaimFineTuner build() {
      // the Spec and OptimizerSettings check every value, TrainingBuilder the pair blr / lr
      double warmup = warmupEpochs != null ? warmupEpochs : Math.min(DEFAULT_WARMUP, epochs);
      OptimizerSettings optimizer = optimizer(warmup, 0.9, 0.999);
      return new SaimFineTuner(
          new Spec(
              checkpoint,
              zoo,
              config,
              data,
              trainImages,
              validationSplit,
              dataName,
              numClasses,
              epochs,
              batchSize,
              accumIter,
              optimizer,
              layerDecay,
              dropPath,
              smoothing,
              mixup,
              cutmix,
              mixupProb,
              mixupSwitchProb,
              cutmixMinMax == null ? List.of() : cutmixMinMax,
              autoAugment,
              reprob,
              augmentation,
              globalPool,
              seed,
              threads,
              device,
              precision,
              loaderThreads,
              outputDir,
              resume,
              autoResume,
              evalOnly,
              stopAfterEpochs,
              stepListeners,
              evaluationListeners));
    }
  }
}
