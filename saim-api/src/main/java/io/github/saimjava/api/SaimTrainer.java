package io.github.saimjava.api;

import ai.djl.Device;
import io.github.saimjava.api.spi.SaimProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
  private final Spec spec;

  /**
   * The k-NN monitor's default number of labelled images per evaluation ({@link
   * Builder#knnImages}).
   */
  public static final int DEFAULT_KNN_IMAGES = 800;

  private SaimTrainer(Spec spec) {
    this.spec = spec;
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
    Spec s = spec;
    OptimizerSettings o = s.optimizer();
    b.config = s.config();
    b.data = s.data();
    b.maxSteps = s.maxSteps();
    b.copy(s);
    b.beta1 = o.beta1();
    b.beta2 = o.beta2();
    b.order = s.order();
    b.augmentation = s.augmentation();
    b.checkpointEvery = s.checkpointEvery();
    b.keepWeightsEvery = s.keepWeightsEvery();
    b.knnEvery = s.knnEvery();
    b.knnData = s.knnData();
    b.knnImages = s.knnImages();
    b.devices = s.devices();
    b.distributed = s.distributed();
    b.skipBadImages = s.skipBadImages();
    b.logEvery = s.logEvery();
    b.epochListeners.addAll(s.epochListeners());
    return b;
  }

  /** {@return the validated settings, as the implementation receives them} */
  public Spec spec() {
    return spec;
  }

  /**
   * {@return the peak learning rate: the absolute one if set, else {@code blr * effectiveBatch /
   * 256}}
   */
  public double peakLr() {
    return spec.peakLr();
  }

  /**
   * Trains, writing to the output folder, and returns what happened.
   *
   * @return the run's figures
   * @throws IllegalArgumentException for bad input (data, resume checkpoint), naming it
   * @throws IOException when the output cannot be written
   */
  public TrainingSummary fit() throws IOException {
    return SaimProvider.load().fit(spec);
  }

  /**
   * What {@link Builder#build()} hands to the implementation: the builder's settings, validated and
   * immutable.
   *
   * @param config the model's architecture and target settings
   * @param data the image folder or IDX file; null for the embedded Fashion-MNIST subset
   * @param epochs the number of epochs of the schedule
   * @param maxSteps the number of optimiser steps after which training stops early; 0 for no limit
   * @param batchSize the number of images per micro-batch, over all devices and ranks together
   * @param accumIter the number of micro-batches accumulated per optimiser step
   * @param optimizer the AdamW settings and schedule, the type fine-tuning uses too
   * @param seed the seed of the initialisation, the data order, the augmentation and the
   *     permutations
   * @param order the prediction order: stochastic (the paper) or raster
   * @param augmentation the augmentation of the training images
   * @param outputDir the folder the run writes its checkpoint, weights and metrics to
   * @param checkpointEvery the number of optimiser steps between checkpoints (one is always written
   *     at the end)
   * @param keepWeightsEvery the number of optimiser steps between kept weight files ({@code
   *     weights-step<N>.safetensors}); 0 keeps none
   * @param knnEvery the number of optimiser steps between k-NN evaluations of the encoder on {@code
   *     knnData} (logged in {@code metrics.jsonl}); 0 evaluates none
   * @param knnData the labelled data of the k-NN monitor ({@code train/} + {@code val/} folders or
   *     an IDX pair); null for the embedded Fashion-MNIST subset
   * @param knnImages the number of labelled images each k-NN evaluation embeds (four fifths
   *     neighbours from the training half, one fifth classified from the other, a fixed seeded
   *     choice); 0 for all of them
   * @param resume an explicit checkpoint to resume from; null for none
   * @param autoResume whether a checkpoint found in the output folder is resumed automatically
   * @param threads the number of engine (intra-op) threads
   * @param devices the devices each micro-batch is split over (data-parallel), the first holding
   *     the master weights and the optimiser; empty means one device, the engine's default
   * @param distributed the ranks' settings when this process is one rank of several; null when it
   *     trains alone
   * @param loaderThreads the number of threads decoding and augmenting images ahead of the step
   * @param precision the format of the model's matrix multiplies; float32 master weights either way
   * @param skipBadImages whether undecodable images are skipped (and counted) instead of failing
   *     the run
   * @param logEvery the number of steps between metrics-log lines
   * @param stepListeners the listeners called after every optimiser step
   * @param epochListeners the listeners called at the end of every epoch
   */
  public record Spec(
      SaimConfig config,
      @Nullable Path data,
      int epochs,
      long maxSteps,
      int batchSize,
      int accumIter,
      OptimizerSettings optimizer,
      long seed,
      PermutationSampler.Kind order,
      Augmentation augmentation,
      Path outputDir,
      long checkpointEvery,
      long keepWeightsEvery,
      long knnEvery,
      @Nullable Path knnData,
      int knnImages,
      @Nullable Path resume,
      boolean autoResume,
      int threads,
      List<Device> devices,
      @Nullable Distributed distributed,
      int loaderThreads,
      Precision precision,
      boolean skipBadImages,
      int logEvery,
      List<StepListener> stepListeners,
      List<EpochListener> epochListeners)
      implements TrainingSpec {
    /**
     * Checks the values; each message names the setting and its value.
     *
     * @param config see {@link #config()}
     * @param data see {@link #data()}
     * @param epochs see {@link #epochs()}
     * @param maxSteps see {@link #maxSteps()}
     * @param batchSize see {@link #batchSize()}
     * @param accumIter see {@link #accumIter()}
     * @param optimizer see {@link #optimizer()}
     * @param seed see {@link #seed()}
     * @param order see {@link #order()}
     * @param augmentation see {@link #augmentation()}
     * @param outputDir see {@link #outputDir()}
     * @param checkpointEvery see {@link #checkpointEvery()}
     * @param keepWeightsEvery see {@link #keepWeightsEvery()}
     * @param knnEvery see {@link #knnEvery()}
     * @param knnData see {@link #knnData()}
     * @param knnImages see {@link #knnImages()}
     * @param resume see {@link #resume()}
     * @param autoResume see {@link #autoResume()}
     * @param threads see {@link #threads()}
     * @param devices see {@link #devices()}
     * @param distributed see {@link #distributed()}
     * @param loaderThreads see {@link #loaderThreads()}
     * @param precision see {@link #precision()}
     * @param skipBadImages see {@link #skipBadImages()}
     * @param logEvery see {@link #logEvery()}
     * @param stepListeners see {@link #stepListeners()}
     * @param epochListeners see {@link #epochListeners()}
     */
    public Spec {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(optimizer, "optimizer");
      Objects.requireNonNull(order, "order");
      Objects.requireNonNull(augmentation, "augmentation");
      Objects.requireNonNull(outputDir, "outputDir");
      Objects.requireNonNull(precision, "precision");
      devices = List.copyOf(devices);
      stepListeners = List.copyOf(stepListeners);
      epochListeners = List.copyOf(epochListeners);
      Checks.check(epochs > 0, "epochs (%s) must be positive", epochs);
      Checks.check(maxSteps >= 0, "maxSteps (%s) must be 0 (no limit) or positive", maxSteps);
      Checks.check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      Checks.check(accumIter > 0, "accumIter (%s) must be positive", accumIter);
      // the schedule's two run-relative settings are checked here, the rest by OptimizerSettings
      Checks.warmupWithin(optimizer, epochs);
      Checks.check(optimizer.minLr() >= 0, "minLr (%s) must be non-negative", optimizer.minLr());
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
      Checks.check(knnImages >= 0, "knnImages (%s) must be 0 (all) or positive", knnImages);
      Checks.check(
          knnImages == DEFAULT_KNN_IMAGES || knnEvery > 0,
          "knnImages is set but knnEvery is 0: the monitor would never run");
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
    }

    /** {@return the number of images per optimiser step: batchSize * accumIter} */
    public int effectiveBatchSize() {
      return batchSize * accumIter;
    }

    /**
     * {@return the peak learning rate: the absolute one if set, else {@code blr * effectiveBatch /
     * 256}}
     */
    public double peakLr() {
      return optimizer.peakLr(effectiveBatchSize());
    }
  }

  /** Builds a {@link SaimTrainer}; validation happens in {@link #build()}. */
  public static final class Builder extends TrainingBuilder<Builder> {
    private SaimConfig config = SaimConfig.vitBase();
    private @Nullable Path data;
    private long maxSteps;
    private double beta1 = 0.9;
    private double beta2 = 0.95;
    private PermutationSampler.Kind order = PermutationSampler.Kind.STOCHASTIC;
    private Augmentation augmentation = Augmentation.RANDOM_RESIZED_CROP;
    private long checkpointEvery = 1000;
    private long keepWeightsEvery;
    private long knnEvery;
    private @Nullable Path knnData;
    private int knnImages = DEFAULT_KNN_IMAGES;
    private List<Device> devices = List.of();
    private @Nullable Distributed distributed;
    private boolean skipBadImages;
    private int logEvery = 1;
    private final List<EpochListener> epochListeners = new ArrayList<>();

    private Builder() {
      super(1, 2e-4, 0, 1, Path.of("saim-output"));
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * Sets {@link Spec#config()}.
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
     * AdamW's moment decay rates (default the paper's 0.9 and 0.95).
     *
     * @param b1 the first moment's rate, {@link OptimizerSettings#beta1()}
     * @param b2 the second moment's rate, {@link OptimizerSettings#beta2()}
     * @return this builder
     */
    public Builder betas(double b1, double b2) {
      beta1 = b1;
      beta2 = b2;
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
     * Sets {@link Spec#augmentation()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder augmentation(Augmentation v) {
      augmentation = Objects.requireNonNull(v, "augmentation");
      return this;
    }

    /**
     * Sets {@link Spec#checkpointEvery()}.
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
     * How many labelled images each k-NN evaluation embeds: four fifths of them neighbours from the
     * training half of {@link #knnData}, one fifth classified from the other half, chosen once by a
     * fixed seed; 0 for every image. Default {@value SaimTrainer#DEFAULT_KNN_IMAGES}: each
     * evaluation embeds every one of its images, so its cost grows with this number (measured: all
     * 12,000 images of the embedded subset cost 22-25 s an evaluation on 2 cores, 37% of the
     * README's quick-start run at {@code knnEvery(50)}).
     *
     * @param v the number, or 0 for all
     * @return this builder
     */
    public Builder knnImages(int v) {
      knnImages = v;
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
     * Sets {@link Spec#logEvery()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder logEvery(int v) {
      logEvery = v;
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
     * Validates and builds; the builder is left as it was.
     *
     * @return the trainer
     * @throws IllegalArgumentException naming the first invalid value
     */
    public SaimTrainer build() {
      // the Spec and OptimizerSettings check every value, TrainingBuilder the pair blr / lr
      OptimizerSettings optimizer =
          optimizer(warmupEpochs == null ? 0 : warmupEpochs, beta1, beta2);
      return new SaimTrainer(
          new Spec(
              config,
              data,
              epochs,
              maxSteps,
              batchSize,
              accumIter,
              optimizer,
              seed,
              order,
              augmentation,
              outputDir,
              checkpointEvery,
              keepWeightsEvery,
              knnEvery,
              knnData,
              knnImages,
              resume,
              autoResume,
              threads,
              devices,
              distributed,
              loaderThreads,
              precision,
              skipBadImages,
              logEvery,
              stepListeners,
              epochListeners));
    }
  }
}
