package io.github.saimjava.downstream;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.github.saimjava.api.EvaluationEvent;
import io.github.saimjava.api.EvaluationListener;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimClassifier.Head;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimFineTuner;
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
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.Bf16Support;
import io.github.saimjava.model.LoadReport;
import io.github.saimjava.model.ModelCheckpoint;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.model.Scalars;
import io.github.saimjava.train.AdamW;
import io.github.saimjava.train.Devices;
import io.github.saimjava.train.EngineThreads;
import io.github.saimjava.train.EpochSteps;
import io.github.saimjava.train.GradientClipping;
import io.github.saimjava.train.LrSchedule;
import io.github.saimjava.train.RunFolder;
import io.github.saimjava.train.TrainingCheckpoint;
import io.github.saimjava.train.TrainingDivergedException;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import org.jspecify.annotations.Nullable;

/**
 * The fine-tuning loop of {@link FineTuner}, reading the API's validated {@link
 * SaimFineTuner.Spec}: the initial weights, the data pipeline, then for each epoch the optimiser
 * steps (mixup / CutMix, soft-target loss, {@code accumIter} micro-batches, optional clipping, one
 * AdamW step with layer-wise decay), the evaluation, the best weights and the checkpoint ({@link
 * FineTuneCheckpoint}). The metrics log gets one line per epoch.
 */
final class FineTuneLoop {
  private final SaimFineTuner.Spec s;
  private final ImageDataset train;
  private final ImageDataset val;

  /** The number of classes: the spec's, else the larger of the datasets' counts. */
  private final int numClasses;

  /** The peak learning rate: the spec's lr when given, else blr * effective batch / 256. */
  private final double peakLr;

  FineTuneLoop(SaimFineTuner.Spec spec, ImageDataset train, ImageDataset val, int numClasses) {
    this.s = spec;
    this.train = train;
    this.val = val;
    this.numClasses = numClasses;
    this.peakLr = spec.optimizer().peakLr(effectiveBatchSize());
  }

  /** The effective batch: batch size x accumulation. */
  private int effectiveBatchSize() {
    return s.batchSize() * s.accumIter();
  }

  /** The initial weights and architecture. */
  private record Init(
      @Nullable Map<String, HostTensor> weights, SaimConfig config, String source) {}

  private Init init() throws IOException {
    Path ckpt = s.checkpoint();
    SaimConfig config = s.config();
    String source;
    if (s.zoo() != null) {
      ZooResolver.Resolved r = ZooResolver.find(s.zoo());
      ckpt = r.weights();
      config = r.config();
      source = "zoo:" + s.zoo();
    } else if (ckpt != null) {
      source = ckpt.toString();
    } else {
      return new Init(null, Objects.requireNonNull(config), "random-init seed " + s.seed());
    }
    ModelCheckpoint read = ModelCheckpoint.read(ckpt);
    return new Init(read.weights(), read.configOr(config), source);
  }

