package io.github.saimjava.examples;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.IdxDataset;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the code of docs/finetuning.md runs on in the tests: the first 500 embedded Fashion-MNIST
 * training images, 400 to train on and 100 to evaluate, and a random-init tiny encoder.
 */
final class DocsData {
  private DocsData() {}

  /** Images 0-399 with their labels, and images 400-499 with theirs. */
  record Split(
      List<RawImage> trainImages, int[] trainLabels, List<RawImage> valImages, int[] valLabels) {}

  static Split split() {
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
    return new Split(trainImages, trainLabels, valImages, valLabels);
  }

  /**
   * A randomly initialised encoder on 32-pixel images in 8-pixel patches (16 positions), two blocks
   * of ViT-Tiny's width, on one thread.
   */
  static SaimEncoder randomTinyEncoder() throws IOException {
    SaimConfig config =
        SaimConfig.vitTiny().toBuilder().imageSize(32).patchSize(8).depth(2).queryDepth(2).build();
    return SaimEncoder.builder().config(config).threads(1).build();
  }
}
