package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimKnn;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The k-NN code of docs/finetuning.md ("k nearest neighbours"), run on embedded Fashion-MNIST
 * images with a random-init encoder (ReadmeSnippetsTest checks that the page shows this region as
 * it is).
 */
class DocsKnnTest {
  @Test
  void classifiesFrozenFeaturesByTheirNeighbours() throws Exception {
    DocsData.Split data = DocsData.split();
    List<RawImage> trainImages = data.trainImages();
    int[] trainLabels = data.trainLabels();
    List<RawImage> testImages = data.valImages();
    int[] testLabels = data.valLabels();
    List<String> lines = new ArrayList<>();
    try (SaimEncoder encoder = DocsData.randomTinyEncoder()) {
      // README:knn:start
      float[][] trainX = encoder.embed(trainImages);
      float[][] testX = encoder.embed(testImages);
      SaimKnn.Result r =
          SaimKnn.builder()
              .k(20)
              .temperature(0.07)
              .build()
              .evaluate(trainX, trainLabels, testX, testLabels, 10);
      lines.add(String.format("k-NN top-1 %.2f%%", r.top1()));
      // README:knn:end
      assertEquals(20, r.k());
      // ten classes: chance is 10%
      assertTrue(r.top1() > 30 && r.top5() >= r.top1(), r.toString());
    }
    assertTrue(lines.get(0).startsWith("k-NN top-1 "), lines.toString());
  }
}
