package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VisualizeCommandTest {
  private static final String METRICS =
      String.join(
              "\n",
              "{\"type\":\"step\",\"step\":1,\"epoch\":0.1,\"loss\":1.5,\"lr\":1.0E-4,\"images_per_s\":10.0,\"time_s\":1.0}",
              "{\"type\":\"step\",\"step\":2,\"epoch\":0.2,\"loss\":1.2,\"lr\":2.0E-4,\"images_per_s\":10.0,\"time_s\":2.0}",
              "{\"type\":\"epoch\",\"epoch\":0,\"mean_loss\":1.35,\"steps\":2,\"time_s\":2.0,\"skipped_images\":0}",
              "{\"type\":\"step\",\"step\":3,\"epoch\":1.1,\"loss\":1.1,\"lr\":1.5E-4,\"images_per_s\":10.0,\"time_s\":3.0}")
          + "\n";

  private static BufferedImage png(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    assertArrayEquals(
        new byte[] {(byte) 0x89, 'P', 'N', 'G'},
        java.util.Arrays.copyOf(bytes, 4),
        file + " is no PNG");
    BufferedImage img = ImageIO.read(file.toFile());
    assertNotNull(img, file + " does not decode");
    return img;
  }

  private static void assertSize(Path file, int width, int height) throws IOException {
    BufferedImage img = png(file);
    assertEquals(width, img.getWidth(), file + " width");
    assertEquals(height, img.getHeight(), file + " height");
  }

  @Test
  void randomInitModelGivesFourPicturesOfTheLayoutsSize(@TempDir Path dir) throws IOException {
    Path metrics = dir.resolve("metrics.jsonl");
    Files.writeString(metrics, METRICS, StandardCharsets.UTF_8);
    Path out = dir.resolve("pictures");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "visualize",
            "--random-init",
            "--model",
            "tiny",
            "--img-size",
            "16",
            "--patch-size",
            "4",
            "--depth",
            "2",
            "--heads",
            "3",
            "--dim",
            "48",
            "--images",
            "3",
            "--metrics",
            metrics.toString(),
            "--threads",
            "1",
            "--output",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    // 16 px upscaled x8 = 128 px cells, 8 px gaps, 70 px row labels, 22 px titles
    assertSize(out.resolve("reconstructions.png"), 70 + 3 * 136 + 8, 22 + 3 * 136 + 8);
    assertSize(
        out.resolve("attention.png"),
        70 + 4 * 136 + 8,
        22 + 2 * 136 + 8); // image + 3 heads, cls + patch
    // a 4 x 4 grid drawn at 64 px per patch
    assertSize(out.resolve("order.png"), 70 + 2 * 264 + 8, 22 + 264 + 8);
    assertSize(out.resolve("curves.png"), 960, 320);
    assertTrue(r.lastLine().contains("wrote 4 pictures"), r.out());
  }

  @Test
  void bundledZooModelHasNoDecoderSoReconstructionsShowOriginalAndTarget(@TempDir Path dir)
      throws IOException {
    Path out = dir.resolve("pictures");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "visualize",
            "--zoo",
            "saim_vit_micro_patch4_32_fmnist",
            "--images",
            "2",
            "--threads",
            "1",
            "--output",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("holds the encoder only"), r.out());
    // 32 px upscaled x4 = 128 px cells; two columns without a decoder
    assertSize(out.resolve("reconstructions.png"), 70 + 2 * 136 + 8, 22 + 2 * 136 + 8);
    assertSize(out.resolve("attention.png"), 70 + 4 * 136 + 8, 22 + 2 * 136 + 8);
    BufferedImage order = png(out.resolve("order.png"));
    assertEquals(70 + 2 * 264 + 8, order.getWidth());
    assertEquals(22 + 264 + 8, order.getHeight());
    // raster panel: 8 x 8 patches of 32 px from x = 342; its first patch is step 0, its last step
    // 63
    assertEquals(Pictures.viridis(0), order.getRGB(342 + 2, 22 + 2) & 0xffffff);
    assertEquals(Pictures.viridis(1), order.getRGB(342 + 7 * 32 + 2, 22 + 7 * 32 + 2) & 0xffffff);
    assertEquals(Pictures.viridis(8 / 63.0), order.getRGB(342 + 2, 22 + 32 + 2) & 0xffffff);
    assertFalse(Files.exists(out.resolve("curves.png")));
  }

  @Test
  void bundledFullZooModelDrawsThePredictionColumn(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("pictures");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "visualize",
            "--zoo",
            "saim_vit_mini_patch4_32_fmnist",
            "--images",
            "2",
            "--threads",
            "1",
            "--output",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertFalse(r.out().contains("holds the encoder only"), r.out());
    // three columns (original | target | prediction); attention: the image and 4 heads
    assertSize(out.resolve("reconstructions.png"), 70 + 3 * 136 + 8, 22 + 2 * 136 + 8);
    assertSize(out.resolve("attention.png"), 70 + 5 * 136 + 8, 22 + 2 * 136 + 8);
  }

  @Test
  void rasterOrderPutsEveryPatchAtItsOwnStep() {
    long[] raster = new long[64];
    int[] identity = new int[64];
    for (int i = 0; i < 64; i++) {
      raster[i] = i;
      identity[i] = i;
    }
    assertArrayEquals(identity, Pictures.stepOfPatch(raster));
    assertArrayEquals(new int[] {2, 0, 1}, Pictures.stepOfPatch(new long[] {1, 2, 0}));
  }

  @Test
  void viridisRunsFromDarkPurpleToYellow() {
    assertEquals(0x440154, Pictures.viridis(0));
    assertEquals(0xfde725, Pictures.viridis(1));
    assertEquals(0x21918c, Pictures.viridis(0.5));
  }

  @Test
  void badMetricsLineIsOneErrorNamingFileAndLine(@TempDir Path dir) throws IOException {
    Path metrics = dir.resolve("metrics.jsonl");
    Files.writeString(
        metrics, METRICS.replace("\"loss\":1.2", "\"loss\":\"x\""), StandardCharsets.UTF_8);
    CliTestSupport.Result r =
        CliTestSupport.run(
            "visualize",
            "--random-init",
            "--model",
            "tiny",
            "--img-size",
            "16",
            "--patch-size",
            "4",
            "--metrics",
            metrics.toString(),
            "--output",
            dir.resolve("p").toString());
    assertEquals(Errors.BAD_INPUT, r.exitCode());
    assertEquals("saim: error: " + metrics + ":2: 'loss' missing or not a number", r.err().strip());
    assertFalse(Files.exists(dir.resolve("p")));
    Files.writeString(metrics, "{\"type\":\"step\",\n", StandardCharsets.UTF_8);
    r =
        CliTestSupport.run(
            "visualize",
            "--random-init",
            "--metrics",
            metrics.toString(),
            "--output",
            dir.resolve("p").toString());
    assertEquals(Errors.BAD_INPUT, r.exitCode());
    assertTrue(r.err().startsWith("saim: error: " + metrics + ":1: not JSON"), r.err());
  }
}
