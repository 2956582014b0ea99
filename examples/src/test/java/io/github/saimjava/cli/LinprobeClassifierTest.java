package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.IdxDataset;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code saim linprobe --save-classifier}: the probe as a reference-layout classifier that
 * evaluates as it did.
 */
class LinprobeClassifierTest {
  /**
   * Embedded Fashion-MNIST images, doubled to 56 x 56 (larger than the 32 px model, so the encoder
   * and the classifier both resize and crop), as ImageFolders.
   */
  static Path imageFolders(Path dir, int trainPerClass, int valPerClass) throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    int[] train = new int[10];
    int[] val = new int[10];
    for (int i = 0; i < src.size(); i++) {
      int y = src.label(i);
      String split;
      int n;
      if (train[y] < trainPerClass) {
        split = "train";
        n = train[y]++;
      } else if (val[y] < valPerClass) {
        split = "val";
        n = val[y]++;
      } else {
        continue;
      }
      DecodedImage img = src.image(i);
      BufferedImage b = new BufferedImage(56, 56, BufferedImage.TYPE_BYTE_GRAY);
      for (int yy = 0; yy < 56; yy++) {
        for (int xx = 0; xx < 56; xx++) {
          int v = img.at(xx / 2, yy / 2, 0);
          b.getRaster().setSample(xx, yy, 0, v);
        }
      }
      Path folder = Files.createDirectories(dir.resolve(split).resolve("c" + y));
      ImageIO.write(b, "png", folder.resolve("img" + i + ".png").toFile());
    }
    return dir;
  }

  @Test
  void theSavedProbeEvaluatesAsTheProbeDid(@TempDir Path dir) throws Exception {
    Path data = imageFolders(dir.resolve("data"), 20, 6);
    Path saved = dir.resolve("probe.safetensors");
    System.setProperty("saim.cache.dir", dir.resolve("cache").toString());
    try {
      CliTestSupport.Result probe =
          CliTestSupport.run(
              "linprobe",
              "--zoo",
              "saim_vit_micro_patch4_32_fmnist",
              "--data",
              data.toString(),
              "--epochs",
              "10",
              "--batch-size",
              "50",
              "--blr",
              "6.4",
              "--threads",
              "1",
              "--output",
              dir.resolve("out").toString(),
              "--save-classifier",
              saved.toString());
      assertEquals(0, probe.exitCode(), probe.err());
      try (SaimClassifier c = SaimClassifier.builder().checkpoint(saved).build()) {
        assertEquals(SaimClassifier.Head.CLASS_TOKEN_BATCH_NORM, c.head());
        assertEquals(10, c.numClasses());
      }
      CliTestSupport.Result eval =
          CliTestSupport.run(
              "evaluate",
              "--checkpoint",
              saved.toString(),
              "--data",
              data.resolve("val").toString(),
              "--threads",
              "1");
      assertEquals(0, eval.exitCode(), eval.err());
      System.out.println(
          "linprobe: " + probe.lastLine() + "; evaluate of the saved probe: " + eval.lastLine());
      assertEquals(probe.lastLine(), eval.lastLine());
    } finally {
      System.clearProperty("saim.cache.dir");
    }
  }

  @Test
  void savingNeedsTheClassTokenOfLoadedWeights(@TempDir Path dir) throws Exception {
    Path data = imageFolders(dir.resolve("data"), 1, 1);
    Path saved = dir.resolve("probe.safetensors");
    CliTestSupport.Result random =
        CliTestSupport.run(
            "linprobe",
            "--random-init",
            "--model",
            "tiny",
            "--img-size",
            "32",
            "--patch-size",
            "8",
            "--data",
            data.toString(),
            "--save-classifier",
            saved.toString());
    assertEquals(2, random.exitCode());
    assertTrue(
        random.err().contains("--save-classifier needs the encoder's weights"), random.err());
    CliTestSupport.Result mean =
        CliTestSupport.run(
            "linprobe",
            "--zoo",
            "saim_vit_micro_patch4_32_fmnist",
            "--pooling",
            "mean",
            "--data",
            data.toString(),
            "--save-classifier",
            saved.toString());
    assertEquals(2, mean.exitCode());
    assertTrue(mean.err().contains("--pooling cls"), mean.err());
    assertFalse(Files.exists(saved));
  }
}
