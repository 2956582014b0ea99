package io.github.saimjava.api;

import io.github.saimjava.api.spi.SaimProvider;
import ai.djl.Device;
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
 * embedded Fashion-MNIST subset is used. The output folder receives {@code config.json},
 * {@code metrics.jsonl}, {@code checkpoint.safetensors} (weights and full training state) and,
 * at the end, {@code final.safetensors} (weights with the reference's names); with
 * {@link Builder#keepWeightsEvery} also {@code weights-step<N>.safetensors} along the way.
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
  private final @Nullable Double lr;
  private final double warmupEpochs;
  private final double minLr;
  private final double weightDecay;
  private final double beta1;
  private final double beta2;
  private final @Nullable Double clipGrad;
  private final long seed;
  private final PermutationSampler.Kind order;
  private final Augmentation augmentation;
  private final Path outputDir;
  private final long checkpointEvery;
  private final long keepWeightsEvery;
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
    lr = b.lr;
    warmupEpochs = b.warmupEpochs;
    minLr = b.minLr;
    weightDecay = b.weightDecay;
    beta1 = b.beta1;
    beta2 = b.beta2;
    clipGrad = b.clipGrad;
    seed = b.seed;
    order = b.order;
    augmentation = b.augmentation;
    outputDir = b.outputDir;
    checkpointEvery = b.checkpointEvery;
    keepWeightsEvery = b.keepWeightsEvery;
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

  /** A builder with the paper's recipe for everything but the model and data size. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Trains, writing to the output folder, and returns what happened.
   *
   * @throws IllegalArgumentException for bad input (data, resume checkpoint), naming it
   * @throws IOException when the output cannot be written
   */
  public TrainingSummary fit() throws IOException {
    return SaimProvider.load().fit(this);
  }

  public SaimConfig config() {
    return config;
  }

  /** The image folder or IDX file; empty for the embedded Fashion-MNIST subset. */
  public Optional<Path> data() {
    return Optional.ofNullable(data);
  }

  public int epochs() {
    return epochs;
  }

  /** Optimiser steps after which training stops early; 0 for no limit. */
  public long maxSteps() {
    return maxSteps;
  }

  /** Images per micro-batch. */
  public int batchSize() {
    return batchSize;
  }

  /** Micro-batches accumulated per optimiser step. */
  public int accumIter() {
    return accumIter;
  }

  /** Images per optimiser step: batchSize * accumIter. */
  public int effectiveBatchSize() {
    return batchSize * accumIter;
  }

  /** Base learning rate (per 256 images). */
  public double blr() {
    return blr;
  }

  /** The peak learning rate: the absolute one if set, else {@code blr * effectiveBatch / 256}. */
  public double peakLr() {
    return lr != null ? lr : blr * effectiveBatchSize() / 256.0;
  }

  public double warmupEpochs() {
    return warmupEpochs;
  }

  public double minLr() {
    return minLr;
  }

  public double weightDecay() {
    return weightDecay;
  }

  public double beta1() {
    return beta1;
  }

  public double beta2() {
    return beta2;
  }

  /** Maximum gradient norm, if clipping. */
  public OptionalDouble clipGrad() {
    return clipGrad == null ? OptionalDouble.empty() : OptionalDouble.of(clipGrad);
  }

  public long seed() {
    return seed;
  }

  /** Stochastic (the paper) or raster order. */
  public PermutationSampler.Kind order() {
    return order;
  }

  public Augmentation augmentation() {
    return augmentation;
  }

  public Path outputDir() {
    return outputDir;
  }

  /** Optimiser steps between checkpoints (one is always written at the end). */
  public long checkpointEvery() {
    return checkpointEvery;
  }

  /** Optimiser steps between kept weight files ({@code weights-step<N>.safetensors}); 0 keeps none. */
  public long keepWeightsEvery() {
    return keepWeightsEvery;
  }

  /** An explicit checkpoint to resume from. */
  public Optional<Path> resume() {
    return Optional.ofNullable(resume);
  }

  /** Whether a checkpoint found in the output folder is resumed automatically. */
  public boolean autoResume() {
    return autoResume;
  }

  /** Engine (intra-op) threads. */
  public int threads() {
    return threads;
  }

  /** Threads decoding and augmenting images ahead of the step. */
  /**
   * The devices each micro-batch is split over (data-parallel), the first holding the master
   * weights and the optimiser; empty (the default) means one device, the engine's default.
   */
  public List<Device> devices() {
    return devices;
  }

  /** Data-parallel training across processes, when this process is one rank of several. */
  public Optional<Distributed> distributed() {
    return Optional.ofNullable(distributed);
  }

  public int loaderThreads() {
    return loaderThreads;
  }

  /** The format of the model's matrix multiplies; float32 master weights either way. */
  public Precision precision() {
    return precision;
  }

  public boolean skipBadImages() {
    return skipBadImages;
  }

  /** Steps between metrics-log lines. */
  public int logEvery() {
    return logEvery;
  }

  public List<StepListener> stepListeners() {
    return stepListeners;
  }

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

    public Builder config(SaimConfig v) {
      config = Objects.requireNonNull(v, "config");
      return this;
    }

    /** An image folder (class sub-folders) or an IDX images file; null for the embedded data. */
    public Builder data(@Nullable Path v) {
      data = v;
      return this;
    }

    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    /** Stop after this many optimiser steps (0: run all epochs). */
    public Builder maxSteps(long v) {
      maxSteps = v;
      return this;
    }

    /** Images per micro-batch, over all {@link #devices} (and {@link #distributed} ranks) together. */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /** Micro-batches whose gradients add up to one optimiser step (effective batch = batch size x accum iter). */
    public Builder accumIter(int v) {
      accumIter = v;
      return this;
    }

    /** Base learning rate; the peak is {@code blr * effective batch / 256}. */
    public Builder blr(double v) {
      blr = v;
      lr = null;
      return this;
    }

    /** An absolute peak learning rate, overriding the blr rule. */
    public Builder lr(double v) {
      lr = v;
      return this;
    }

    public Builder warmupEpochs(double v) {
      warmupEpochs = v;
      return this;
    }

    public Builder minLr(double v) {
      minLr = v;
      return this;
    }

    public Builder weightDecay(double v) {
      weightDecay = v;
      return this;
    }

    public Builder betas(double b1, double b2) {
      beta1 = b1;
      beta2 = b2;
      return this;
    }

    /** Clip the global gradient norm to {@code v}; null disables clipping. */
    public Builder clipGrad(@Nullable Double v) {
      clipGrad = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** {@link PermutationSampler.Kind#STOCHASTIC} (default) or {@link PermutationSampler.Kind#RASTER}. */
    public Builder order(PermutationSampler.Kind v) {
      order = Objects.requireNonNull(v, "order");
      return this;
    }

    public Builder augmentation(Augmentation v) {
      augmentation = Objects.requireNonNull(v, "augmentation");
      return this;
    }

    public Builder outputDir(Path v) {
      outputDir = Objects.requireNonNull(v, "outputDir");
      return this;
    }

    public Builder checkpointEvery(long v) {
      checkpointEvery = v;
      return this;
    }

    /**
     * Also keep the weights every {@code v} optimiser steps, as {@code weights-step<N>.safetensors}
     * (the format of {@code final.safetensors}, without the optimiser state), so that intermediate
     * encoders can be probed after the run; 0 (the default) keeps none. Unlike the checkpoint,
     * these files are never overwritten.
     */
    public Builder keepWeightsEvery(long v) {
      keepWeightsEvery = v;
      return this;
    }

    /** Resume from this checkpoint file (or a folder holding {@code checkpoint.safetensors}). */
    public Builder resume(@Nullable Path v) {
      resume = v;
      return this;
    }

    /** Resume automatically from the output folder's checkpoint (default true). */
    public Builder autoResume(boolean v) {
      autoResume = v;
      return this;
    }

    public Builder threads(int v) {
      threads = v;
      return this;
    }

    /**
     * Data-parallel training over these devices: each micro-batch of {@link #batchSize} images is
     * split evenly over them (the batch size must be a multiple of their number), every device
     * computes the gradient of its part on its own copy of the weights, the gradients are summed
     * on the first device and one optimiser step updates the weights there. The result does not
     * depend on the number of devices, up to float rounding, and checkpoints resume on any number
     * of devices. A device may be listed more than once (several copies on one device compute
     * their parts one after another). Empty (the default): the engine's default device alone.
     */
    public Builder devices(List<Device> v) {
      devices = List.copyOf(Objects.requireNonNull(v, "devices"));
      return this;
    }

    /** Varargs form of {@link #devices(List)}. */
    public Builder devices(Device... v) {
      return devices(List.of(v));
    }

    /**
     * Data-parallel training across processes ({@link Distributed}): {@link #batchSize} is then
     * the micro-batch over all ranks together (a multiple of the world size times the number of
     * {@link #devices}), and the learning-rate rule uses that global batch. Null (the default):
     * this process trains alone.
     */
    public Builder distributed(@Nullable Distributed v) {
      distributed = v;
      return this;
    }

    public Builder loaderThreads(int v) {
      loaderThreads = v;
      return this;
    }

    /** The format of the model's matrix multiplies (default {@link Precision#FP32}). */
    public Builder precision(Precision v) {
      precision = Objects.requireNonNull(v, "precision");
      return this;
    }

    /** Skip undecodable images (counted in the log) instead of failing. */
    public Builder skipBadImages(boolean v) {
      skipBadImages = v;
      return this;
    }

    public Builder logEvery(int v) {
      logEvery = v;
      return this;
    }

    public Builder onStep(StepListener l) {
      stepListeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    public Builder onEpoch(EpochListener l) {
      epochListeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the first invalid value
     */
    public SaimTrainer build() {
      Checks.check(epochs > 0, "epochs (%s) must be positive", epochs);
      Checks.check(maxSteps >= 0, "max steps (%s) must be 0 (no limit) or positive", maxSteps);
      Checks.check(batchSize > 0, "batch size (%s) must be positive", batchSize);
      Checks.check(accumIter > 0, "accum iter (%s) must be positive", accumIter);
      Checks.check(blr > 0 && Double.isFinite(blr), "blr (%s) must be positive", blr);
      Checks.check(lr == null || (lr > 0 && Double.isFinite(lr)), "lr (%s) must be positive", lr);
      Checks.check(warmupEpochs >= 0 && warmupEpochs <= epochs,
          "warm-up epochs (%s) must be in [0, epochs = %s]", warmupEpochs, epochs);
      Checks.check(minLr >= 0, "min lr (%s) must be non-negative", minLr);
      Checks.check(weightDecay >= 0, "weight decay (%s) must be non-negative", weightDecay);
      Checks.check(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
          "betas (%s, %s) must be in [0, 1)", beta1, beta2);
      Checks.check(clipGrad == null || clipGrad > 0, "clip grad (%s) must be positive", clipGrad);
      Checks.check(order != PermutationSampler.Kind.GIVEN,
          "order must be STOCHASTIC or RASTER for training, got %s", order);
      Checks.check(checkpointEvery > 0, "checkpoint interval (%s) must be positive", checkpointEvery);
      Checks.check(keepWeightsEvery >= 0, "kept-weights interval (%s) must be 0 (none) or positive", keepWeightsEvery);
      Checks.check(threads > 0, "threads (%s) must be positive", threads);
      Checks.check(devices.isEmpty() || batchSize % devices.size() == 0,
          "batch size (%s) must be a multiple of the number of devices (%s) to split evenly",
          batchSize, devices.size());
      int ranks = distributed == null ? 1 : distributed.worldSize();
      Checks.check(ranks == 1 || batchSize % (ranks * Math.max(1, devices.size())) == 0,
          "batch size (%s) must be a multiple of world size x devices (%s x %s) to split evenly",
          batchSize, ranks, Math.max(1, devices.size()));
      Checks.check(loaderThreads > 0, "loader threads (%s) must be positive", loaderThreads);
      Checks.check(logEvery > 0, "log interval (%s) must be positive", logEvery);
      return new SaimTrainer(this);
    }
  }
}
