package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.TrainingSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A program run twice: the second run trains nothing and says so, with the first run's figures. */
class FinishedRunTest {
  @Test
  void aRerunWithNothingLeftReturnsTheFinishedRunsFigures(@TempDir Path out) throws Exception {
    TrainingSummary first =
        new Pretrainer(
                PretrainerTest.trainer(out).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2))
            .run();
    assertFalse(first.alreadyFinished());
    byte[] weights = Files.readAllBytes(out.resolve("final.safetensors"));
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    List<Long> stepsSeen = new ArrayList<>();

    TrainingSummary again =
        new Pretrainer(
                PretrainerTest.trainer(out).onStep(e -> stepsSeen.add(e.step())).build().spec(),
                new SyntheticBatches(48, 3, 16, 8, 2))
            .run();

    assertTrue(again.alreadyFinished());
    assertEquals(List.of(), stepsSeen);
    assertEquals(18, again.steps());
    assertEquals(18, again.resumedFromStep());
    assertEquals(first.images(), again.images());
    assertEquals(first.finalLoss(), again.finalLoss());
    // speed and time as the finished run logged them at its last step (before its final writes)
    String lastStep =
        metrics.stream()
            .filter(l -> l.startsWith("{\"type\":\"step\""))
            .reduce((x, y) -> y)
            .orElseThrow();
    JsonObject last = JsonParser.parseString(lastStep).getAsJsonObject();
    assertEquals(18, last.get("step").getAsLong());
    assertEquals(
        last.get("images_per_s").getAsDouble(), again.imagesPerSecond().orElseThrow(), 0.0);
    assertEquals(last.get("time_s").getAsDouble(), again.seconds().orElseThrow(), 0.0);
    assertTrue(
        again.imagesPerSecond().orElseThrow() > 0
            && again.seconds().orElseThrow() <= first.seconds().orElseThrow() + 1e-3);
    assertArrayEquals(weights, Files.readAllBytes(out.resolve("final.safetensors")));
    assertEquals(metrics, Files.readAllLines(out.resolve("metrics.jsonl")));
  }

  @Test
  void aFinishedRunWhoseFinalWeightsAreGoneGetsThemBack(@TempDir Path out) throws Exception {
    new Pretrainer(
            PretrainerTest.trainer(out).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2))
        .run();
    byte[] weights = Files.readAllBytes(out.resolve("final.safetensors"));
    Files.delete(out.resolve("final.safetensors"));
    TrainingSummary again =
        new Pretrainer(
                PretrainerTest.trainer(out).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2))
            .run();
    assertTrue(again.alreadyFinished());
    assertArrayEquals(weights, Files.readAllBytes(out.resolve("final.safetensors")));
  }

  @Test
  void aFinishedRunWhoseLogIsGoneHasNoFiguresRatherThanNaN(@TempDir Path out) throws Exception {
    new Pretrainer(
            PretrainerTest.trainer(out).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2))
        .run();
    Files.delete(out.resolve("metrics.jsonl"));
    TrainingSummary again =
        new Pretrainer(
                PretrainerTest.trainer(out).build().spec(), new SyntheticBatches(48, 3, 16, 8, 2))
            .run();
    assertTrue(again.alreadyFinished());
    assertEquals(18, again.steps());
    assertEquals(OptionalDouble.empty(), again.finalLoss());
    assertEquals(OptionalDouble.empty(), again.seconds());
    assertEquals(OptionalDouble.empty(), again.imagesPerSecond());
  }
}
