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
 * SAIM pre-training with the paper's recipe: AdamW (betas 0.9/0.95, the no-decay rule), a
 * per-iteration linear warm-up and half-cycle cosine schedule, gradient accumulation, optional
 * clipping, atomic checkpoints and exact resume.
 *
 * <p>Build one with {@link #builder()}, then call {@link #fit()}. Without {@link Builder#data}, the
 * embedded Fashion-MNIST subset is used. The output folder receives {@code config.json}, {@code
 * metrics.jsonl}, {@code checkpoint.safetensors} (weights and full training state) and, at the end,
 * {@code final.safetensors} (weights with the reference's names); with {@link
 * Builder#keepWeightsEvery} also {@code weights-step<N>.safetensors} along the way.
 *
 * <pre>{@code
 * TrainingSummary s = SaimTrainer.builder()
 *     .config(SaimConfig.vitTiny().toBuilder().imageSize(32).patchSize(4).build())
 *     .epochs(2).batchSize(64).outputDir(Path.of("runs/tiny"))
 *     .onStep(e -> System.out.println(e.step() + " " + e.loss()))
 *     .build()
 *     .fit();
 * }</pre>
 */
public final class SaimTrainer {
  private final SaimConfig config;
  private final @Nullable Path data;
  private final int epochs;
  private final long maxSteps;
  private final int batchSize;
  private final int accumIter;
  private final double blr;
  private final boolean blrSet;
  private final @Nullable Double lr;
  private final double warmupEpochs;
  private final double minLr;
  private final double weightDecay;
  private final double beta1;
  private final double beta2;
  private final @Nullable Double clipGrad;
  private final OptimizerSettings optimizer;
  private final long seed;
  private final PermutationSampler.Kind order;
  private final Augmentation augmentation;
  private final Path outputDir;
  private final long checkpointEvery;
  private final long keepWeightsEvery;
  private final long knnEvery;
  private final @Nullable Path knnData;
  private final @Nullable Path resume;
  private final boolean autoResume;
  private final int threads;
  private final List<Device> devices;
  private final @Nullable Distributed distributed;
  private final int loaderThreads;
  private final Precision precision;
  private final boolean skipBadImages;
  private final int logEvery;
  private final List<StepListener> stepListeners;
  private final List<EpochListener> epochListeners;

  private SaimTrainer(Builder b) {
    config = b.config;
    data = b.data;
    epochs = b.epochs;
    maxSteps = b.maxSteps;
    batchSize = b.batchSize;
    accumIter = b.accumIter;
    blr = b.blr;
    blrSet = b.blrSet;
    lr = b.lr;
    warmupEpochs = b.warmupEpochs;
    minLr = b.minLr;
    weightDecay = b.weightDecay;
    beta1 = b.beta1;
    beta2 = b.beta2;
    clipGrad = b.clipGrad;
    optimizer =
        new OptimizerSettings(blr, lr, minLr, warmupEpochs, weightDecay, beta1, beta2, clipGrad);
    seed = b.seed;
    order = b.order;
    augmentation = b.augmentation;
    outputDir = b.outputDir;
    checkpointEvery = b.checkpointEvery;
    keepWeightsEvery = b.keepWeightsEvery;
    knnEvery = b.knnEvery;
    knnData = b.knnData;
    resume = b.resume;
    autoResume = b.autoResume;
    threads = b.threads;
    devices = List.copyOf(b.devices);
    distributed = b.distributed;
    loaderThreads = b.loaderThreads;
    precision = b.precision;
    skipBadImages = b.skipBadImages;
    logEvery = b.logEvery;
    stepListeners = List.copyOf(b.stepListeners);
    epochListeners = List.copyOf(b.epochListeners);
  }

  /** {@return a builder with the paper's recipe for everything but the model and data size} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding these settings, to vary some of them; this trainer is not changed.
   *
   * @return a new builder with every setting and listener of this trainer
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.config = config;
    b.data = data;
    b.epochs = epochs;
    b.maxSteps = maxSteps;
    b.batchSize = batchSize;
    b.accumIter = accumIter;
    b.blr = blr;
    b.blrSet = blrSet;
    b.lr = lr;
    b.warmupEpochs = warmupEpochs;
    b.minLr = minLr;
    b.weightDecay = weightDecay;
    b.beta1 = beta1;
    b.beta2 = beta2;
    b.clipGrad = clipGrad;
    b.seed = seed;
    b.order = order;
    b.augmentation = augmentation;
    b.outputDir = outputDir;
    b.checkpointEvery = checkpointEvery;
    b.keepWeightsEvery = keepWeightsEvery;
    b.knnEvery = knnEvery;
    b.knnData = knnData;
    b.resume = resume;
    b.autoResume = autoResume;
    b.threads = threads;
    b.devices = devices;
    b.distributed = distributed;
    b.loaderThreads = loaderThreads;
    b.precision = precision;
    b.skipBadImages = skipBadImages;
    b.logEvery = logEvery;
    b.stepListeners.addAll(stepListeners);
    b.epochListeners.addAll(epochListeners);
    return b;
  }

  /**
   * Trains, writing to the output folder, and returns what happened.
   *
   * @return the run's figures
   * @throws IllegalArgumentException for bad input (data, resume checkpoint), naming it
   * @throws IOException when the output cannot be written
   */
  public TrainingSummary fit() throws IOException {
    return SaimProvider.load().fit(this);
  }

  /** {@return the model's architecture and target settings} */
  public SaimConfig config() {
    return config;
  }

  /** {@return the image folder or IDX file; empty for the embedded Fashion-MNIST subset} */
  public Optional<Path> data() {
    return Optional.ofNullable(data);
  }

  /** {@return the number of epochs of the schedule} */
  public int epochs() {
    return epochs;
  }

  /** {@return the number of optimiser steps after which training stops early; 0 for no limit} */
  public long maxSteps() {
    return maxSteps;
  }

  /** {@return the number of images per micro-batch} */
  public int batchSize() {
    return batchSize;
  }

  /** {@return the number of micro-batches accumulated per optimiser step} */
  public int accumIter() {
    return accumIter;
  }

  /** {@return the number of images per optimiser step: batchSize * accumIter} */
  public int effectiveBatchSize() {
    return batchSize * accumIter;
  }

  /** {@return the base learning rate (per 256 images)} */
  public double blr() {
    return blr;
  }

  /**
   * {@return the peak learning rate: the absolute one if set, else {@code blr * effectiveBatch /
   * 256}}
   */
  public double peakLr() {
    return optimizer.peakLr(effectiveBatchSize());
  }

  /** {@return the epochs of linear learning-rate warm-up} */
  public double warmupEpochs() {
    return warmupEpochs;
  }

  /** {@return the learning rate the cosine schedule ends at} */
  public double minLr() {
    return minLr;
  }

  /** {@return AdamW's weight decay} */
  public double weightDecay() {
    return weightDecay;
  }

  /** {@return AdamW's first-moment decay rate} */
  public double beta1() {
    return beta1;
  }

  /** {@return AdamW's second-moment decay rate} */
  public double beta2() {
    return beta2;
  }

  /** {@return the optimiser's settings as one value, the type fine-tuning uses too} */
  public OptimizerSettings optimizer() {
    return optimizer;
  }

  /** {@return the maximum gradient norm, if clipping} */
  public OptionalDouble clipGrad() {
    return clipGrad == null ? OptionalDouble.empty() : OptionalDouble.of(clipGrad);
  }

  /**
   * {@return the seed of the initialisation, the data order, the augmentation and the permutations}
   */
  public long seed() {
    return seed;
  }

  /** {@return the prediction order: stochastic (the paper) or raster} */
  public PermutationSampler.Kind order() {
    return order;
  }

  /** {@return the augmentation of the training images} */
  public Augmentation augmentation() {
    return augmentation;
  }

  /** {@return the folder the run writes its checkpoint, weights and metrics to} */
  public Path outputDir() {
    return outputDir;
  }

  /**
   * {@return the number of optimiser steps between checkpoints (one is always written at the end)}
   */
  public long checkpointEvery() {
    return checkpointEvery;
  }

  /**
   * {@return the number of optimiser steps between kept weight files ({@code
   * weights-step<N>.safetensors}); 0 keeps none}
   */
  public long keepWeightsEvery() {
    return keepWeightsEvery;
  }

  /**
   * {@return the number of optimiser steps between k-NN evaluations of the encoder on {@link
   * #knnData()} (logged in {@code metrics.jsonl}); 0 evaluates none}
   */
  public long knnEvery() {
    return knnEvery;
  }

  /**
   * {@return the labelled data of the k-NN monitor ({@code train/} + {@code val/} folders or an IDX
   * pair); empty for the embedded Fashion-MNIST subset}
   */
  public Optional<Path> knnData() {
    return Optional.ofNullable(knnData);
  }

  /** {@return an explicit checkpoint to resume from} */
  public Optional<Path> resume() {
    return Optional.ofNullable(resume);
  }

  /** {@return whether a checkpoint found in the output folder is resumed automatically} */
  public boolean autoResume() {
    return autoResume;
  }

  /** {@return the number of engine (intra-op) threads} */
  public int threads() {
    return threads;
  }

  /**
   * The devices each micro-batch is split over (data-parallel), the first holding the master
   * weights and the optimiser; empty (the default) means one device, the engine's default.
   *
   * @return the devices, in order
   */
  public List<Device> devices() {
    return devices;
  }

  /**
   * Data-parallel training across processes, when this process is one rank of several.
   *
   * @return the ranks' settings, empty when this process trains alone
   */
  public Optional<Distributed> distributed() {
    return Optional.ofNullable(distributed);
  }

  /** {@return the number of threads decoding and augmenting images ahead of the step} */
  public int loaderThreads() {
    return loaderThreads;
  }

  /** {@return the format of the model's matrix multiplies; float32 master weights either way} */
  public Precision precision() {
    return precision;
  }

  /** {@return whether undecodable images are skipped (and counted) instead of failing the run} */
  public boolean skipBadImages() {
    return skipBadImages;
  }

  /** {@return the number of steps between metrics-log lines} */
  public int logEvery() {
    return logEvery;
  }

  /** {@return the listeners called after every optimiser step} */
  public List<StepListener> stepListeners() {
    return stepListeners;
  }

  /** {@return the listeners called at the end of every epoch} */
  public List<EpochListener> epochListeners() {
    return epochListeners;
  }

  /** Builds a {@link SaimTrainer}; validation happens in {@link #build()}. */
  public static final class Builder {
    private SaimConfig config = SaimConfig.vitBase();
    private @Nullable Path data;
    private int epochs = 1;
    private long maxSteps;
    private int batchSize = 64;
    private int accumIter = 1;
    private double blr = 2e-4;
    private boolean blrSet;
    private @Nullable Double lr;
    private double warmupEpochs = 0;
    private double minLr = 0;
    private double weightDecay = 0.05;
    private double beta1 = 0.9;
    private double beta2 = 0.95;
    private @Nullable Double clipGrad;
    private long seed;
    private PermutationSampler.Kind order = PermutationSampler.Kind.STOCHASTIC;
    private Augmentation augmentation = Augmentation.RANDOM_RESIZED_CROP;
    private Path outputDir = Path.of("saim-output");
    private long checkpointEvery = 1000;
    private long keepWeightsEvery;
    private long knnEvery;
    private @Nullable Path knnData;
    private @Nullable Path resume;
    private boolean autoResume = true;
    private int threads = Runtime.getRuntime().availableProcessors();
    private List<Device> devices = List.of();
    private @Nullable Distributed distributed;
    private int loaderThreads = 1;
    private Precision precision = Precision.FP32;
    private boolean skipBadImages;
    private int logEvery = 1;
    private final List<StepListener> stepListeners = new ArrayList<>();
    private final List<EpochListener> epochListeners = new ArrayList<>();

    private Builder() {}

    /**
     * Sets {@link SaimTrainer#config()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder config(SaimConfig v) {
      config = Objects.requireNonNull(v, "config");
      return this;
    }

    /**
     * The images to pre-train on: a folder of JPEG/PNG images (at any depth; class sub-folders are
     * allowed but not needed, labels are not used), or an IDX images file; null for the embedded
     * Fashion-MNIST subset.
     *
     * @param v the value
     * @return this builder
     */
    public Builder data(@Nullable Path v) {
      data = v;
      return this;
    }

    /**
     * Sets {@link SaimTrainer#epochs()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    /**
     * Stop after this many optimiser steps (0: run all epochs). The learning-rate schedule is still
     * laid out over all {@link #epochs}, so the run stops wherever the schedule is (a smoke test, a
     * budget cut); for a shorter training, lower the epochs instead.
     *
     * @param v the value
     * @return this builder
     */
    public Builder maxSteps(long v) {
      maxSteps = v;
      return this;
    }

    /**
     * Images per micro-batch, over all {@link #devices} (and {@link #distributed} ranks) together.
     *
     * @param v the value
     * @return this builder
     */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /**
     * Micro-batches whose gradients add up to one optimiser step (effective batch = batch size x
     * accum iter).
     *
     * @param v the value
     * @return this builder
     */
    public Builder accumIter(int v) {
      accumIter = v;
      return this;
    }

    /**
     * Base learning rate; the peak is {@code blr * effective batch / 256}. Give this or {@link
     * #lr}, not both.
     *
     * @param v the value
     * @return this builder
     */
    public Builder blr(double v) {
      blr = v;
      blrSet = true;
      return this;
    }

    /**
     * An absolute peak learning rate instead of the blr rule; null for the rule. Give this or
     * {@link #blr}, not both.
     *
     * @param v the value, or null
     * @return this builder
     */
    public Builder lr(@Nullable Double v) {
      lr = v;
      return this;
    }

    /**
     * Sets {@link SaimTrainer#warmupEpochs()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder warmupEpochs(double v) {
      warmupEpochs = v;
      return this;
    }

    /**
     * {@link #warmupEpochs(double)} from a whole number of epochs (for Kotlin, which does not widen
     * an {@code Int} to a {@code Double}).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder warmupEpochs(int v) {
      return warmupEpochs((double) v);
    }

    /**
     * Sets {@link SaimTrainer#minLr()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder minLr(double v) {
      minLr = v;
      return this;
    }

    /**
     * Sets {@link SaimTrainer#weightDecay()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    /**
     * AdamW's moment decay rates (default the paper's 0.9 and 0.95).
     *
     * @param b1 the first moment's rate, {@link SaimTrainer#beta1()}
     * @param b2 the second moment's rate, {@link SaimTrainer#beta2()}
     * @return this builder
     */
    public Builder betas(double b1, double b2) {
      beta1 = b1;
      beta2 = b2;
      return this;
    }

    /**
     * Clip the global gradient norm to {@code v}; null disables clipping.
     *
     * @param v the value
     * @return this builder
     */
    public Builder clipGrad(@Nullable Double v) {
      clipGrad = v;
      return this;
    }

    /**
     * Sets {@link SaimTrainer#seed()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /**
     * {@link PermutationSampler.Kind#STOCHASTIC} (default) or {@link
     * PermutationSampler.Kind#RASTER}.
     *
     * @param v the value
     * @return this builder
     */
    public Builder order(PermutationSampler.Kind v) {
      order = Objects.requireNonNull(v, "order");
      return this;
    }

    /**
     * Sets {@link SaimTrainer#augmentation()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder augmentation(Augmentation v) {
      augmentation = Objects.requireNonNull(v, "augmentation");
      return this;
    }

    /**
     * Sets {@link SaimTrainer#outputDir()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder outputDir(Path v) {
      outputDir = Objects.requireNonNull(v, "outputDir");
      return this;
    }

    /**
     * Sets {@link SaimTrainer#checkpointEvery()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder checkpointEvery(long v) {
      checkpointEvery = v;
      return this;
    }

    /**
     * Also keep the weights every {@code v} optimiser steps, as {@code weights-step<N>.safetensors}
     * (the format of {@code final.safetensors}, without the optimiser state), so that intermediate
     * encoders can be probed after the run; 0 (the default) keeps none. Unlike the checkpoint,
     * these files are never overwritten.
     *
     * @param v the value
     * @return this builder
     */
    public Builder keepWeightsEvery(long v) {
      keepWeightsEvery = v;
      return this;
    }

    /**
     * Evaluate the encoder every {@code v} optimiser steps with the k-NN classifier of {@link
     * SaimKnn} (its defaults; class token of the last block) on {@link #knnData}, as solo-learn
     * monitors pre-training; 0 (the default) evaluates none. Each evaluation is a line of {@code
     * metrics.jsonl} with its top-1, top-5 and the seconds it took, and does not change training.
     *
     * @param v the value
     * @return this builder
     */
    public Builder knnEvery(long v) {
      knnEvery = v;
      return this;
    }

    /**
     * The labelled data of the k-NN monitor: {@code train/} and {@code val/} image folders or an
     * IDX pair, as for the probes (the training half is the neighbours, the other half is
     * classified); {@code null} (the default) for the embedded Fashion-MNIST subset.
     *
     * @param v the folder, or {@code null}
     * @return this builder
     */
    public Builder knnData(@Nullable Path v) {
      knnData = v;
      return this;
    }

    /**
     * Resume from this checkpoint file (or a folder holding {@code checkpoint.safetensors}).
     *
     * @param v the value
     * @return this builder
     */
    public Builder resume(@Nullable Path v) {
      resume = v;
      return this;
    }

    /**
     * Resume automatically from the output folder's checkpoint (default true).
     *
     * @param v the value
     * @return this builder
     */
    public Builder autoResume(boolean v) {
      autoResume = v;
      return this;
    }

    /**
     * Sets {@link SaimTrainer#threads()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder threads(int v) {
      threads = v;
      return this;
    }

    /**
     * Data-parallel training over these devices: each micro-batch of {@link #batchSize} images is
     * split evenly over them (the batch size must be a multiple of their number), every device
     * computes the gradient of its part on its own copy of the weights, the gradients are summed on
     * the first device and one optimiser step updates the weights there. The result does not depend
     * on the number of devices, up to float rounding, and checkpoints resume on any number of
     * devices. A device may be listed more than once (several copies on one device compute their
     * parts one after another). Empty (the default): the engine's default device alone.
     *
     * @param v the value
     * @return this builder
     */
    public Builder devices(List<Device> v) {
      devices = List.copyOf(Objects.requireNonNull(v, "devices"));
      return this;
    }

    /**
     * Varargs form of {@link #devices(List)}.
     *
     * @param v the value
     * @return this builder
     */
    public Builder devices(Device... v) {
      return devices(List.of(v));
    }

    /**
     * Data-parallel training across processes ({@link Distributed}): {@link #batchSize} is then the
     * micro-batch over all ranks together (a multiple of the world size times the number of {@link
     * #devices}), and the learning-rate rule uses that global batch. Null (the default): this
     * process trains alone.
     *
     * @param v the ranks' settings, or null
     * @return this builder
     */
    public Builder distributed(@Nullable Distributed v) {
      distributed = v;
      return this;
    }

    /**
     * Sets {@link SaimTrainer#loaderThreads()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder loaderThreads(int v) {
      loaderThreads = v;
      return this;
    }

    /**
     * The format of the model's matrix multiplies (default {@link Precision#FP32}).
     *
     * @param v the value
     * @return this builder
     */
    public Builder precision(Precision v) {
      precision = Objects.requireNonNull(v, "precision");
      return this;
    }

    /**
     * Skip undecodable images (counted in the log) instead of failing.
     *
     * @param v the value
     * @return this builder
     */
    public Builder skipBadImages(boolean v) {
      skipBadImages = v;
      return this;
    }

    /**
     * Sets {@link SaimTrainer#logEvery()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder logEvery(int v) {
      logEvery = v;
      return this;
    }

    /**
     * Adds a listener called after every optimiser step, on the training thread.
     *
     * @param l the listener
     * @return this builder
     */
    public Builder onStep(StepListener l) {
      stepListeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    /**
     * Adds a listener called at the end of every epoch, on the training thread.
     *
     * @param l the listener
     * @return this builder
     */
    public Builder onEpoch(EpochListener l) {
      epochListeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    /**
     * Validates and builds.
     *
     * @return the trainer
     * @throws IllegalArgumentException naming the first invalid value
     */
    public SaimTrainer build() {
      Checks.check(epochs > 0, "epochs (%s) must be positive", epochs);
      Checks.check(maxSteps >= 0, "maxSteps (%s) must be 0 (no limit) or positive", maxSteps);
      Checks.check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      Checks.check(accumIter > 0, "accumIter (%s) must be positive", accumIter);
      Checks.check(blr > 0 && Double.isFinite(blr), "blr (%s) must be positive", blr);
      Checks.check(lr == null || (lr > 0 && Double.isFinite(lr)), "lr (%s) must be positive", lr);
      Checks.check(
          !blrSet || lr == null,
          "blr (%s) and lr (%s) are both set: give one of them (lr replaces the blr rule)",
          blr,
          lr);
      Checks.check(
          warmupEpochs >= 0 && warmupEpochs <= epochs,
          "warmupEpochs (%s) must be in [0, epochs (%s)]",
          warmupEpochs,
          epochs);
      Checks.check(minLr >= 0, "minLr (%s) must be non-negative", minLr);
      Checks.check(weightDecay >= 0, "weightDecay (%s) must be non-negative", weightDecay);
      Checks.check(
          beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
          "beta1 (%s) and beta2 (%s) must be in [0, 1)",
          beta1,
          beta2);
      Checks.check(clipGrad == null || clipGrad > 0, "clipGrad (%s) must be positive", clipGrad);
      Checks.check(
          order != PermutationSampler.Kind.GIVEN,
          "order (%s) must be STOCHASTIC or RASTER for training",
          order);
      Checks.check(checkpointEvery > 0, "checkpointEvery (%s) must be positive", checkpointEvery);
      Checks.check(
          keepWeightsEvery >= 0,
          "keepWeightsEvery (%s) must be 0 (none) or positive",
          keepWeightsEvery);
      Checks.check(knnEvery >= 0, "knnEvery (%s) must be 0 (none) or positive", knnEvery);
      Checks.check(
          knnData == null || knnEvery > 0,
          "knnData is set but knnEvery is 0: the monitor would never run");
      Checks.check(threads > 0, "threads (%s) must be positive", threads);
      Checks.check(
          devices.isEmpty() || batchSize % devices.size() == 0,
          "batchSize (%s) must be a multiple of the number of devices (%s) to split evenly",
          batchSize,
          devices.size());
      int ranks = distributed == null ? 1 : distributed.worldSize();
      Checks.check(
          ranks == 1 || batchSize % (ranks * Math.max(1, devices.size())) == 0,
          "batchSize (%s) must be a multiple of worldSize x devices (%s x %s) to split evenly",
          batchSize,
          ranks,
          Math.max(1, devices.size()));
      Checks.check(loaderThreads > 0, "loaderThreads (%s) must be positive", loaderThreads);
      Checks.check(logEvery > 0, "logEvery (%s) must be positive", logEvery);
      return new SaimTrainer(this);
    }
  }
}
