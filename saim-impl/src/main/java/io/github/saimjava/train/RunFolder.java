package io.github.saimjava.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.io.AtomicFiles;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The output folder of a training run, laid out the same way by pre-training and fine-tuning: the
 * run's settings in {@value #CONFIG}, the metrics log {@value #METRICS}, one JSON object a line,
 * appended as the run goes, and the resumable checkpoint {@value #CHECKPOINT}; pre-training ends
 * with {@value #FINAL} (and keeps {@link #keptWeights the weights of some steps}), fine-tuning with
 * {@value #BEST} and {@value #SUMMARY}. This class is the one home of these names. Before a resume
 * repeats what came after its checkpoint, the log is trimmed back to the checkpoint's position, so
 * a resumed run's log reads as an uninterrupted one. Whole files are written atomically: a good
 * file is never replaced by a partial one.
 */
public final class RunFolder {
  /** The run's settings: the model's configuration and the training settings. */
  public static final String CONFIG = "config.json";

  /** The metrics log, one JSON line per step or epoch. */
  public static final String METRICS = "metrics.jsonl";

  /** The resumable checkpoint: weights, optimiser state and position. */
  public static final String CHECKPOINT = "checkpoint.safetensors";

  /** Pre-training's final weights, with the reference's names. */
  public static final String FINAL = "final.safetensors";

  /** Fine-tuning's weights of the best epoch. */
  public static final String BEST = "best.safetensors";

  /** Fine-tuning's best and final accuracies. */
  public static final String SUMMARY = "metrics.json";

  private static final Gson PRETTY =
      new GsonBuilder().disableHtmlEscaping().serializeNulls().setPrettyPrinting().create();

  private final Path dir;

  public RunFolder(Path dir) {
    this.dir = dir;
  }

  /** The name of the weights pre-training keeps at {@code step}. */
  public static String keptWeights(long step) {
    return "weights-step" + step + ".safetensors";
  }

  /** The folder. */
  public Path dir() {
    return dir;
  }

  /** A file in the folder. */
  public Path resolve(String name) {
    return dir.resolve(name);
  }

  /**
   * Creates the folder (or checks that an existing one can be written) and clears the temporary
   * files of writes a kill interrupted.
   *
   * @throws IOException naming the folder when it cannot be created or written
   */
  public void prepare() throws IOException {
    AtomicFiles.prepareFolder(dir);
  }

  /** Writes the run's settings to {@value #CONFIG}. */
  public void writeConfig(JsonObject runConfig) throws IOException {
    writeJson(CONFIG, runConfig);
  }

  /** Writes {@code json} pretty-printed, with a final newline, to the file {@code name}. */
  public void writeJson(String name, JsonObject json) throws IOException {
    AtomicFiles.write(
        dir.resolve(name), (PRETTY.toJson(json) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** The metrics log, opened for appending. */
  public Writer appendMetrics() throws IOException {
    return Files.newBufferedWriter(
        dir.resolve(METRICS),
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /**
   * Keeps the metrics lines that {@code keep} accepts and drops the others, blank lines and lines
   * cut short by a kill (or any line {@code keep} cannot read).
   */
  public void trimMetrics(Predicate<JsonObject> keep) throws IOException {
    Path metrics = dir.resolve(METRICS);
    if (!Files.exists(metrics)) {
      return;
    }
    List<String> kept = new ArrayList<>();
    for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      try {
        if (keep.test(JsonParser.parseString(line).getAsJsonObject())) {
          kept.add(line);
        }
      } catch (RuntimeException e) {
        // a line cut short by a kill: drop it
      }
    }
    AtomicFiles.write(
        metrics,
        (kept.isEmpty() ? "" : String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Writes one line and flushes it, so a kill loses at most the line being written. */
  public static void writeLine(Writer w, String line) throws IOException {
    w.write(line);
    w.write('\n');
    w.flush();
  }
}
