package io.github.saimjava.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Distributed;
import io.github.saimjava.api.EpochEvent;
import io.github.saimjava.api.EpochListener;
import io.github.saimjava.api.OptimizerSettings;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.StepEvent;
import io.github.saimjava.api.StepListener;
import io.github.saimjava.api.TrainingSummary;
import io.github.saimjava.data.ImageBatches;
import io.github.saimjava.model.Bf16Support;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.model.SaimModel;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pre-training loop. Each optimiser step: for each of {@code accumIter} micro-batches, sample
 * the permutation of every image (keyed by epoch and dataset index), run the SAIM forward pass, the
 * loss divided by {@code accumIter}, and backward; then optionally clip, take one AdamW step at the
 * scheduled learning rate and clear the gradients. Native memory of a step lives in an {@link
 * NDScope} closed at its end, so long runs stay flat.
 *
 * <p>With several {@linkplain SaimTrainer.Spec#devices() devices}, {@link DataParallel} splits each
 * micro-batch over them and combines the gradients on the first device before the one step. With
 * several {@linkplain SaimTrainer.Spec#distributed() processes}, each reads its part of every
 * micro-batch and {@link Ranks} averages the gradients over them before the step; rank 0 alone
 * writes the output folder.
 *
 * <p>Checkpoints are written after optimiser steps only. Everything random is a pure function of
 * the seed and the position in the run (data order, augmentation, permutations), so the checkpoint
 * holds just the weights, the optimiser moments and the step count, and a resumed run repeats
 * exactly what the uninterrupted one would have done.
 */
public final class Pretrainer {
  static final String FORMAT = TrainingCheckpoint.PRETRAINING;

  private static final Logger LOG = LoggerFactory.getLogger(Pretrainer.class);

  private final SaimTrainer.Spec t;
  private final ImageBatches data;

  public Pretrainer(SaimTrainer.Spec trainer, ImageBatches data) {
    this.t = trainer;
    this.data = data;
  }

  /** Runs (or resumes) training to the end. */
  public TrainingSummary run() throws IOException {
    SaimConfig config = t.config();
    int stepsPerEpoch =
        EpochSteps.atLeastOne(data.size(), t.batchSize(), t.accumIter(), "dataset", data::describe);
    long totalSteps = (long) stepsPerEpoch * t.epochs();
    if (t.maxSteps() > 0) {
      totalSteps = Math.min(totalSteps, t.maxSteps());
    }
    Engine engine = EngineThreads.pytorch(t.threads());
    List<Device> devices = devices(engine);
    RunFolder folder = new RunFolder(t.outputDir());
    Path out = folder.dir();
    JsonObject runConfig = runConfig(t, data.size(), stepsPerEpoch, totalSteps);
    OptimizerSettings o = t.optimizer();
    LrSchedule schedule =
        new LrSchedule(o.peakLr(t.effectiveBatchSize()), o.minLr(), o.warmupEpochs(), t.epochs());
    PermutationSampler sampler =
        PermutationSampler.builder(config.numPatches()).order(t.order(), t.seed()).build();
    if (t.precision() == Precision.BF16 && !devices.get(0).isGpu()) {
      Bf16Support.warnIfSlow("pre-training");
    }
    // decoded before anything is written, so that bad monitor data leaves no files behind
    long monitorOpenNanos = System.nanoTime();
    KnnMonitor monitor = t.knnEvery() > 0 ? KnnMonitor.open(t.knnData(), t.knnImages()) : null;
    double monitorOpenSeconds = (System.nanoTime() - monitorOpenNanos) / 1e9;

    try (Ranks ranks = Ranks.open(t);
        NDManager manager = engine.newBaseManager(devices.get(0));
        SaimModel model = new SaimModel(config, manager, t.seed(), t.precision());
        AdamW opt = new AdamW(manager, o.beta1(), o.beta2(), 1e-8, o.weightDecay());
        DataParallel parallel = new DataParallel(model, devices, engine)) {
      // before anything is written: a world launched with mixed settings stops here, every rank
      ranks.agree(worldSettings(runConfig, t));
      Map<String, NDArray> params = model.parameters().trainable();
      if (ranks.writes()) {
        folder.prepare();
      }
      long step = resumeIfAsked(model, opt, params, runConfig, ranks);
      if (step > 0 && step >= totalSteps) {
        return alreadyFinished(model, step, runConfig, ranks);
      }
      parallel.broadcast();
      LOG.info(
          "training on {} device(s): {}{}",
          devices.size(),
          devices,
          ranks.size() > 1 ? ", rank " + ranks.rank() + " of " + ranks.size() : "");
      if (ranks.writes()) {
        folder.writeConfig(runConfig);
        trimMetrics(folder, step);
      }
      long resumedFrom = step;
      long startNanos = System.nanoTime();
      long imagesThisRun = 0;
      double lastLoss = Double.NaN;
      int imagesPerStep = t.effectiveBatchSize();
      int c = config.channels();
      int s = config.imageSize();
      try (Writer metrics = ranks.writes() ? folder.appendMetrics() : Writer.nullWriter()) {
        if (monitor != null) {
          RunFolder.writeLine(metrics, KnnMonitor.openLine(monitorOpenSeconds));
        }
        while (step < totalSteps) {
          int epoch = (int) (step / stepsPerEpoch);
          int stepInEpoch = (int) (step % stepsPerEpoch);
          long epochStartNanos = System.nanoTime();
          double epochLossSum = 0;
          int epochSteps = 0;
          try (ImageBatches.Stream batches = data.open(epoch, stepInEpoch * t.accumIter())) {
            for (; stepInEpoch < stepsPerEpoch && step < totalSteps; stepInEpoch++) {
              double frac = epoch + (double) stepInEpoch / stepsPerEpoch;
              double lr = schedule.at(frac);
              double stepLoss = 0;
              try (NDScope scope = new NDScope()) {
                for (int micro = 0; micro < t.accumIter(); micro++) {
                  ImageBatches.Batch b = batches.next();
                  NDArray images =
                      manager.create(b.pixels(), new Shape(b.indices().length, c, s, s));
                  long[] keys = new long[b.indices().length];
                  for (int i = 0; i < keys.length; i++) {
                    keys[i] = (long) epoch * data.size() + b.indices()[i];
                  }
                  double value = parallel.forwardBackward(images, keys, sampler, t.accumIter());
                  if (!Double.isFinite(value)) {
                    throw diverged((float) value, step, frac);
                  }
                  stepLoss += value;
                }
                parallel.combineGradients();
                stepLoss = ranks.averageGradients(params, stepLoss);
                if (o.clipGrad() != null) {
                  GradientClipping.clip(params, o.clipGrad());
                }
                opt.step(params, lr);
                AdamW.zeroGrad(params);
                parallel.broadcast();
              }
              step++;
              stepLoss /= t.accumIter();
              lastLoss = stepLoss;
              epochLossSum += stepLoss;
              epochSteps++;
              imagesThisRun += imagesPerStep;
              double seconds = (System.nanoTime() - startNanos) / 1e9;
              double ips = imagesThisRun / Math.max(seconds, 1e-9);
              double eta = (totalSteps - step) * imagesPerStep / Math.max(ips, 1e-9);
              double epochAfter = epoch + (double) (stepInEpoch + 1) / stepsPerEpoch;
              StepEvent ev = new StepEvent(step, totalSteps, epochAfter, stepLoss, lr, ips, eta);
              if (step % t.logEvery() == 0 || step == totalSteps) {
                RunFolder.writeLine(metrics, stepLine(ev, seconds, ranks.profile().take()));
              }
              if (monitor != null && ranks.writes() && step % t.knnEvery() == 0) {
                RunFolder.writeLine(metrics, monitor.evaluate(model).line(step));
              }
              for (StepListener l : t.stepListeners()) {
                l.onStep(ev);
              }
              if (ranks.writes() && step % t.checkpointEvery() == 0 && step < totalSteps) {
                metrics.flush();
                writeCheckpoint(out.resolve(RunFolder.CHECKPOINT), model, opt, step, runConfig);
              }
              if (ranks.writes()
                  && t.keepWeightsEvery() > 0
                  && step % t.keepWeightsEvery() == 0
                  && step < totalSteps) {
                writeWeights(out.resolve(RunFolder.keptWeights(step)), model, step, runConfig);
              }
            }
          }
          if (stepInEpoch == stepsPerEpoch && epochSteps > 0) {
            EpochEvent ee =
                new EpochEvent(
                    epoch,
                    epochLossSum / epochSteps,
                    step,
                    (System.nanoTime() - epochStartNanos) / 1e9);
            // every rank reads its own part of the data: the skips of all of them
            long skipped = ranks.sum(data.skippedImages());
            RunFolder.writeLine(metrics, epochLine(ee, skipped));
            for (EpochListener l : t.epochListeners()) {
              l.onEpoch(ee);
            }
          }
        }
        metrics.flush();
      }
      Path finalWeights = out.resolve(RunFolder.FINAL);
      if (ranks.writes()) {
        writeCheckpoint(out.resolve(RunFolder.CHECKPOINT), model, opt, step, runConfig);
        writeWeights(finalWeights, model, step, runConfig);
      }
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      return new TrainingSummary(
          step,
          step * imagesPerStep,
          // a run that gets here took a step (a finished one returned above)
          Double.isNaN(lastLoss) ? OptionalDouble.empty() : OptionalDouble.of(lastLoss),
          OptionalDouble.of(seconds),
          OptionalDouble.of(imagesThisRun / Math.max(seconds, 1e-9)),
          finalWeights,
          resumedFrom);
    }
  }

  /**
   * A run that the checkpoint shows finished (its step count reached): nothing is trained, and the
   * summary holds the figures of the session that finished it, read from the metrics log (empty
   * when the log is gone). The final weights are written only if they are missing.
   */
  private TrainingSummary alreadyFinished(
      SaimModel model, long step, JsonObject runConfig, Ranks ranks) throws IOException {
    Path out = t.outputDir();
    Path finalWeights = out.resolve(RunFolder.FINAL);
    if (ranks.writes() && !Files.isRegularFile(finalWeights)) {
      writeWeights(finalWeights, model, step, runConfig);
    }
    OptionalDouble loss = OptionalDouble.empty();
    OptionalDouble seconds = OptionalDouble.empty();
    OptionalDouble imagesPerSecond = OptionalDouble.empty();
    Path metrics = out.resolve(RunFolder.METRICS);
    if (Files.isRegularFile(metrics)) {
      long best = -1;
      for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
        try {
          JsonObject o = JsonParser.parseString(line).getAsJsonObject();
          if (o.has("step") && "step".equals(o.get("type").getAsString())) {
            long s = o.get("step").getAsLong();
            if (s <= step && s > best) {
              best = s;
              loss = OptionalDouble.of(o.get("loss").getAsDouble());
              seconds = OptionalDouble.of(o.get("time_s").getAsDouble());
              imagesPerSecond = OptionalDouble.of(o.get("images_per_s").getAsDouble());
            }
          }
        } catch (RuntimeException e) {
          // a line cut short by a kill: skip it
        }
      }
    }
    LOG.info(
        "nothing left to do: {} already holds a finished run of {} steps (final loss {}); "
            + "to train again, use another output folder or turn auto-resume off",
        out,
        step,
        loss.isPresent() ? loss.getAsDouble() : "unknown");
    return new TrainingSummary(
        step, step * t.effectiveBatchSize(), loss, seconds, imagesPerSecond, finalWeights, step);
  }

  /**
   * The configured devices, or the engine's default one.
   *
   * @throws IllegalArgumentException naming a GPU the engine does not see
   */
  private List<Device> devices(Engine engine) {
    return Devices.resolve(engine, t.devices());
  }

  private TrainingDivergedException diverged(float value, long step, double epoch) {
    return TrainingCheckpoint.diverged(
        value, step, epoch, t.outputDir().resolve(RunFolder.CHECKPOINT));
  }

  static JsonObject runConfig(
      SaimTrainer.Spec t, int datasetSize, int stepsPerEpoch, long totalSteps) {
    JsonObject model = ReferenceConfig.toJson(t.config());
    JsonObject train = new JsonObject();
    train.addProperty(
        "data", t.data() == null ? "embedded:fashion-mnist-train-10k" : t.data().toString());
    train.addProperty("dataset_size", datasetSize);
    train.addProperty("epochs", t.epochs());
    train.addProperty("max_steps", t.maxSteps());
    train.addProperty("batch_size", t.batchSize());
    train.addProperty("accum_iter", t.accumIter());
    train.addProperty("effective_batch_size", t.effectiveBatchSize());
    train.addProperty("blr", t.optimizer().blr());
    train.addProperty("lr", t.peakLr());
    train.addProperty("warmup_epochs", t.optimizer().warmupEpochs());
    train.addProperty("min_lr", t.optimizer().minLr());
    train.addProperty("weight_decay", t.optimizer().weightDecay());
    train.addProperty("beta1", t.optimizer().beta1());
    train.addProperty("beta2", t.optimizer().beta2());
    Double clipGrad = t.optimizer().clipGrad();
    if (clipGrad != null) {
      train.addProperty("clip_grad", clipGrad);
    } else {
      train.add("clip_grad", JsonNull.INSTANCE);
    }
    train.addProperty("seed", t.seed());
    train.addProperty("order", t.order().name());
    train.addProperty("augmentation", t.augmentation().name());
    train.addProperty("threads", t.threads());
    JsonArray devs = new JsonArray();
    for (Device d : t.devices()) {
      devs.add(d.toString());
    }
    train.add("devices", devs);
    int worldSize = worldSize(t);
    if (worldSize > 1) {
      // only when distributed, so checkpoints written before the option still resume
      train.addProperty("world_size", worldSize);
    }
    if (t.precision() != Precision.FP32) {
      // only when not the default, so float32 checkpoints written before the option still resume
      train.addProperty("precision", t.precision().name());
    }
    train.addProperty("steps_per_epoch", stepsPerEpoch);
    train.addProperty("total_steps", totalSteps);
    JsonObject all = new JsonObject();
    all.add("model", model);
    all.add("training", train);
    return all;
  }

  /** {@return the number of processes training together: 1 when this one trains alone} */
  static int worldSize(SaimTrainer.Spec t) {
    Distributed d = t.distributed();
    return d == null ? 1 : d.worldSize();
  }

  /**
   * What every rank of a world must share ({@link WorldAgreement}): the run's settings but those
   * that only shape how one process computes (threads, devices), with the world size, precision and
   * library version always spelled out.
   */
  static JsonObject worldSettings(JsonObject runConfig, SaimTrainer.Spec t) {
    JsonObject key = runConfig.deepCopy();
    JsonObject train = key.getAsJsonObject("training");
    train.remove("threads");
    train.remove("devices");
    train.addProperty("world_size", worldSize(t));
    train.addProperty("precision", t.precision().name());
    String version = Pretrainer.class.getPackage().getImplementationVersion();
    key.addProperty("library_version", version == null ? "development" : version);
    return key;
  }

  /** What must match for a checkpoint to continue this run (everything but output and limits). */
  private static JsonObject resumeKey(JsonObject runConfig) {
    JsonObject key = runConfig.deepCopy();
    JsonObject train = key.getAsJsonObject("training");
    train.remove("max_steps");
    train.remove("total_steps");
    train.remove("threads");
    // the weights and moments are those of one device: a run may resume on any number of them
    train.remove("devices");
    // and on any number of processes
    train.remove("world_size");
    return key;
  }

  private long resumeIfAsked(
      SaimModel model, AdamW opt, Map<String, NDArray> params, JsonObject runConfig, Ranks ranks)
      throws IOException {
    // rank 0 finds the checkpoint and sends it
    Path ckpt =
        ranks.writes()
            ? TrainingCheckpoint.toResume(
                t.resume(), t.autoResume(), t.outputDir(), RunFolder.CHECKPOINT)
            : null;
    ckpt = ranks.shareCheckpoint(ckpt);
    if (ckpt == null) {
      return 0;
    }
    TrainingCheckpoint c = TrainingCheckpoint.read(ckpt, FORMAT, "training");
    c.requireSameRun(runConfig, Pretrainer::resumeKey);
    model.load(c.weights(), true);
    long step = c.step();
    opt.restore(c.optimizer(), step, params);
    return step;
  }

  /** Weights only, with the reference's names: {@code final.safetensors} and the kept ones. */
  private static void writeWeights(Path file, SaimModel model, long step, JsonObject runConfig)
      throws IOException {
    TrainingCheckpoint.writeWeights(
        file, model.stateDict(), runConfig, Map.of("step", Long.toString(step)));
  }

  private static void writeCheckpoint(
      Path file, SaimModel model, AdamW opt, long step, JsonObject runConfig) throws IOException {
    TrainingCheckpoint.write(
        file, FORMAT, model.stateDict(), opt.state(), step, Map.of(), runConfig);
  }

  /** A step's line; {@code allReduce}: the {@link AllReduceProfile} members, empty alone. */
  private static String stepLine(StepEvent e, double seconds, String allReduce) {
    return String.format(
        Locale.ROOT,
        "{\"type\":\"step\",\"step\":%d,\"epoch\":%.6f,\"loss\":%s,\"lr\":%s,"
            + "\"images_per_s\":%.3f,\"time_s\":%.3f%s}",
        e.step(),
        e.epoch(),
        e.loss(),
        e.lr(),
        e.imagesPerSecond(),
        seconds,
        allReduce);
  }

  private static String epochLine(EpochEvent e, long skippedImages) {
    return String.format(
        Locale.ROOT,
        "{\"type\":\"epoch\",\"epoch\":%d,\"mean_loss\":%s,\"steps\":%d,\"time_s\":%.3f,"
            + "\"skipped_images\":%d}",
        e.epoch(),
        e.meanLoss(),
        e.steps(),
        e.seconds(),
        skippedImages);
  }

  /**
   * Drops log lines of steps after {@code step} (written after the checkpoint a resume starts
   * from).
   */
  static void trimMetrics(RunFolder folder, long step) throws IOException {
    folder.trimMetrics(
        o -> (o.get("steps") != null ? o.get("steps") : o.get("step")).getAsLong() <= step);
  }
}
