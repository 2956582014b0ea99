package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimFineTuner;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.train.RunFolder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FineTunerTest {
  static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(16)
          .channels(1)
          .patchSize(4)
          .width(32)
          .depth(2)
          .heads(2)
          .queryDepth(2)
          .build();

  /** The tiny run's settings; {@link #run} gives it its tiny labelled images. */
  static SaimFineTuner.Builder tiny(Path out) {
    return SaimFineTuner.builder()
        .config(TINY)
        .epochs(3)
        .batchSize(16)
        .lr(5e-3)
        .warmupEpochs(0.5)
        .minLr(0)
        .weightDecay(0.05)
        .layerDecay(0.75)
        .dropPath(0)
        .smoothing(0.1)
        .reprob(0)
        .autoAugment("none")
        .augmentation(Augmentation.FLIP_ONLY)
        .threads(1)
        .loaderThreads(1)
        .seed(3)
        .outputDir(out);
  }

  /** Builds the spec as the API does and runs it on 128 training and 32 validation images. */
  static SaimFineTuner.Result run(SaimFineTuner.Builder b) throws IOException {
    return FineTuner.run(b.build().spec(), new TinyImages(128, 1), new TinyImages(32, 2));
  }

  @Test
  void fineTuningATinyRandomInitModelLowersTheLossAndKeepsTheBestEpoch(@TempDir Path dir)
      throws Exception {
    SaimFineTuner.Result r = run(tiny(dir));
    List<String> lines = Files.readAllLines(dir.resolve(RunFolder.METRICS), StandardCharsets.UTF_8);
    assertEquals(3, lines.size());
    double first =
        JsonParser.parseString(lines.get(0)).getAsJsonObject().get("train_loss").getAsDouble();
    double last =
        JsonParser.parseString(lines.get(2)).getAsJsonObject().get("train_loss").getAsDouble();
    // 4 classes with smoothing 0.1: chance is ln 4 = 1.386
    assertTrue(first > 1.2, "first epoch loss " + first);
    assertTrue(last < first - 0.2, "loss " + first + " -> " + last);
    double best = Double.NEGATIVE_INFINITY;
    int bestEpoch = -1;
    for (int e = 0; e < 3; e++) {
      JsonObject o = JsonParser.parseString(lines.get(e)).getAsJsonObject();
      assertEquals(e, o.get("epoch").getAsInt());
      if (o.get("test_top1").getAsDouble() > best) {
        best = o.get("test_top1").getAsDouble();
        bestEpoch = e;
      }
    }
    assertEquals(best, r.bestTop1(), 0);
    assertEquals(bestEpoch, r.bestEpoch());
    assertEquals(3, r.epochs());
    assertEquals(24, r.steps());
    SafeTensors.Contents bestFile = SafeTensors.read(dir.resolve(SaimFineTuner.BEST));
    assertEquals(Integer.toString(bestEpoch), bestFile.metadata().get("epoch"));
    assertTrue(
        bestFile.tensors().containsKey("head.weight")
            && bestFile.tensors().containsKey("fc_norm.weight"));
    assertTrue(
        !bestFile.tensors().containsKey("norm.weight"),
        "global pool drops the final norm, as the reference");
    JsonObject summary =
        JsonParser.parseString(Files.readString(dir.resolve(SaimFineTuner.SUMMARY)))
            .getAsJsonObject();
    assertEquals(r.bestTop1(), summary.get("best_top1").getAsDouble(), 0);
    assertEquals(r.finalTop1(), summary.get("final_top1").getAsDouble(), 0);
    // evaluation only, from the best weights, reproduces the best epoch's accuracy
    SaimFineTuner.Result ev =
        run(
            tiny(dir.resolve("eval"))
                .config(null)
                .checkpoint(dir.resolve(SaimFineTuner.BEST))
                .evalOnly(true));
    assertEquals(r.bestTop1(), ev.bestTop1(), 1e-9);
    assertEquals(r.bestTop5(), ev.bestTop5(), 1e-9);
  }

  /** The tiny run for 2 epochs with every random draw on. */
  static SaimFineTuner.Builder everyDrawOn(Path out) {
    return tiny(out)
        .autoAugment("rand-m9-mstd0.5-inc1")
        .epochs(2)
        .dropPath(0.2)
        .mixup(0.8)
        .cutmix(1.0)
        .reprob(0.5);
  }

  @Test
  void aResumedRunEndsWithTheUninterruptedRunsWeights(@TempDir Path dir) throws Exception {
    // drop-path, mixup, cutmix, RandAugment and random erasing on: every random draw must repeat on
    // resume
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    run(everyDrawOn(a));
    SaimFineTuner.Result first = run(everyDrawOn(b).stopAfterEpochs(1));
    assertEquals(1, first.epochs());
    SaimFineTuner.Result resumed = run(everyDrawOn(b));
    assertEquals(1, resumed.resumedFromEpoch());
    Map<String, HostTensor> wa = SafeTensors.read(a.resolve(SaimFineTuner.CHECKPOINT)).tensors();
    Map<String, HostTensor> wb = SafeTensors.read(b.resolve(SaimFineTuner.CHECKPOINT)).tensors();
    assertEquals(wa.keySet(), wb.keySet());
    for (String k : wa.keySet()) {
      assertArrayEquals(wa.get(k).toFloatArray(), wb.get(k).toFloatArray(), 0f, k);
    }
    assertEquals(
        Files.readAllLines(a.resolve(RunFolder.METRICS)).size(),
        Files.readAllLines(b.resolve(RunFolder.METRICS)).size());
  }
}
