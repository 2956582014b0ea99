package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.SaimFineTuner;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run folder and training checkpoint that pre-training and fine-tuning share. */
class RunPlumbingTest {
  private static JsonObject run(double blr, int threads) {
    return JsonParser.parseString(
            "{\"model\":{\"depth\":2},\"training\":{\"blr\":"
                + blr
                + ",\"threads\":"
                + threads
                + "}}")
        .getAsJsonObject();
  }

  private static final UnaryOperator<JsonObject> IGNORE_THREADS =
      r -> {
        JsonObject k = r.deepCopy();
        k.getAsJsonObject("training").remove("threads");
        return k;
      };

  @Test
  void theApiNamesTheFineTuningFilesAsTheRunFolderWritesThem() {
    // SaimFineTuner (saim-api, which cannot see RunFolder) publishes the names for its users
    assertEquals("checkpoint.safetensors", RunFolder.CHECKPOINT);
    assertEquals(RunFolder.CHECKPOINT, SaimFineTuner.CHECKPOINT);
    assertEquals(RunFolder.BEST, SaimFineTuner.BEST);
    assertEquals(RunFolder.SUMMARY, SaimFineTuner.SUMMARY);
    assertEquals("weights-step12.safetensors", RunFolder.keptWeights(12));
  }

  @Test
  void aCheckpointKeepsWeightsOptimiserStateStepAndRunApart(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("c.safetensors");
    TrainingCheckpoint.write(
        f,
        TrainingCheckpoint.PRETRAINING,
        Map.of("w", HostTensor.ofFloats(new long[] {2}, new float[] {1, 2})),
        Map.of("exp_avg.w", HostTensor.ofFloats(new long[] {2}, new float[] {3, 4})),
        7,
        Map.of("epochs", "1"),
        run(1e-3, 4));
    TrainingCheckpoint c = TrainingCheckpoint.read(f, TrainingCheckpoint.PRETRAINING, "training");
    assertEquals(7, c.step());
    assertEquals(List.of("w"), List.copyOf(c.weights().keySet()));
    assertArrayEquals(new float[] {3, 4}, c.optimizer().get("exp_avg.w").toFloatArray());
    assertEquals(
        List.of("format", "step", "epochs", "run", "config"), List.copyOf(c.metadata().keySet()));
    assertEquals("{\"depth\":2}", c.metadata().get("config"));
    // another thread count resumes; another learning rate does not, and the message names it
    c.requireSameRun(run(1e-3, 1), IGNORE_THREADS);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> c.requireSameRun(run(2e-3, 4), IGNORE_THREADS));
    assertEquals(
        "resume checkpoint "
            + f
            + " is from another configuration (training.blr: checkpoint 0.001, "
            + "now 0.002): use the same settings, or a new output folder",
        e.getMessage());
  }

  @Test
  void aCheckpointOfAnotherKindIsRefusedNamingTheFileAndItsFormat(@TempDir Path dir)
      throws Exception {
    Path f = dir.resolve("w.safetensors");
    TrainingCheckpoint.writeWeights(
        f,
        Map.of("w", HostTensor.ofFloats(new long[] {1}, new float[] {1})),
        run(1e-3, 1),
        Map.of("step", "3"));
    assertEquals(SafeTensors.WEIGHTS_FORMAT, SafeTensors.read(f).metadata().get("format"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainingCheckpoint.read(f, TrainingCheckpoint.FINE_TUNING, "fine-tuning"));
    assertEquals(
        f + " is not a saim-java fine-tuning checkpoint (format saim-java-weights-1)",
        e.getMessage());
  }

  @Test
  void trimmingTheMetricsKeepsAcceptedLinesAndDropsCutOnes(@TempDir Path dir) throws Exception {
    RunFolder folder = new RunFolder(dir.resolve("run"));
    folder.prepare();
    Files.writeString(
        folder.resolve(RunFolder.METRICS),
        "{\"epoch\":0}\n{\"epoch\":1}\n\n{\"epoch\":2}\n{\"epo",
        StandardCharsets.UTF_8);
    folder.trimMetrics(o -> o.get("epoch").getAsInt() < 2);
    assertEquals(
        "{\"epoch\":0}\n{\"epoch\":1}\n", Files.readString(folder.resolve(RunFolder.METRICS)));
    folder.writeConfig(run(1e-3, 1));
    assertTrue(Files.readString(folder.resolve(RunFolder.CONFIG)).startsWith("{\n  \"model\": {"));
  }

  @Test
  void aDivergedRunSaysWhetherAGoodCheckpointIsLeft(@TempDir Path dir) {
    TrainingDivergedException e =
        TrainingCheckpoint.diverged(Float.NaN, 4, 0.5, dir.resolve("none"));
    assertEquals(
        "loss is NaN at step 5 (epoch 0.500); training stopped and no checkpoint was written yet. "
            + "Lower the base learning rate (blr) or clip the gradients (clipGrad).",
        e.getMessage());
  }
}
