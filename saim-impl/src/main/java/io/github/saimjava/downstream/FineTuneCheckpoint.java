package io.github.saimjava.downstream;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import io.github.saimjava.train.AdamW;
import io.github.saimjava.train.TrainingCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fine-tuning run's state and its files: the resumable {@code checkpoint.safetensors} (a {@link
 * TrainingCheckpoint} whose metadata also holds epochs done, the best and the last epoch's
 * accuracies, the class count and the pooling) and the best epoch's weights {@code
 * best.safetensors}. The state changes once per epoch, after its evaluation; a checkpoint is
 * written then, so a resume starts at an epoch boundary.
 */
final class FineTuneCheckpoint {
  /** Epochs done. */
  int epochs;

  /** Optimiser steps done. */
  long steps;

  double bestTop1 = Double.NaN;
  double bestTop5 = Double.NaN;

  /** The best epoch (0-based), -1 before the first. */
  int bestEpoch = -1;

  double finalTop1 = Double.NaN;
  double finalTop5 = Double.NaN;
  double finalTrainLoss = Double.NaN;

  /**
   * The state of a fresh run, or the one {@code ckpt} holds with its weights and optimiser moments
   * loaded into {@code model} and {@code opt}.
   *
   * @throws IllegalArgumentException for a file of another kind or another run, or damaged state
   */
  static FineTuneCheckpoint resume(
      Path ckpt, VitClassifier model, AdamW opt, Map<String, NDArray> params, JsonObject runConfig)
      throws IOException {
    TrainingCheckpoint c =
        TrainingCheckpoint.read(ckpt, TrainingCheckpoint.FINE_TUNING, "fine-tuning");
    c.requireSameRun(runConfig, FineTuneCheckpoint::resumeKey);
    model.load(c.weights(), true);
    Map<String, String> meta = c.metadata();
    FineTuneCheckpoint st = new FineTuneCheckpoint();
    try {
      st.epochs = Integer.parseInt(meta.get("epochs"));
      st.steps = Long.parseLong(meta.get(TrainingCheckpoint.STEP));
      st.bestTop1 = Double.parseDouble(meta.get("best_top1"));
      st.bestTop5 = Double.parseDouble(meta.get("best_top5"));
      st.bestEpoch = Integer.parseInt(meta.get("best_epoch"));
      st.finalTop1 = Double.parseDouble(meta.get("final_top1"));
      st.finalTop5 = Double.parseDouble(meta.get("final_top5"));
      st.finalTrainLoss = Double.parseDouble(meta.get("final_train_loss"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          ckpt + ": damaged run state in the metadata (" + e.getMessage() + ")", e);
    }
    opt.restore(c.optimizer(), st.steps, params);
    return st;
  }

  /** What must match for a checkpoint to continue this run: everything but the thread count. */
  private static JsonObject resumeKey(JsonObject runConfig) {
    JsonObject key = runConfig.deepCopy();
    if (key.has("finetune")) {
      key.getAsJsonObject("finetune").remove("threads");
    }
    return key;
  }

  /** Records a finished epoch; true when it is the best so far (by top-1, the first of equals). */
  boolean epochDone(int epoch, double trainLoss, Evaluation e) {
    boolean best = bestEpoch < 0 || e.top1() > bestTop1;
    if (best) {
      bestTop1 = e.top1();
      bestTop5 = e.top5();
      bestEpoch = epoch;
    }
    epochs = epoch + 1;
    finalTop1 = e.top1();
    finalTop5 = e.top5();
    finalTrainLoss = trainLoss;
    return best;
  }

  /** Writes the resumable checkpoint: weights, AdamW moments and this state. */
  void write(Path file, VitClassifier model, AdamW opt, JsonObject runConfig) throws IOException {
    Map<String, String> state = new LinkedHashMap<>();
    state.put("epochs", Integer.toString(epochs));
    state.put("best_top1", Double.toString(bestTop1));
    state.put("best_top5", Double.toString(bestTop5));
    state.put("best_epoch", Integer.toString(bestEpoch));
    state.put("final_top1", Double.toString(finalTop1));
    state.put("final_top5", Double.toString(finalTop5));
    state.put("final_train_loss", Double.toString(finalTrainLoss));
    state.put("num_classes", Integer.toString(model.numClasses()));
    state.put("global_pool", Boolean.toString(model.globalPool()));
    TrainingCheckpoint.write(
        file,
        TrainingCheckpoint.FINE_TUNING,
        model.stateDict(),
        opt.state(),
        steps,
        state,
        runConfig);
  }

  /** Writes the best epoch's weights, with their head, pooling and accuracy. */
  static void writeBest(
      Path file, VitClassifier model, JsonObject runConfig, int epoch, Evaluation e)
      throws IOException {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("num_classes", Integer.toString(model.numClasses()));
    meta.put("global_pool", Boolean.toString(model.globalPool()));
    meta.put("epoch", Integer.toString(epoch));
    meta.put("top1", Double.toString(e.top1()));
    meta.put("top5", Double.toString(e.top5()));
    TrainingCheckpoint.writeWeights(file, model.stateDict(), runConfig, meta);
  }
}
