package io.github.saimjava.downstream;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.model.ModelCheckpoint;
import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.StepEvent;
import io.github.saimjava.api.StepListener;
import io.github.saimjava.api.spi.ZooResolver;
import io.github.saimjava.data.BatchLoader;
import io.github.saimjava.data.ImageBatches;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.ImageTransform;
import io.github.saimjava.data.Mixup;
import io.github.saimjava.data.RandAugment;
import io.github.saimjava.data.RandomErasing;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.LoadReport;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.model.Scalars;
import io.github.saimjava.train.AdamW;
import io.github.saimjava.train.EngineThreads;
import io.github.saimjava.train.LrSchedule;
import io.github.saimjava.train.NoGrad;
import io.github.saimjava.train.Pretrainer;
import io.github.saimjava.train.TrainingDivergedException;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Fine-tuning of a pre-trained encoder for classification with the paper's protocol (the
 * reference's {@code main_finetune.py}): a {@link VitClassifier} (global pool + {@code fc_norm}
 * or class token, new linear head), AdamW with {@link LayerDecay layer-wise learning-rate decay}
 * and the fine-tuning no-decay rule, {@code lr = blr * effective batch / 256} with a per-iteration
 * linear warm-up and half-cycle cosine to {@code min_lr}, stochastic depth, soft-target
 * cross-entropy with label smoothing, mixup / CutMix ({@link Mixup}), RandAugment ({@link
 * RandAugment}), random erasing ({@link RandomErasing}), evaluation (top-1 / top-5) after every
 * epoch, the best epoch's weights kept.
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
  public static final String METRICS = "metrics.jsonl";
  /** Best and final accuracies. */
  public static final String SUMMARY = "metrics.json";
  /** The run's settings. */
  public static final String CONFIG = "config.json";

  static final String FORMAT = "saim-java-finetune-checkpoint-1";
  static final String OPTIM_PREFIX = ModelCheckpoint.OPTIMIZER_PREFIX;

  private final Builder s;
  private final Gson gson = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  private FineTuner(Builder s) {
    this.s = s;
  }

  /** A builder with the reference script's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** What one epoch achieved. */
  public record EpochReport(int epoch, double trainLoss, double lr, double top1, double top5, double testLoss,
      double seconds, boolean best) {}

  /** Called after every epoch's evaluation, on the training thread. */
  @FunctionalInterface
  public interface EpochListener {
    void onEpoch(EpochReport report);
  }

  /**
   * Evaluation of a classifier.
   *
   * @param top1 top-1 accuracy in percent
   * @param top5 top-5 accuracy in percent (100 with 5 classes or fewer)
   * @param loss mean cross-entropy
   * @param images images evaluated
   */
  public record Evaluation(double top1, double top5, double loss, int images) {}

  /**
   * What a fine-tuning run achieved.
   *
   * @param bestTop1 the best epoch's top-1 accuracy in percent
   * @param bestTop5 that epoch's top-5 accuracy in percent
   * @param bestEpoch the best epoch (0-based), -1 when no epoch ran (evaluation only)
   * @param finalTop1 the last epoch's top-1 accuracy in percent
   * @param finalTop5 the last epoch's top-5 accuracy in percent
   * @param finalTrainLoss the last epoch's mean training loss (NaN when no epoch ran)
   * @param epochs epochs done in total (including those before a resume)
   * @param steps optimiser steps done in total
   * @param resumedFromEpoch the epoch this invocation started at (0 for a fresh run)
   * @param bestWeights the best epoch's weights ({@code best.safetensors}), null when evaluating only
   * @param seconds wall time of this invocation
   * @param notes how the initial weights were loaded (what was ignored or newly initialised)
   */
  public record Result(double bestTop1, double bestTop5, int bestEpoch, double finalTop1, double finalTop5,
      double finalTrainLoss, int epochs, long steps, int resumedFromEpoch, @Nullable Path bestWeights,
      double seconds, List<String> notes) {}

  /** Settings of a fine-tuning run; defaults are those of the reference's {@code main_finetune.py}. */
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
    private double lr = Double.NaN;
    private double minLr = 1e-6;
    private double warmupEpochs = 5;
    private double weightDecay = 0.05;
    private double layerDecay = 0.75;
    private double dropPath = 0.1;
    private double clipGrad = Double.NaN;
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
    private int loaderThreads = 2;
    private @Nullable Path outputDir;
    private @Nullable Path resume;
    private boolean autoResume = true;
    private boolean evalOnly;
    private int stopAfterEpochs;
    private final List<StepListener> stepListeners = new ArrayList<>();
    private final List<EpochListener> epochListeners = new ArrayList<>();

    private Builder() {}

    /** Initial weights: our {@code final.safetensors} or checkpoint, or a reference {@code .pth} (its {@code model} entry). */
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
     * reference {@code .pth}; our checkpoints carry their own.
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

    /** Base learning rate: lr = blr * effective batch / 256 (reference: 1e-3; the paper's ViT-B: 5e-4). */
    public Builder blr(double v) {
      blr = v;
      return this;
    }

    /** Absolute peak learning rate, overriding {@link #blr}; NaN to use blr. */
    public Builder lr(double v) {
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

    /** Layer-wise learning-rate decay factor (reference: 0.75; the paper's ViT-B: 0.65); 1 disables it. */
    public Builder layerDecay(double v) {
      layerDecay = v;
      return this;
    }

    /** Stochastic-depth rate of the last block (reference: 0.1). */
    public Builder dropPath(double v) {
      dropPath = v;
      return this;
    }

    /** Clip the gradients' global norm to this value; NaN for no clipping (the reference's default). */
    public Builder clipGrad(double v) {
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

    /** RandAugment policy {@code rand-m<M>[-n<N>][-mstd<S>][-inc<0|1>]}, or {@code none} (reference: rand-m9-mstd0.5-inc1). */
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

    /** Seed of everything random: data order, augmentation, mixup, stochastic depth, head and random init. */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** Engine intra-op threads (default: all cores). */
    public Builder threads(int v) {
      threads = v;
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

    /** Only evaluate the {@link #checkpoint} (a fine-tuned model with its head) on the validation set. */
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

    /** Called after every epoch's evaluation. */
    public Builder onEpoch(EpochListener l) {
      epochListeners.add(Objects.requireNonNull(l));
      return this;
    }

    /** The effective batch: batch size x accumulation. */
    public int effectiveBatchSize() {
      return batchSize * accumIter;
    }

    /** The peak learning rate: {@link #lr} when given, else blr * effective batch / 256. */
    public double peakLr() {
      return Double.isNaN(lr) ? blr * effectiveBatchSize() / 256.0 : lr;
    }

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the first setting out of range
     */
    public FineTuner build() {
      int sources = (checkpoint != null ? 1 : 0) + (zoo != null ? 1 : 0);
      check(sources <= 1, "give a checkpoint or a zoo name, not both");
      check(sources == 1 || config != null, "fine-tuning needs a checkpoint, a zoo name or a config (for random initialisation)");
      check(!evalOnly || checkpoint != null, "evaluation only needs a fine-tuned --checkpoint (with its head)");
      check(train != null && val != null, "fine-tuning needs training and validation data");
      check(outputDir != null, "fine-tuning needs an output folder");
      check(epochs > 0, "epochs must be positive, got " + epochs);
      check(batchSize > 0 && accumIter > 0, "batch size (" + batchSize + ") and accum iter (" + accumIter
          + ") must be positive");
      check(blr > 0 && Double.isFinite(blr), "blr must be positive, got " + blr);
      check(Double.isNaN(lr) || (lr > 0 && Double.isFinite(lr)), "lr must be positive, got " + lr);
      check(minLr >= 0 && minLr <= peakLr(), "min lr must be in [0, lr], got " + minLr);
      check(warmupEpochs >= 0 && warmupEpochs <= epochs, "warm-up epochs must be in [0, epochs], got " + warmupEpochs);
      check(weightDecay >= 0, "weight decay must be non-negative, got " + weightDecay);
      check(layerDecay > 0 && layerDecay <= 1, "layer decay must be in (0, 1], got " + layerDecay);
      check(dropPath >= 0 && dropPath < 1, "drop path must be in [0, 1), got " + dropPath);
      check(Double.isNaN(clipGrad) || clipGrad > 0, "clip grad must be positive, got " + clipGrad);
      check(reprob >= 0 && reprob <= 1, "reprob must be in [0, 1], got " + reprob);
      check(threads > 0 && loaderThreads >= 0, "threads must be positive, got " + threads);
      RandAugment.parse(autoAugment); // names the part it cannot read
      check(stopAfterEpochs >= 0, "stop-after epochs must be non-negative, got " + stopAfterEpochs);
      int k = classes();
      check(k >= 2, "fine-tuning needs labelled data with at least 2 classes; "
          + Objects.requireNonNull(train).describe() + " has " + train.numClasses());
      Mixup m = mixupOf(k); // validates its settings
      check(!m.active() || batchSize % 2 == 0, "mixup and cutmix need an even --batch-size, got " + batchSize);
      return new FineTuner(this);
    }

    private int classes() {
      return numClasses > 0 ? numClasses
          : Math.max(Objects.requireNonNull(train).numClasses(), Objects.requireNonNull(val).numClasses());
    }

    private Mixup mixupOf(int k) {
      return new Mixup(mixup, cutmix, cutmixMinMax, mixupProb, mixupSwitchProb, smoothing, k);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  /** The initial weights and architecture. */
  private record Init(@Nullable Map<String, HostTensor> weights, SaimConfig config, String source) {}

  private Init init() throws IOException {
    Path ckpt = s.checkpoint;
    SaimConfig config = s.config;
    String source;
    if (s.zoo != null) {
      ZooResolver.Resolved r = ZooResolver.find(s.zoo);
      ckpt = r.weights();
      config = config != null ? config : r.config();
      source = "zoo:" + s.zoo;
    } else if (ckpt != null) {
      source = ckpt.toString();
    } else {
      return new Init(null, Objects.requireNonNull(config), "random-init seed " + s.seed);
    }
    ModelCheckpoint read = ModelCheckpoint.read(ckpt);
    return new Init(read.weights(), read.configOr(config), source);
  }

  /** Loads pre-trained (or, evaluating, fine-tuned) weights non-strictly; returns what was ignored or initialised. */
  private static List<String> loadInit(VitClassifier model, Map<String, HostTensor> weights, String source,
      boolean evalOnly) {
    Map<String, HostTensor> w = new LinkedHashMap<>(weights);
    List<String> notes = new ArrayList<>();
    if (!evalOnly) {
      // a new task gets a new head, as the reference does
      List<String> heads = new ArrayList<>();
      for (String k : List.of("head.weight", "head.bias")) {
        if (w.remove(k) != null) {
          heads.add(k);
        }
      }
      if (!heads.isEmpty()) {
        notes.add("not loaded, a new head is trained: " + heads);
      }
    }
    LoadReport r = model.load(w, false);
    List<String> fresh = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String m : r.missing()) {
      boolean newPart = m.startsWith("head.") || m.startsWith("fc_norm.");
      if (evalOnly ? m.equals("pos_embed") : newPart || m.equals("pos_embed")) {
        fresh.add(m);
      } else {
        missing.add(m);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(source + " does not fit the classifier: missing " + missing
          + (evalOnly ? " (evaluation needs a fine-tuned model with its head and pooling: check --global-pool/--cls-token)" : ""));
    }
    if (!fresh.isEmpty()) {
      notes.add("initialised anew: " + fresh);
    }
    if (!r.unexpected().isEmpty()) {
      List<String> u = r.unexpected();
      notes.add("ignored (not part of the classifier): "
          + (u.size() <= 6 ? u.toString() : u.subList(0, 6) + " and " + (u.size() - 6) + " more"));
    }
    return notes;
  }

  /**
   * Runs (or resumes) fine-tuning to the end, or only evaluates when {@link Builder#evalOnly} is set.
   *
   * @throws IllegalArgumentException for weights that do not fit, a checkpoint of another run, or
   *     images that cannot be decoded
   * @throws TrainingDivergedException when the loss stops being finite
   * @throws IOException when a file cannot be read or written
   */
  public Result run() throws IOException {
    long start = System.nanoTime();
    Init init = init();
    SaimConfig config = init.config();
    ImageDataset train = Objects.requireNonNull(s.train);
    ImageDataset val = Objects.requireNonNull(s.val);
    int k = s.classes();
    int c = config.channels();
    int size = config.imageSize();
    Path out = Objects.requireNonNull(s.outputDir);
    AtomicFiles.prepareFolder(out);
    ImageTransform trainTransform = RandomErasing.after(
        Transforms.fineTuneTrain(s.augmentation, size, c, RandAugment.parse(s.autoAugment)), s.reprob);
    ImageTransform evalTransform = Transforms.evaluationFor(s.augmentation, size, c);
    BatchLoader trainLoader = BatchLoader.builder(train, trainTransform).batchSize(s.batchSize).seed(s.seed)
        .threads(s.loaderThreads).dropLast(true).build();
    BatchLoader valLoader = BatchLoader.builder(val, evalTransform).batchSize(s.batchSize).seed(s.seed)
        .threads(s.loaderThreads).dropLast(false).build();
    int stepsPerEpoch = Pretrainer.stepsPerEpoch(train.size(), s.batchSize, s.accumIter);
    if (stepsPerEpoch == 0 && !s.evalOnly) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "batch size %d x accum iter %d is larger than the training set (%d images in %s): use a smaller --batch-size",
          s.batchSize, s.accumIter, train.size(), train.describe()));
    }
    JsonObject runConfig = runConfig(config, init.source(), k, stepsPerEpoch, trainTransform, evalTransform);
    Engine engine = EngineThreads.pytorch(s.threads);
    try (NDManager manager = engine.newBaseManager();
        VitClassifier model = new VitClassifier(config, k, s.globalPool, s.dropPath,
            init.weights() != null ? 2e-5 : 0.02, manager, s.seed);
        AdamW opt = new AdamW(manager, 0.9, 0.999, 1e-8, s.weightDecay)) {
      List<String> notes = init.weights() != null
          ? loadInit(model, init.weights(), init.source(), s.evalOnly) : List.of("random initialisation, seed " + s.seed);
      if (s.evalOnly) {
        Evaluation e = evaluate(model, valLoader, manager, config);
        writeSummary(out, e.top1(), e.top5(), -1, e.top1(), e.top5(), Double.NaN, 0, init.source(), k);
        return new Result(e.top1(), e.top5(), -1, e.top1(), e.top5(), Double.NaN, 0, 0, 0, null,
            (System.nanoTime() - start) / 1e9, notes);
      }
      Map<String, NDArray> params = model.trainable();
      LayerDecay groups = new LayerDecay(config.depth(), s.layerDecay);
      State st = resumeIfAsked(model, opt, params, runConfig);
      AtomicFiles.write(out.resolve(CONFIG), (gson.newBuilder().setPrettyPrinting().create()
          .toJson(runConfig) + "\n").getBytes(StandardCharsets.UTF_8));
      trimMetrics(out.resolve(METRICS), st.epochs);
      int resumedFrom = st.epochs;
      LrSchedule schedule = new LrSchedule(s.peakLr(), s.minLr, s.warmupEpochs, s.epochs);
      Mixup mixup = s.mixupOf(k);
      long totalSteps = (long) stepsPerEpoch * s.epochs;
      long imagesThisRun = 0;
      int imagesPerStep = s.effectiveBatchSize();
      try (Writer metrics = Files.newBufferedWriter(out.resolve(METRICS), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        int lastEpoch = s.stopAfterEpochs > 0 ? Math.min(s.epochs, s.stopAfterEpochs) : s.epochs;
        for (int epoch = st.epochs; epoch < lastEpoch; epoch++) {
          long epochStart = System.nanoTime();
          double lossSum = 0;
          double lr = 0;
          try (ImageBatches.Stream batches = trainLoader.open(epoch, 0)) {
            for (int step = 0; step < stepsPerEpoch; step++) {
              lr = schedule.at(epoch + (double) step / stepsPerEpoch);
              // stochastic depth draws from the engine's generator: seeded per step for exact resumes
              engine.setRandomSeed((int) (s.seed * 1_000_003L + st.steps));
              double stepLoss = 0;
              try (NDScope scope = new NDScope()) {
                for (int micro = 0; micro < s.accumIter; micro++) {
                  ImageBatches.Batch b = batches.next();
                  float[] pixels = b.pixels();
                  int n = b.count();
                  float[] targets = mixup.active()
                      ? mixup.apply(pixels, b.labels(), c, size, size,
                          Mixup.random(s.seed, epoch, (long) step * s.accumIter + micro)).targets()
                      : mixup.targets(b.labels(), 1.0);
                  NDArray x = manager.create(pixels, new Shape(n, c, size, size));
                  NDArray t = manager.create(targets, new Shape(n, k));
                  try (GradientCollector gc = engine.newGradientCollector()) {
                    NDArray loss = softTargetCrossEntropy(model.forward(x, true), t);
                    float v = loss.getFloat();
                    if (!Float.isFinite(v)) {
                      throw diverged(v, st.steps, epoch + (double) step / stepsPerEpoch);
                    }
                    stepLoss += v;
                    gc.backward(s.accumIter == 1 ? loss : Scalars.div(loss, s.accumIter));
                  }
                }
                if (!Double.isNaN(s.clipGrad)) {
                  Pretrainer.clipGradients(params, s.clipGrad);
                }
                opt.step(params, lr, groups);
                AdamW.zeroGrad(params);
              }
              stepLoss /= s.accumIter;
              lossSum += stepLoss;
              st.steps++;
              imagesThisRun += imagesPerStep;
              double secs = (System.nanoTime() - start) / 1e9;
              double ips = imagesThisRun / Math.max(secs, 1e-9);
              StepEvent ev = new StepEvent(st.steps, totalSteps, epoch + (step + 1.0) / stepsPerEpoch, stepLoss, lr,
                  ips, (totalSteps - st.steps) * imagesPerStep / Math.max(ips, 1e-9));
              for (StepListener l : s.stepListeners) {
                l.onStep(ev);
              }
            }
          }
          double trainLoss = lossSum / stepsPerEpoch;
          Evaluation e = evaluate(model, valLoader, manager, config);
          boolean best = st.bestEpoch < 0 || e.top1() > st.bestTop1;
          if (best) {
            st.bestTop1 = e.top1();
            st.bestTop5 = e.top5();
            st.bestEpoch = epoch;
            writeWeights(out.resolve(BEST), model, runConfig, epoch, e);
          }
          st.epochs = epoch + 1;
          st.finalTop1 = e.top1();
          st.finalTop5 = e.top5();
          st.finalTrainLoss = trainLoss;
          double secs = (System.nanoTime() - epochStart) / 1e9;
          writeLine(metrics, String.format(Locale.ROOT,
              "{\"epoch\":%d,\"train_loss\":%s,\"lr\":%s,\"test_top1\":%s,\"test_top5\":%s,\"test_loss\":%s,"
                  + "\"steps\":%d,\"time_s\":%.3f,\"skipped_images\":%d}",
              epoch, trainLoss, lr, e.top1(), e.top5(), e.loss(), st.steps, secs, trainLoader.skippedImages()));
          writeCheckpoint(out.resolve(CHECKPOINT), model, opt, st, runConfig);
          EpochReport report = new EpochReport(epoch, trainLoss, lr, e.top1(), e.top5(), e.loss(), secs, best);
          for (EpochListener l : s.epochListeners) {
            l.onEpoch(report);
          }
        }
      }
      writeSummary(out, st.bestTop1, st.bestTop5, st.bestEpoch, st.finalTop1, st.finalTop5, st.finalTrainLoss,
          st.epochs, init.source(), k);
      return new Result(st.bestTop1, st.bestTop5, st.bestEpoch, st.finalTop1, st.finalTop5, st.finalTrainLoss,
          st.epochs, st.steps, resumedFrom, out.resolve(BEST), (System.nanoTime() - start) / 1e9, notes);
    }
  }

  /** {@code mean_i sum_k -t_ik log softmax(z_i)_k}: cross-entropy against soft targets (label smoothing and mixup included). */
  public static NDArray softTargetCrossEntropy(NDArray logits, NDArray targets) {
    return logits.logSoftmax(-1).mul(targets).sum(new int[] {-1}).neg().mean();
  }

  /**
   * Top-1 / top-5 accuracy and mean cross-entropy of {@code model} on every image of {@code
   * data} (the last partial batch included), without stochastic depth or autograd.
   */
  public static Evaluation evaluate(VitClassifier model, BatchLoader data, NDManager manager, SaimConfig config) {
    int k = model.numClasses();
    int c = config.channels();
    int size = config.imageSize();
    long top1 = 0;
    long top5 = 0;
    double loss = 0;
    int images = 0;
    try (ImageBatches.Stream batches = data.open(0, 0); NoGrad ng = NoGrad.enter()) {
      for (int i = 0; i < data.batchesPerEpoch(); i++) {
        ImageBatches.Batch b = batches.next();
        float[] z;
        try (NDScope scope = new NDScope()) {
          z = model.forward(manager.create(b.pixels(), new Shape(b.count(), c, size, size)), false).toFloatArray();
        }
        for (int r = 0; r < b.count(); r++) {
          int y = b.labels()[r];
          if (y < 0 || y >= k) {
            throw new IllegalArgumentException(data.describe() + ": image " + b.indices()[r] + " has label " + y
                + ", outside 0.." + (k - 1));
          }
          int above = 0;
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < k; j++) {
            float v = z[r * k + j];
            max = Math.max(max, v);
            if (v > z[r * k + y] || (v == z[r * k + y] && j < y)) {
              above++;
            }
          }
          double sum = 0;
          for (int j = 0; j < k; j++) {
            sum += Math.exp(z[r * k + j] - max);
          }
          loss += Math.log(sum) + max - z[r * k + y];
          top1 += above == 0 ? 1 : 0;
          top5 += above < 5 ? 1 : 0;
        }
        images += b.count();
      }
    }
    return new Evaluation(100.0 * top1 / images, 100.0 * top5 / images, loss / images, images);
  }

  /** The mutable state of a run, saved in checkpoints. */
  private static final class State {
    int epochs;
    long steps;
    double bestTop1 = Double.NaN;
    double bestTop5 = Double.NaN;
    int bestEpoch = -1;
    double finalTop1 = Double.NaN;
    double finalTop5 = Double.NaN;
    double finalTrainLoss = Double.NaN;
  }

  private TrainingDivergedException diverged(float value, long step, double epoch) {
    Path ckpt = Objects.requireNonNull(s.outputDir).resolve(CHECKPOINT);
    String kept = Files.exists(ckpt) ? "the last good checkpoint " + ckpt + " is intact" : "no checkpoint was written yet";
    return new TrainingDivergedException(String.format(Locale.ROOT,
        "loss is %s at step %d (epoch %.3f); training stopped and %s. Lower --blr or enable --clip-grad.",
        value, step + 1, epoch, kept));
  }

  private JsonObject runConfig(SaimConfig config, String source, int k, int stepsPerEpoch, ImageTransform train,
      ImageTransform eval) {
    JsonObject t = new JsonObject();
    t.addProperty("init", source);
    ImageDataset tr = Objects.requireNonNull(s.train);
    ImageDataset va = Objects.requireNonNull(s.val);
    t.addProperty("data", s.dataName != null ? s.dataName : tr.name() + " | " + va.name());
    t.addProperty("train_images", tr.size());
    t.addProperty("val_images", va.size());
    t.addProperty("nb_classes", k);
    t.addProperty("epochs", s.epochs);
    t.addProperty("batch_size", s.batchSize);
    t.addProperty("accum_iter", s.accumIter);
    t.addProperty("effective_batch_size", s.effectiveBatchSize());
    t.addProperty("blr", s.blr);
    t.addProperty("lr", s.peakLr());
    t.addProperty("min_lr", s.minLr);
    t.addProperty("warmup_epochs", s.warmupEpochs);
    t.addProperty("weight_decay", s.weightDecay);
    t.addProperty("layer_decay", s.layerDecay);
    t.addProperty("drop_path", s.dropPath);
    if (Double.isNaN(s.clipGrad)) {
      t.add("clip_grad", JsonNull.INSTANCE);
    } else {
      t.addProperty("clip_grad", s.clipGrad);
    }
    t.addProperty("smoothing", s.smoothing);
    t.addProperty("mixup", s.mixup);
    t.addProperty("cutmix", s.cutmix);
    if (s.cutmixMinMax == null) {
      t.add("cutmix_minmax", JsonNull.INSTANCE);
    } else {
      t.addProperty("cutmix_minmax", s.cutmixMinMax[0] + "," + s.cutmixMinMax[1]);
    }
    t.addProperty("mixup_prob", s.mixupProb);
    t.addProperty("mixup_switch_prob", s.mixupSwitchProb);
    t.addProperty("aa", s.autoAugment);
    t.addProperty("reprob", s.reprob);
    t.addProperty("global_pool", s.globalPool);
    t.addProperty("seed", s.seed);
    t.addProperty("threads", s.threads);
    t.addProperty("steps_per_epoch", stepsPerEpoch);
    t.addProperty("train_transform", train.describe());
    t.addProperty("eval_transform", eval.describe());
    JsonObject all = new JsonObject();
    all.add("model", ReferenceConfig.toJson(config));
    all.add("finetune", t);
    return all;
  }

  private State resumeIfAsked(VitClassifier model, AdamW opt, Map<String, NDArray> params, JsonObject runConfig)
      throws IOException {
    Path out = Objects.requireNonNull(s.outputDir);
    Path ckpt = null;
    if (s.resume != null) {
      ckpt = Files.isDirectory(s.resume) ? s.resume.resolve(CHECKPOINT) : s.resume;
      if (!Files.isRegularFile(ckpt)) {
        throw new IllegalArgumentException("resume checkpoint " + ckpt + " does not exist");
      }
    } else if (s.autoResume && Files.isRegularFile(out.resolve(CHECKPOINT))) {
      ckpt = out.resolve(CHECKPOINT);
    }
    State st = new State();
    if (ckpt == null) {
      return st;
    }
    SafeTensors.Contents c = SafeTensors.read(ckpt);
    Map<String, String> meta = c.metadata();
    if (!FORMAT.equals(meta.get("format"))) {
      throw new IllegalArgumentException(ckpt + " is not a saim-java fine-tuning checkpoint (format "
          + meta.get("format") + ")");
    }
    JsonObject saved = JsonParser.parseString(meta.getOrDefault("run", "{}")).getAsJsonObject();
    String mismatch = Pretrainer.firstDifference(resumeKey(saved), resumeKey(runConfig), "");
    if (mismatch != null) {
      throw new IllegalArgumentException("resume checkpoint " + ckpt + " is from another configuration ("
          + mismatch + "): use the same settings, or a new --output folder");
    }
    Map<String, HostTensor> weights = new LinkedHashMap<>();
    Map<String, HostTensor> optim = new LinkedHashMap<>();
    c.tensors().forEach((key, v) -> {
      if (key.startsWith(OPTIM_PREFIX)) {
        optim.put(key.substring(OPTIM_PREFIX.length()), v);
      } else {
        weights.put(key, v);
      }
    });
    model.load(weights, true);
    try {
      st.epochs = Integer.parseInt(meta.get("epochs"));
      st.steps = Long.parseLong(meta.get("step"));
      st.bestTop1 = Double.parseDouble(meta.get("best_top1"));
      st.bestTop5 = Double.parseDouble(meta.get("best_top5"));
      st.bestEpoch = Integer.parseInt(meta.get("best_epoch"));
      st.finalTop1 = Double.parseDouble(meta.get("final_top1"));
      st.finalTop5 = Double.parseDouble(meta.get("final_top5"));
      st.finalTrainLoss = Double.parseDouble(meta.get("final_train_loss"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(ckpt + ": damaged run state in the metadata (" + e.getMessage() + ")", e);
    }
    opt.restore(optim, st.steps, params);
    return st;
  }

  /** What must match for a checkpoint to continue this run. */
  private static JsonObject resumeKey(JsonObject runConfig) {
    JsonObject key = runConfig.deepCopy();
    if (key.has("finetune")) {
      key.getAsJsonObject("finetune").remove("threads");
    }
    return key;
  }

  private void writeCheckpoint(Path file, VitClassifier model, AdamW opt, State st, JsonObject runConfig)
      throws IOException {
    Map<String, HostTensor> tensors = new LinkedHashMap<>(model.stateDict());
    opt.state().forEach((key, v) -> tensors.put(OPTIM_PREFIX + key, v));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("epochs", Integer.toString(st.epochs));
    meta.put("step", Long.toString(st.steps));
    meta.put("best_top1", Double.toString(st.bestTop1));
    meta.put("best_top5", Double.toString(st.bestTop5));
    meta.put("best_epoch", Integer.toString(st.bestEpoch));
    meta.put("final_top1", Double.toString(st.finalTop1));
    meta.put("final_top5", Double.toString(st.finalTop5));
    meta.put("final_train_loss", Double.toString(st.finalTrainLoss));
    meta.put("run", gson.toJson(runConfig));
    meta.put("config", gson.toJson(runConfig.get("model")));
    meta.put("num_classes", Integer.toString(model.numClasses()));
    meta.put("global_pool", Boolean.toString(model.globalPool()));
    SafeTensors.write(file, tensors, meta);
  }

  private void writeWeights(Path file, VitClassifier model, JsonObject runConfig, int epoch, Evaluation e)
      throws IOException {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "saim-java-weights-1");
    meta.put("config", gson.toJson(runConfig.get("model")));
    meta.put("num_classes", Integer.toString(model.numClasses()));
    meta.put("global_pool", Boolean.toString(model.globalPool()));
    meta.put("epoch", Integer.toString(epoch));
    meta.put("top1", Double.toString(e.top1()));
    meta.put("top5", Double.toString(e.top5()));
    SafeTensors.write(file, model.stateDict(), meta);
  }

  private void writeSummary(Path out, double bestTop1, double bestTop5, int bestEpoch, double finalTop1,
      double finalTop5, double finalTrainLoss, int epochs, String source, int k) throws IOException {
    JsonObject m = new JsonObject();
    m.addProperty("best_top1", bestTop1);
    m.addProperty("best_top5", bestTop5);
    m.addProperty("best_epoch", bestEpoch);
    m.addProperty("final_top1", finalTop1);
    m.addProperty("final_top5", finalTop5);
    if (Double.isNaN(finalTrainLoss)) {
      m.add("final_train_loss", JsonNull.INSTANCE);
    } else {
      m.addProperty("final_train_loss", finalTrainLoss);
    }
    m.addProperty("epochs", epochs);
    m.addProperty("eval_only", s.evalOnly);
    m.addProperty("train_images", Objects.requireNonNull(s.train).size());
    m.addProperty("val_images", Objects.requireNonNull(s.val).size());
    m.addProperty("nb_classes", k);
    m.addProperty("init", source);
    AtomicFiles.write(out.resolve(SUMMARY),
        (gson.newBuilder().setPrettyPrinting().create().toJson(m) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static void writeLine(Writer w, String line) throws IOException {
    w.write(line);
    w.write('\n');
    w.flush();
  }

  /** Keeps the lines of epochs before {@code epochs} (a resume repeats the later ones). */
  static void trimMetrics(Path metrics, int epochs) throws IOException {
    if (!Files.exists(metrics)) {
      return;
    }
    List<String> keep = new ArrayList<>();
    for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
      try {
        if (!line.isBlank() && JsonParser.parseString(line).getAsJsonObject().get("epoch").getAsInt() < epochs) {
          keep.add(line);
        }
      } catch (RuntimeException e) {
        // a line cut short by a kill: drop it
      }
    }
    AtomicFiles.write(metrics, (keep.isEmpty() ? "" : String.join("\n", keep) + "\n").getBytes(StandardCharsets.UTF_8));
  }
}
