package io.github.saimjava.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.ModelCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A resumable training checkpoint, as pre-training and fine-tuning write it: one safetensors file
 * holding the model's tensors under the reference's names, the optimiser's state under {@value
 * ModelCheckpoint#OPTIMIZER_PREFIX}, and metadata strings: {@value #FORMAT} (which kind of run),
 * {@value #STEP} (optimiser steps done), the run's own state, {@value #RUN} (the whole {@code
 * config.json}, to refuse a resume with other settings) and {@value #CONFIG} (the model's
 * configuration, so the file loads as weights too).
 *
 * <p>Also the two other files a run writes next to it: weights alone ({@link #writeWeights}), and
 * the message of a run stopped by a non-finite loss ({@link #diverged}).
 *
 * @param file the file read
 * @param weights the model's tensors
 * @param optimizer the optimiser's state, without the prefix
 * @param metadata all metadata strings
 */
public record TrainingCheckpoint(
    Path file,
    Map<String, HostTensor> weights,
    Map<String, HostTensor> optimizer,
    Map<String, String> metadata) {
  /** Metadata key of the format tag. */
  public static final String FORMAT = "format";

  /** Metadata key of the optimiser steps done. */
  public static final String STEP = "step";

  /** Metadata key of the run's settings ({@code config.json}). */
  public static final String RUN = "run";

  /** Metadata key of the model's configuration. */
  public static final String CONFIG = "config";

  /** Format tag of a pre-training checkpoint. */
  public static final String PRETRAINING = "saim-java-checkpoint-1";

  /** Format tag of a fine-tuning checkpoint. */
  public static final String FINE_TUNING = "saim-java-finetune-checkpoint-1";

  /**
   * The advice after a diverged step, in the builders' terms (the command line maps it to its
   * flags).
   */
  public static final String LOWER_LR_OR_CLIP =
      "Lower the base learning rate (blr) or clip the gradients (clipGrad).";

  private static final Gson GSON =
      new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  /**
   * Reads a checkpoint of the kind {@code format} names.
   *
   * @param what the kind in words, for the error ("training", "fine-tuning")
   * @throws IllegalArgumentException naming the file when its format tag is another
   */
  public static TrainingCheckpoint read(Path file, String format, String what) throws IOException {
    SafeTensors.Contents c = SafeTensors.read(file);
    if (!format.equals(c.metadata().get(FORMAT))) {
      throw new IllegalArgumentException(
          file
              + " is not a saim-java "
              + what
              + " checkpoint (format "
              + c.metadata().get(FORMAT)
              + ")");
    }
    Map<String, HostTensor> weights = new LinkedHashMap<>();
    Map<String, HostTensor> optimizer = new LinkedHashMap<>();
    String prefix = ModelCheckpoint.OPTIMIZER_PREFIX;
    c.tensors()
        .forEach(
            (k, v) -> {
              if (k.startsWith(prefix)) {
                optimizer.put(k.substring(prefix.length()), v);
              } else {
                weights.put(k, v);
              }
            });
    return new TrainingCheckpoint(file, weights, optimizer, c.metadata());
  }

  /** The optimiser steps done (0 when the metadata has none). */
  public long step() {
    return Long.parseLong(metadata.getOrDefault(STEP, "0"));
  }

  /**
   * Checks that this checkpoint continues the run {@code runConfig} describes: equal after {@code
   * resumeKey} drops what may change between sessions (limits, threads, devices).
   *
   * @throws IllegalArgumentException naming the first setting that differs
   */
  public void requireSameRun(JsonObject runConfig, UnaryOperator<JsonObject> resumeKey) {
    JsonObject saved = JsonParser.parseString(metadata.getOrDefault(RUN, "{}")).getAsJsonObject();
    String mismatch = firstDifference(resumeKey.apply(saved), resumeKey.apply(runConfig), "");
    if (mismatch != null) {
      throw new IllegalArgumentException(
          "resume checkpoint "
              + file
              + " is from another configuration ("
              + mismatch
              + "): use the same settings, or a new output folder");
    }
  }

  /**
   * The checkpoint a run resumes from: {@code resume} (the file, or a folder holding one named
   * {@code name}) when given, else, with {@code autoResume}, the output folder's own if there is
   * one, else none.
   *
   * @throws IllegalArgumentException when {@code resume} names no checkpoint
   */
  public static @Nullable Path toResume(
      @Nullable Path resume, boolean autoResume, Path outputDir, String name) {
    if (resume != null) {
      Path ckpt = Files.isDirectory(resume) ? resume.resolve(name) : resume;
      if (!Files.isRegularFile(ckpt)) {
        throw new IllegalArgumentException("resume checkpoint " + ckpt + " does not exist");
      }
      return ckpt;
    }
    Path own = outputDir.resolve(name);
    return autoResume && Files.isRegularFile(own) ? own : null;
  }

  /**
   * Writes a checkpoint atomically. Metadata order: format, step, {@code state}, run, config.
   *
   * @param state the run's own state (epochs done, best accuracy, ...), as strings
   */
  public static void write(
      Path file,
      String format,
      Map<String, HostTensor> weights,
      Map<String, HostTensor> optimizerState,
      long step,
      Map<String, String> state,
      JsonObject runConfig)
      throws IOException {
    Map<String, HostTensor> tensors = new LinkedHashMap<>(weights);
    optimizerState.forEach((k, v) -> tensors.put(ModelCheckpoint.OPTIMIZER_PREFIX + k, v));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(FORMAT, format);
    meta.put(STEP, Long.toString(step));
    meta.putAll(state);
    meta.put(RUN, GSON.toJson(runConfig));
    meta.put(CONFIG, modelConfig(runConfig));
    SafeTensors.write(file, tensors, meta);
  }

  /**
   * Writes weights alone ({@value SafeTensors#WEIGHTS_FORMAT}) atomically: loadable by {@code
   * SaimEncoder} and as a fine-tuning start. Metadata order: format, config, {@code extra}.
   */
  public static void writeWeights(
      Path file, Map<String, HostTensor> weights, JsonObject runConfig, Map<String, String> extra)
      throws IOException {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(FORMAT, SafeTensors.WEIGHTS_FORMAT);
    meta.put(CONFIG, modelConfig(runConfig));
    meta.putAll(extra);
    SafeTensors.write(file, weights, meta);
  }

  private static String modelConfig(JsonObject runConfig) {
    return GSON.toJson(runConfig.get("model"));
  }

  /**
   * The error of a run whose loss stopped being finite at {@code step} (0-based, before it was
   * counted): what the loss was, where, and whether {@code checkpoint} holds the last good state.
   */
  public static TrainingDivergedException diverged(
      float value, long step, double epoch, Path checkpoint) {
    String kept =
        Files.exists(checkpoint)
            ? "the last good checkpoint " + checkpoint + " is intact"
            : "no checkpoint was written yet";
    return new TrainingDivergedException(
        String.format(
            Locale.ROOT,
            "loss is %s at step %d (epoch %.3f); training stopped and %s. " + LOWER_LR_OR_CLIP,
            value,
            step + 1,
            epoch,
            kept));
  }

  /** The first differing leaf of two JSON trees as "path: a vs b", or null when equal. */
  public static @Nullable String firstDifference(JsonObject a, JsonObject b, String path) {
    for (String k : a.keySet()) {
      JsonElement va = a.get(k);
      JsonElement vb = b.get(k);
      String p = path.isEmpty() ? k : path + "." + k;
      if (vb == null) {
        return p + ": " + va + " vs absent";
      }
      if (va.isJsonObject() && vb.isJsonObject()) {
        String d = firstDifference(va.getAsJsonObject(), vb.getAsJsonObject(), p);
        if (d != null) {
          return d;
        }
      } else if (!va.equals(vb)) {
        return p + ": checkpoint " + va + ", now " + vb;
      }
    }
    for (String k : b.keySet()) {
      if (!a.has(k)) {
        return (path.isEmpty() ? k : path + "." + k) + ": absent vs " + b.get(k);
      }
    }
    return null;
  }
}
