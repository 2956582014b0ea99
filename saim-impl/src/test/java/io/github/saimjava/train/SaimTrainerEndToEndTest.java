package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.TrainingSummary;
import io.github.saimjava.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public API finds the implementation through ServiceLoader and trains on the embedded images.
 */
class SaimTrainerEndToEndTest {
  @Test
  void fitTrainsOnTheEmbeddedDataAndWritesItsOutputs(@TempDir Path out) throws Exception {
    SaimConfig tiny =
        SaimConfig.vitTiny().toBuilder()
            .imageSize(32)
            .patchSize(8)
            .width(48)
            .depth(2)
            .heads(3)
            .queryDepth(2)
            .blur(3, 1)
            .build();
    TrainingSummary s =
        SaimTrainer.builder()
            .config(tiny)
            .batchSize(8)
            .maxSteps(3)
            .threads(1)
            .loaderThreads(2)
            .augmentation(Augmentation.FLIP_ONLY)
            .outputDir(out)
            .build()
            .fit();
    assertEquals(3, s.steps());
    assertEquals(24, s.images());
    assertTrue(s.finalLoss().orElseThrow() > 0 && Double.isFinite(s.finalLoss().orElseThrow()));
    SafeTensors.Contents w = SafeTensors.read(out.resolve("final.safetensors"));
    assertTrue(w.tensors().containsKey("blocks.1.attn.q.weight"));
    assertTrue(w.tensors().containsKey("query_blocks.0.mlp.fc2.bias"));
    assertTrue(w.tensors().containsKey("prediction_head.fc2.weight"));
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(3, metrics.size());
    String config = Files.readString(out.resolve("config.json"));
    assertTrue(config.contains("\"embed_dim\": 48"), config);
    assertTrue(config.contains("embedded:fashion-mnist-train-10k"), config);
  }
}
