package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimFineTuner;
import io.github.saimjava.api.SaimLinearProbe;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.IdxDataset;
import io.github.saimjava.data.LabelledData;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "Fine-tuning and linear probing" code, compiled and run through the API's façades on a
 * small labelled IDX pair (ReadmeSnippetsTest checks that README shows this region as it is).
 */
class ReadmeFineTuneTest {
  @Test
  void fineTunesAndProbesThroughTheApi(@TempDir Path dir) throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    idxPair(dir.resolve("data"), "train", src, 0, 128);
    idxPair(dir.resolve("data"), "t10k", src, 128, 64);
    Path runs = dir.resolve("runs");
    List<String> lines = new ArrayList<>();
    LabelledData data = LabelledData.open(dir.resolve("data"));
    List<RawImage> trainImages = data.train().rawImages();
    int[] trainLabels = data.train().labels();
    List<RawImage> valImages = data.val().rawImages();
    int[] valLabels = data.val().labels();
    // README:finetune:start
    SaimConfig config =
        SaimConfig.vitTiny().toBuilder().imageSize(32).patchSize(8).depth(2).queryDepth(2).build();
    SaimFineTuner.Result ft =
        SaimFineTuner.builder()
            .config(config) // random initialisation; or .checkpoint(path) / .zoo(name)
            .data(dir.resolve("data")) // DIR/train + DIR/val, an IDX pair, or null: embedded
            .epochs(2)
            .batchSize(32)
            .warmupEpochs(1)
            .augmentation(Augmentation.FLIP_ONLY)
            .outputDir(runs.resolve("finetune"))
            .onEvaluation(e -> lines.add("epoch " + e.epoch() + ": top-1 " + e.top1()))
            .build()
            .fit();
    lines.add("best top-1 " + ft.bestTop1() + " in " + ft.bestWeights().orElseThrow());

    // the linear probe of the fine-tuned encoder's features (mean-pooled, as it was fine-tuned)
    try (SaimEncoder encoder =
        SaimEncoder.builder()
            .checkpoint(ft.bestWeights().get())
            .pooling(SaimEncoder.Pooling.MEAN)
            .build()) {
      float[][] trainX = encoder.embed(trainImages);
      float[][] valX = encoder.embed(valImages);
      SaimLinearProbe.Result probe =
          SaimLinearProbe.builder()
              .epochs(10)
              .blr(1.0)
              .build()
              .fit(trainX, trainLabels, valX, valLabels, 10);
      lines.add("probe top-1 " + probe.top1() + ", top-5 " + probe.top5());
    }
    // README:finetune:end
    assertEquals(4, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("epoch 0: top-1 "), lines.get(0));
    assertTrue(Files.isRegularFile(runs.resolve("finetune").resolve(SaimFineTuner.BEST)));
    assertEquals(2, ft.epochs());
    assertEquals(128, ft.trainImages());
    assertEquals(64, ft.valImages());
    assertTrue(lines.get(3).startsWith("probe top-1 "), lines.get(3));
  }

  private static void idxPair(Path dir, String prefix, IdxDataset src, int first, int n)
      throws Exception {
    Files.createDirectories(dir);
    ByteBuffer img =
        ByteBuffer.allocate(16 + n * 784).putInt(0x803).putInt(n).putInt(28).putInt(28);
    ByteBuffer lab = ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
    for (int i = first; i < first + n; i++) {
      img.put(src.image(i).pixels());
      lab.put((byte) src.label(i));
    }
    Files.write(dir.resolve(prefix + "-images-idx3-ubyte"), img.array());
    Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), lab.array());
  }
}
