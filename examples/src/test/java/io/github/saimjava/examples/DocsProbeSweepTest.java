package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimLinearProbe;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.IdxDataset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The learning-rate sweep of docs/finetuning.md ("A learning-rate sweep in one pass"), run on
 * embedded Fashion-MNIST images with a random-init encoder (ReadmeSnippetsTest checks that the page
 * shows this region as it is).
 */
class DocsProbeSweepTest {
  @Test
  void sweepsFourRatesAndSelectsOneOnHeldOutTrainingImages() throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    List<RawImage> trainImages = new ArrayList<>();
    List<RawImage> valImages = new ArrayList<>();
    int[] trainLabels = new int[400];
    int[] valLabels = new int[100];
    for (int i = 0; i < 500; i++) {
      RawImage r = src.image(i).toRawImage();
      if (i < 400) {
        trainImages.add(r);
        trainLabels[i] = src.label(i);
      } else {
        valImages.add(r);
        valLabels[i - 400] = src.label(i);
      }
    }
    SaimConfig config =
        SaimConfig.vitTiny().toBuilder().imageSize(32).patchSize(8).depth(2).queryDepth(2).build();
    List<String> lines = new ArrayList<>();
    float[][] trainX;
    float[][] valX;
    try (SaimEncoder encoder = SaimEncoder.builder().config(config).threads(1).build()) {
      trainX = encoder.embed(trainImages);
      valX = encoder.embed(valImages);
    }
    // README:sweep:start
    SaimLinearProbe.Result r =
        SaimLinearProbe.builder()
            .epochs(10)
            .blrs(0.1, 0.4, 1.6, 6.4)
            .heldOutFraction(0.1)
            .build()
            .fit(trainX, trainLabels, valX, valLabels, 10);
    for (SaimLinearProbe.Rate rate : r.sweep()) {
      lines.add(String.format("blr %s: held-out top-1 %.2f", rate.blr(), rate.heldOutTop1()));
    }
    lines.add(String.format("selected blr %s: top-1 %.2f", r.blr(), r.top1()));
    // README:sweep:end
    assertEquals(4, r.sweep().size());
    assertEquals(40, r.heldOutImages());
    SaimLinearProbe.Rate best = r.sweep().get(0);
    for (SaimLinearProbe.Rate rate : r.sweep()) {
      if (rate.heldOutTop1() > best.heldOutTop1()) {
        best = rate;
      }
    }
    assertEquals(best.blr(), r.blr());
    assertEquals(best.top1(), r.top1(), 1e-12);
    assertTrue(lines.get(4).startsWith("selected blr "), lines.toString());
  }
}
