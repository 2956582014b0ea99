package com.example;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.TrainingSummary;
import java.nio.file.Path;
import java.util.List;

/** Pre-trains a small ViT on a folder of images with SAIM, then embeds images with its encoder. */
public class PretrainAndEmbed {
  public static void main(String[] args) throws Exception {
    // README:quickstart:start
    // 1. pre-train on a folder of JPEG/PNG images (sub-folders optional: no labels needed)
    TrainingSummary run =
        SaimTrainer.builder()
            .config(
                SaimConfig.vitTiny().toBuilder() // ViT-Ti width and heads, made small:
                    .imageSize(32)
                    .patchSize(8)
                    .depth(2)
                    .queryDepth(2)
                    .blur(3, 1.0)
                    .build())
            .data(Path.of("images"))
            .epochs(2)
            .batchSize(16)
            .blr(1.5e-3)
            .outputDir(Path.of("runs/java")) // run again: finds the finished run and trains nothing
            .build()
            .fit();
    System.out.printf(
        "%d steps in %.1f s, final loss %.4f%s%n",
        run.steps(),
        run.seconds().orElse(0),
        run.finalLoss().orElse(Double.NaN),
        run.alreadyFinished() ? " (finished before)" : "");

    // 2. embed image files, or DJL Images (ImageFactory reads files, URLs, streams, BufferedImages)
    try (SaimEncoder encoder = SaimEncoder.builder().checkpoint(run.finalWeights()).build()) {
      float[][] fromFiles = encoder.embedFiles(List.of(Path.of("images/0000-ankle-boot.png")));
      Image image = ImageFactory.getInstance().fromFile(Path.of("images/0001-t-shirt.png"));
      float[][] fromImages = encoder.embedImages(List.of(image));
      System.out.println(
          "vectors of " + fromFiles[0].length + " and " + fromImages[0].length + " numbers");
    }
    // README:quickstart:end
  }
}