  /**
   * Loads pre-trained (or, evaluating, fine-tuned) weights non-strictly; returns what was ignored
   * or initialised.
   */
  private static List<String> loadInit(
      VitClassifier model, Map<String, HostTensor> weights, String source, boolean evalOnly) {
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
      throw new IllegalArgumentException(
          source
              + " does not fit the classifier: missing "
              + missing
              + (evalOnly
                  ? " (evaluation needs a fine-tuned model with its head and pooling: check"
                      + " globalPool)"
                  : ""));
    }
    if (!fresh.isEmpty()) {
      notes.add("initialised anew: " + fresh);
    }
    if (!r.unexpected().isEmpty()) {
      List<String> u = r.unexpected();
      notes.add(
          "ignored (not part of the classifier): "
              + (u.size() <= 6
                  ? u.toString()
                  : u.subList(0, 6) + " and " + (u.size() - 6) + " more"));
    }
    return notes;
  }

  /**
   * Runs (or resumes) fine-tuning to the end, or only evaluates when the spec's {@code evalOnly} is
   * set.
   *
   * @throws IllegalArgumentException for weights that do not fit, a checkpoint of another run, or
   *     images that cannot be decoded
   * @throws TrainingDivergedException when the loss stops being finite
   * @throws IOException when a file cannot be read or written
   */
  SaimFineTuner.Result run() throws IOException {
    long start = System.nanoTime();
    Init init = init();
    SaimConfig config = init.config();
    int k = numClasses;
    int c = config.channels();
    int size = config.imageSize();
    RunFolder folder = new RunFolder(s.outputDir());
    Path out = folder.dir();
    folder.prepare();
    ImageTransform trainTransform =
        RandomErasing.after(
            Transforms.fineTuneTrain(s.augmentation(), size, c, RandAugment.parse(s.autoAugment())),
            s.reprob());
    ImageTransform evalTransform = Transforms.evaluationFor(s.augmentation(), size, c);
    BatchLoader trainLoader =
        BatchLoader.builder(train, trainTransform)
            .batchSize(s.batchSize())
            .seed(s.seed())
            .threads(s.loaderThreads())
            .dropLast(true)
            .build();
    BatchLoader valLoader =
        BatchLoader.builder(val, evalTransform)
            .batchSize(s.batchSize())
            .seed(s.seed())
            .threads(s.loaderThreads())
            .dropLast(false)
            .build();
    int stepsPerEpoch =
        s.evalOnly()
            ? EpochSteps.count(train.size(), s.batchSize(), s.accumIter())
            : EpochSteps.atLeastOne(
                train.size(), s.batchSize(), s.accumIter(), "training set", train::describe);
    JsonObject runConfig =
        runConfig(config, init.source(), k, stepsPerEpoch, trainTransform, evalTransform);
    Engine engine = EngineThreads.pytorch(s.threads());
    Device device = Devices.resolve(engine, s.device());
    if (s.precision() == Precision.BF16 && !device.isGpu()) {
      Bf16Support.warnIfSlow("fine-tuning");
    }
    try (NDManager manager = engine.newBaseManager(device);
        VitClassifier model =
            new VitClassifier(
                config,
                k,
                s.globalPool() ? Head.GLOBAL_POOL : Head.CLASS_TOKEN,
                s.dropPath(),
                init.weights() != null ? 2e-5 : 0.02,
                manager,
                s.seed(),
                s.precision());
        AdamW opt =
            new AdamW(
                manager,
                s.optimizer().beta1(),
                s.optimizer().beta2(),
                1e-8,
                s.optimizer().weightDecay())) {
      List<String> notes =
          init.weights() != null
              ? loadInit(model, init.weights(), init.source(), s.evalOnly())
              : List.of("random initialisation, seed " + s.seed());
      if (s.evalOnly()) {
        Evaluation e = Evaluation.of(model, valLoader, manager, config);
        writeSummary(
            folder,
            e.top1(),
            e.top5(),
            -1,
            e.top1(),
            e.top5(),
            OptionalDouble.empty(),
            0,
            init.source(),
            k);
        return new SaimFineTuner.Result(
            e.top1(),
            e.top5(),
            -1,
            e.top1(),
            e.top5(),
            OptionalDouble.empty(),
            0,
            0,
            0,
            Optional.empty(),
            (System.nanoTime() - start) / 1e9,
            notes,
            train.size(),
            val.size());
      }
      Map<String, NDArray> params = model.trainable();
      LayerDecay groups = new LayerDecay(config.depth(), s.layerDecay());
      Path resume =
          TrainingCheckpoint.toResume(s.resume(), s.autoResume(), out, RunFolder.CHECKPOINT);
      FineTuneCheckpoint st =
          resume == null
              ? new FineTuneCheckpoint()
              : FineTuneCheckpoint.resume(resume, model, opt, params, runConfig);
      folder.writeConfig(runConfig);
      int epochsDone = st.epochs;
      // a resume repeats the epochs after its checkpoint
      folder.trimMetrics(o -> o.get("epoch").getAsInt() < epochsDone);
      int resumedFrom = st.epochs;
      LrSchedule schedule =
          new LrSchedule(peakLr, s.optimizer().minLr(), s.optimizer().warmupEpochs(), s.epochs());
      Mixup mixup = FineTuner.mixupOf(s, k);
      long totalSteps = (long) stepsPerEpoch * s.epochs();
      long imagesThisRun = 0;
      int imagesPerStep = effectiveBatchSize();
      try (Writer metrics = folder.appendMetrics()) {
        int lastEpoch =
            s.stopAfterEpochs() > 0 ? Math.min(s.epochs(), s.stopAfterEpochs()) : s.epochs();
        for (int epoch = st.epochs; epoch < lastEpoch; epoch++) {
          long epochStart = System.nanoTime();
          double lossSum = 0;
          double lr = 0;
          try (ImageBatches.Stream batches = trainLoader.open(epoch, 0)) {
            for (int step = 0; step < stepsPerEpoch; step++) {
              lr = schedule.at(epoch + (double) step / stepsPerEpoch);
              // stochastic depth draws from the engine's generator: seeded per step for exact
              // resumes
              engine.setRandomSeed((int) (s.seed() * 1_000_003L + st.steps));
              double stepLoss = 0;
              try (NDScope scope = new NDScope()) {
                for (int micro = 0; micro < s.accumIter(); micro++) {
                  ImageBatches.Batch b = batches.next();
                  float[] pixels = b.pixels();
                  int n = b.count();
                  float[] targets =
                      mixup.active()
                          ? mixup
                              .apply(
                                  pixels,
                                  b.labels(),
                                  c,
                                  size,
                                  size,
                                  Mixup.random(
                                      s.seed(), epoch, (long) step * s.accumIter() + micro))
                              .targets()
                          : mixup.targets(b.labels(), 1.0);
                  NDArray x = manager.create(pixels, new Shape(n, c, size, size));
                  NDArray t = manager.create(targets, new Shape(n, k));
                  try (GradientCollector gc = engine.newGradientCollector()) {
                    NDArray loss = softTargetCrossEntropy(model.forward(x, true), t);
                    float v = loss.getFloat();
                    if (!Float.isFinite(v)) {
                      throw TrainingCheckpoint.diverged(
                          v,
                          st.steps,
                          epoch + (double) step / stepsPerEpoch,
                          out.resolve(RunFolder.CHECKPOINT));
                    }
                    stepLoss += v;
                    gc.backward(s.accumIter() == 1 ? loss : Scalars.div(loss, s.accumIter()));
                  }
                }
                if (s.optimizer().clipGrad() != null) {
                  GradientClipping.clip(params, s.optimizer().clipGrad());
                }
                opt.step(params, lr, groups);
                AdamW.zeroGrad(params);
              }
              stepLoss /= s.accumIter();
              lossSum += stepLoss;
              st.steps++;
              imagesThisRun += imagesPerStep;
              double secs = (System.nanoTime() - start) / 1e9;
              double ips = imagesThisRun / Math.max(secs, 1e-9);
              StepEvent ev =
                  new StepEvent(
                      st.steps,
                      totalSteps,
                      epoch + (step + 1.0) / stepsPerEpoch,
                      stepLoss,
                      lr,
                      ips,
                      (totalSteps - st.steps) * imagesPerStep / Math.max(ips, 1e-9));
              for (StepListener l : s.stepListeners()) {
                l.onStep(ev);
              }
            }
          }
          double trainLoss = lossSum / stepsPerEpoch;
          Evaluation e = Evaluation.of(model, valLoader, manager, config);
          boolean best = st.epochDone(epoch, trainLoss, e);
          if (best) {
            FineTuneCheckpoint.writeBest(out.resolve(RunFolder.BEST), model, runConfig, epoch, e);
          }
          double secs = (System.nanoTime() - epochStart) / 1e9;
          RunFolder.writeLine(
              metrics,
              String.format(
                  Locale.ROOT,
                  "{\"epoch\":%d,\"train_loss\":%s,\"lr\":%s,\"test_top1\":%s,"
                      + "\"test_top5\":%s,\"test_loss\":%s,"
                      + "\"steps\":%d,\"time_s\":%.3f,\"skipped_images\":%d}",
                  epoch,
                  trainLoss,
                  lr,
                  e.top1(),
                  e.top5(),
                  e.loss(),
                  st.steps,
                  secs,
                  trainLoader.skippedImages()));
          st.write(out.resolve(RunFolder.CHECKPOINT), model, opt, runConfig);
          EvaluationEvent report =
              new EvaluationEvent(epoch, trainLoss, lr, e.top1(), e.top5(), e.loss(), secs, best);
          for (EvaluationListener l : s.evaluationListeners()) {
            l.onEvaluation(report);
          }
        }
      }
      OptionalDouble finalTrainLoss =
          Double.isNaN(st.finalTrainLoss)
              ? OptionalDouble.empty()
              : OptionalDouble.of(st.finalTrainLoss);
      writeSummary(
          folder,
          st.bestTop1,
          st.bestTop5,
          st.bestEpoch,
          st.finalTop1,
          st.finalTop5,
          finalTrainLoss,
          st.epochs,
          init.source(),
          k);
      return new SaimFineTuner.Result(
          st.bestTop1,
          st.bestTop5,
          st.bestEpoch,
          st.finalTop1,
          st.finalTop5,
          finalTrainLoss,
          st.epochs,
          st.steps,
          resumedFrom,
          Optional.of(out.resolve(RunFolder.BEST)),
          (System.nanoTime() - start) / 1e9,
          notes,
          train.size(),
          val.size());
    }
  }

  /**
   * {@code mean_i sum_k -t_ik log softmax(z_i)_k}: cross-entropy against soft targets (label
   * smoothing and mixup included).
   */
  static NDArray softTargetCrossEntropy(NDArray logits, NDArray targets) {
    return logits.logSoftmax(-1).mul(targets).sum(new int[] {-1}).neg().mean();
  }

  private JsonObject runConfig(
      SaimConfig config,
      String source,
      int k,
      int stepsPerEpoch,
      ImageTransform train,
      ImageTransform eval) {
    JsonObject t = new JsonObject();
    t.addProperty("init", source);
    ImageDataset tr = this.train;
    ImageDataset va = this.val;
    t.addProperty("data", s.dataName() != null ? s.dataName() : tr.name() + " | " + va.name());
    t.addProperty("train_images", tr.size());
    t.addProperty("val_images", va.size());
    t.addProperty("nb_classes", k);
    t.addProperty("epochs", s.epochs());
    t.addProperty("batch_size", s.batchSize());
    t.addProperty("accum_iter", s.accumIter());
    t.addProperty("effective_batch_size", effectiveBatchSize());
    t.addProperty("blr", s.optimizer().blr());
    t.addProperty("lr", peakLr);
    t.addProperty("min_lr", s.optimizer().minLr());
    t.addProperty("warmup_epochs", s.optimizer().warmupEpochs());
    t.addProperty("weight_decay", s.optimizer().weightDecay());
    t.addProperty("layer_decay", s.layerDecay());
    t.addProperty("drop_path", s.dropPath());
    if (s.optimizer().clipGrad() != null) {
      t.addProperty("clip_grad", s.optimizer().clipGrad());
    } else {
      t.add("clip_grad", JsonNull.INSTANCE);
    }
    t.addProperty("smoothing", s.smoothing());
    t.addProperty("mixup", s.mixup());
    t.addProperty("cutmix", s.cutmix());
    if (s.cutmixMinMax().isEmpty()) {
      t.add("cutmix_minmax", JsonNull.INSTANCE);
    } else {
      t.addProperty("cutmix_minmax", s.cutmixMinMax().get(0) + "," + s.cutmixMinMax().get(1));
    }
    t.addProperty("mixup_prob", s.mixupProb());
    t.addProperty("mixup_switch_prob", s.mixupSwitchProb());
    t.addProperty("aa", s.autoAugment());
    t.addProperty("reprob", s.reprob());
    t.addProperty("global_pool", s.globalPool());
    t.addProperty("seed", s.seed());
    t.addProperty("threads", s.threads());
    if (s.precision() != Precision.FP32) {
      // only when not the default, so float32 checkpoints written before the option still resume
      t.addProperty("precision", s.precision().name());
    }
    t.addProperty("steps_per_epoch", stepsPerEpoch);
    t.addProperty("train_transform", train.describe());
    t.addProperty("eval_transform", eval.describe());
    JsonObject all = new JsonObject();
    all.add("model", ReferenceConfig.toJson(config));
    all.add("finetune", t);
    return all;
  }

  private void writeSummary(
      RunFolder folder,
      double bestTop1,
      double bestTop5,
      int bestEpoch,
      double finalTop1,
      double finalTop5,
      OptionalDouble finalTrainLoss,
      int epochs,
      String source,
      int k)
      throws IOException {
    JsonObject m = new JsonObject();
    m.addProperty("best_top1", bestTop1);
    m.addProperty("best_top5", bestTop5);
    m.addProperty("best_epoch", bestEpoch);
    m.addProperty("final_top1", finalTop1);
    m.addProperty("final_top5", finalTop5);
    if (finalTrainLoss.isPresent()) {
      m.addProperty("final_train_loss", finalTrainLoss.getAsDouble());
    } else {
      m.add("final_train_loss", JsonNull.INSTANCE);
    }
    m.addProperty("epochs", epochs);
    m.addProperty("eval_only", s.evalOnly());
    m.addProperty("train_images", train.size());
    m.addProperty("val_images", val.size());
    m.addProperty("nb_classes", k);
    m.addProperty("init", source);
    folder.writeJson(RunFolder.SUMMARY, m);
  }
}
