package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimLinearProbe;
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
    DocsData.Split data = DocsData.split();
    float[][] trainX;
    float[][] valX;
    try (SaimEncoder encoder = DocsData.randomTinyEncoder()) {
      trainX = encoder.embed(data.trainImages());
      valX = encoder.embed(data.valImages());
    }
    int[] trainLabels = data.trainLabels();
    int[] valLabels = data.valLabels();
    List<String> lines = new ArrayList<>();
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
