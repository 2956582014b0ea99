package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimAttentiveProbe;
import io.github.saimjava.api.SaimEncoder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The attentive-probe code of docs/finetuning.md ("The attentive probe"), run on embedded
 * Fashion-MNIST images with a random-init encoder (ReadmeSnippetsTest checks that the page shows
 * this region as it is).
 */
class DocsAttentiveProbeTest {
  @Test
  void probesTheAverageOfTheLastTwoBlocksTokens() throws Exception {
    DocsData.Split data = DocsData.split();
    List<RawImage> trainImages = data.trainImages();
    int[] trainLabels = data.trainLabels();
    List<RawImage> valImages = data.valImages();
    int[] valLabels = data.valLabels();
    List<String> lines = new ArrayList<>();
    try (SaimEncoder encoder = DocsData.randomTinyEncoder()) {
      // README:attnprobe:start
      // the patch tokens, averaged over the last two blocks' outputs: [image][patch][width]
      float[][][] trainX = encoder.patchTokens(trainImages, 2);
      float[][][] valX = encoder.patchTokens(valImages, 2);
      SaimAttentiveProbe.Result r =
          SaimAttentiveProbe.builder()
              .epochs(10)
              .batchSize(50)
              .blr(0.005)
              .queries(1)
              .heads(8)
              .build()
              .fit(trainX, trainLabels, valX, valLabels, 10);
      lines.add(String.format("attentive probe top-1 %.2f%%", r.top1()));
      // README:attnprobe:end
      assertEquals(16, trainX[0].length);
      // ten classes: chance is 10%
      assertTrue(r.top1() > 30 && r.top5() >= r.top1(), r.toString());
    }
    assertTrue(lines.get(0).startsWith("attentive probe top-1 "), lines.toString());
  }
}
