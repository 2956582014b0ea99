package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.StepEvent;
import io.github.saimjava.api.TrainingSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainerTest {
  static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(16)
          .patchSize(4)
          .width(32)
          .depth(2)
          .heads(2)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  static SaimTrainer.Builder trainer(Path out) {
    return SaimTrainer.builder()
        .config(TINY)
        .batchSize(8)
        .epochs(3)
        .lr(2e-3)
        .warmupEpochs(1)
        .seed(5)
        .threads(1)
        .outputDir(out)
        .checkpointEvery(4);
  }

  @Test
  void lossFallsOnSmoothImages(@TempDir Path out) throws Exception {
    List<StepEvent> events = new ArrayList<>();
    TrainingSummary s =
        new Pretrainer(
                trainer(out).epochs(6).onStep(events::add).build().spec(),
                new SyntheticBatches(64, 3, 16, 8, 1))
            .run();
    assertEquals(48, s.steps());
    assertEquals(48 * 8, s.images());
    double first =
        events.subList(0, 4).stream().mapToDouble(StepEvent::loss).average().orElseThrow();
    double last =
        events.subList(44, 48).stream().mapToDouble(StepEvent::loss).average().orElseThrow();
    assertTrue(last < 0.9 * first, "loss " + first + " -> " + last);
    assertTrue(Files.exists(out.resolve("final.safetensors")));
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(48 + 6, lines.size());
    assertTrue(lines.get(0).startsWith("{\"type\":\"step\",\"step\":1,"), lines.get(0));
  }

  @Test
  void learningRateFollowsWarmupThenCosine() {
    LrSchedule s = new LrSchedule(1e-3, 1e-5, 2, 10);
    assertEquals(0.0, s.at(0));
    assertEquals(5e-4, s.at(1), 1e-15);
    assertEquals(1e-3, s.at(2), 1e-15);
    assertEquals(1e-5 + (1e-3 - 1e-5) * 0.5, s.at(6), 1e-15);
    assertEquals(1e-5, s.at(10), 1e-15);
  }

  @Test
  void resumedRunEndsWithIdenticalWeights(@TempDir Path a, @TempDir Path b) throws Exception {
    new Pretrainer(trainer(a).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2)).run();
    TrainingSummary first =
        new Pretrainer(trainer(b).maxSteps(7).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2))
            .run();
    assertEquals(7, first.steps());
    TrainingSummary second =
        new Pretrainer(trainer(b).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2)).run();
    assertEquals(7, second.resumedFromStep());
    assertEquals(18, second.steps());
    assertArrayEquals(
        Files.readAllBytes(a.resolve("final.safetensors")),
        Files.readAllBytes(b.resolve("final.safetensors")));
    assertEquals(
        Files.readAllLines(a.resolve("metrics.jsonl")).size(),
        Files.readAllLines(b.resolve("metrics.jsonl")).size());
  }

  @Test
  void keptWeightsAreTheWeightsARunStoppedAtThatStepWouldEndWith(@TempDir Path a, @TempDir Path b)
      throws Exception {
    new Pretrainer(
            trainer(a).keepWeightsEvery(6).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2))
        .run();
    // 18 steps: kept at 6 and 12; step 18 is final.safetensors
    assertTrue(Files.exists(a.resolve("weights-step6.safetensors")));
    assertTrue(Files.exists(a.resolve("weights-step12.safetensors")));
    assertTrue(!Files.exists(a.resolve("weights-step18.safetensors")));
    try (var files = Files.list(a)) {
      assertEquals(
          2, files.filter(f -> f.getFileName().toString().startsWith("weights-step")).count());
    }
    // the same schedule stopped after 6 steps ends with exactly the kept file (tensors and
    // metadata)
    new Pretrainer(trainer(b).maxSteps(6).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2))
        .run();
    assertArrayEquals(
        Files.readAllBytes(b.resolve("final.safetensors")),
        Files.readAllBytes(a.resolve(RunFolder.keptWeights(6))));
    assertEquals(
        "keepWeightsEvery (-1) must be 0 (none) or positive",
        assertThrows(IllegalArgumentException.class, () -> trainer(a).keepWeightsEvery(-1).build())
            .getMessage());
  }

  @Test
  void nonFiniteLossStopsWithTheCheckpointIntact(@TempDir Path out) throws Exception {
    SyntheticBatches data = new SyntheticBatches(48, 3, 16, 8, 3);
    new Pretrainer(trainer(out).maxSteps(4).build().spec(), data).run();
    byte[] before = Files.readAllBytes(out.resolve("checkpoint.safetensors"));
    data.nanAtIndex = 7;
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class,
            () -> new Pretrainer(trainer(out).checkpointEvery(1000).build().spec(), data).run());
    assertTrue(e.getMessage().contains("loss is NaN"), e.getMessage());
    assertTrue(e.getMessage().contains("checkpoint.safetensors is intact"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(out.resolve("checkpoint.safetensors")));
    assertEquals(
        "4",
        io.github.saimjava.io.SafeTensors.read(out.resolve("checkpoint.safetensors"))
            .metadata()
            .get("step"));
  }

  @Test
  void resumingAnotherConfigurationIsRefusedByName(@TempDir Path out) throws Exception {
    new Pretrainer(trainer(out).maxSteps(4).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2))
        .run();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Pretrainer(
                        trainer(out).batchSize(4).build().spec(),
                        new SyntheticBatches(48, 3, 16, 4, 2))
                    .run());
    assertTrue(e.getMessage().contains("training.batch_size: checkpoint 8, now 4"), e.getMessage());
  }

  @Test
  void batchLargerThanTheDatasetIsAClearError(@TempDir Path out) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Pretrainer(
                        trainer(out).batchSize(64).build().spec(),
                        new SyntheticBatches(48, 3, 16, 64, 2))
                    .run());
    assertTrue(
        e.getMessage()
            .startsWith("batchSize (64) x accumIter (1) is larger than the dataset (48 images"),
        e.getMessage());
  }

  @Test
  void accumulationOfTwoHalvesEqualsOneFullBatchStep(@TempDir Path a, @TempDir Path b)
      throws Exception {
    // the same images in one batch of 8 or two micro-batches of 4 give the same first update
    SyntheticBatches full = new SyntheticBatches(8, 3, 16, 8, 4);
    SyntheticBatches halves = new SyntheticBatches(8, 3, 16, 4, 4);
    new Pretrainer(trainer(a).epochs(1).warmupEpochs(0).build().spec(), full).run();
    new Pretrainer(
            trainer(b).epochs(1).warmupEpochs(0).batchSize(4).accumIter(2).build().spec(), halves)
        .run();
    var wa = io.github.saimjava.io.SafeTensors.read(a.resolve("final.safetensors")).tensors();
    var wb = io.github.saimjava.io.SafeTensors.read(b.resolve("final.safetensors")).tensors();
    for (String name : wa.keySet()) {
      assertEquals(
          0.0,
          ReferenceCheck.relativeError(wb.get(name).toFloatArray(), wa.get(name).toFloatArray()),
          2e-4,
          name);
    }
  }
}
