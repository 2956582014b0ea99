package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.model.ModelInspector;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.train.NoGrad;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class VisualizeCommandTest {
  /** A 16 px model of 4 x 4 patches, random init seed 0: a second per run. */
  private static final List<String> TINY = CliTestSupport.RANDOM_TINY_16;

  private static CliTestSupport.Result runTiny(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("visualize"));
    args.addAll(TINY);
    args.addAll(List.of("--images", "3", "--threads", "1"));
    args.addAll(List.of(extra));
    args.addAll(List.of("--output", out.toString()));
    return CliTestSupport.run(args.toArray(String[]::new));
  }

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
            CliTestSupport.args(
                "visualize",
                CliTestSupport.RANDOM_TINY_16,
                "--images",
                "3",
                "--metrics",
                metrics.toString(),
                "--threads",
                "1",
                "--output",
                out.toString()));
    assertEquals(0, r.exitCode(), r.err());
    // 16 px upscaled x8 = 128 px cells, 8 px gaps, 70 px row labels, 22 px titles
    assertSize(out.resolve("reconstructions.png"), 70 + 3 * 136 + 8, 22 + 3 * 136 + 8);
    assertSize(
        out.resolve("attention.png"),
        70 + 4 * 136 + 8 + Pictures.SCALE,
        22 + 2 * 136 + 8); // image + 3 heads and the colour scale, cls + patch
    // the colour scale: yellow (the largest weight) at the top, dark purple (none) at the bottom
    BufferedImage attention = png(out.resolve("attention.png"));
    int bar = 70 + 4 * 136 + 8 + Pictures.SCALE_BAR / 2;
    int top = Pictures.panelY(0, 128);
    int bottom = Pictures.panelY(1, 128) + 127;
    double span = bottom - top;
    assertEquals(
        Pictures.viridis((span - 3) / span), attention.getRGB(bar, top + 3) & 0xffffff, "top");
    assertEquals(
        Pictures.viridis(3 / span), attention.getRGB(bar, bottom - 3) & 0xffffff, "bottom");
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
    assertSize(out.resolve("attention.png"), 70 + 4 * 136 + 8 + Pictures.SCALE, 22 + 2 * 136 + 8);
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
    assertSize(out.resolve("attention.png"), 70 + 5 * 136 + 8 + Pictures.SCALE, 22 + 2 * 136 + 8);
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

  /** A 16 px model of 4 x 4 patches (random init, seed 0) on {@code n} embedded test images. */
  private static ModelInspector.Reconstruction[] tinyInBothOrders(int n) {
    ModelOptions options = new ModelOptions();
    new CommandLine(options).parseArgs(TINY.subList(1, TINY.size()).toArray(String[]::new));
    SaimConfig c = options.builder().build();
    ImageDataset d = Datasets.embeddedTest();
    int per = c.channels() * 16 * 16;
    float[] px = new float[n * per];
    for (int i = 0; i < n; i++) {
      System.arraycopy(Transforms.centreCrop(d.image(i), 16, c.channels()), 0, px, i * per, per);
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        NoGrad ng = NoGrad.enter();
        SaimModel model = new SaimModel(c, m, 0)) {
      NDArray x = m.create(px, new Shape(n, c.channels(), 16, 16));
      return new ModelInspector.Reconstruction[] {
        VisualizeCommand.reconstruct(model, x, PermutationSampler.Kind.RASTER, 0),
        VisualizeCommand.reconstruct(model, x, PermutationSampler.Kind.STOCHASTIC, 0)
      };
    }
  }

  @Test
  void rasterOrderPredictsPatchZeroFirstAndEveryImageInRowMajorOrder() {
    ModelInspector.Reconstruction raster = tinyInBothOrders(3)[0];
    long[] rowMajor = new long[16];
    for (int k = 0; k < 16; k++) {
      rowMajor[k] = k;
    }
    for (long[] o : raster.order()) {
      assertEquals(0, o[0]);
      assertArrayEquals(rowMajor, o);
    }
  }

  @Test
  void rasterAndStochasticOrdersPredictDifferentlyFromTheSameInputs() {
    ModelInspector.Reconstruction[] r = tinyInBothOrders(3);
    assertArrayEquals(r[0].original(), r[1].original());
    assertArrayEquals(r[0].target(), r[1].target());
    assertFalse(java.util.Arrays.equals(r[0].order()[0], r[1].order()[0]));
    double maxDiff = 0;
    for (int i = 0; i < r[0].prediction().length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(r[0].prediction()[i] - r[1].prediction()[i]));
    }
    // a patch sees other patches before it in the two orders: its prediction moves by far more
    // than rounding
    assertTrue(maxDiff > 1e-2, "largest difference " + maxDiff);
  }

  @Test
  void rasterOrderPictureIsOnePanelFromStepZeroAtTheTopLeft(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("raster");
    CliTestSupport.Result r = runTiny(out, "--order", "raster");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.lastLine().contains("raster order"), r.out());
    assertSize(out.resolve("reconstructions.png"), 70 + 3 * 136 + 8, 22 + 3 * 136 + 8);
    // a 4 x 4 grid at 64 px per patch, one panel from x = 78
    BufferedImage order = png(out.resolve("order.png"));
    assertEquals(70 + 264 + 8, order.getWidth());
    assertEquals(22 + 264 + 8, order.getHeight());
    assertEquals(Pictures.viridis(0), order.getRGB(78 + 2, 22 + 2) & 0xffffff);
    assertEquals(Pictures.viridis(1 / 15.0), order.getRGB(78 + 64 + 2, 22 + 2) & 0xffffff);
    assertEquals(Pictures.viridis(1), order.getRGB(78 + 3 * 64 + 2, 22 + 3 * 64 + 2) & 0xffffff);
  }

  @Test
  void unknownOrderIsOneErrorNamingFlagAndValueBeforeAnyFile(@TempDir Path dir) {
    CliTestSupport.Result r = runTiny(dir.resolve("p"), "--order", "spiral");
    assertEquals(Errors.BAD_INPUT, r.exitCode());
    assertEquals(
        "saim: error: --order must be stochastic or raster, got 'spiral'", r.err().strip());
    assertFalse(Files.exists(dir.resolve("p")));
  }

  /**
   * The default order draws what {@code saim visualize} drew before {@code --order} existed: the
   * pictures in {@code visualize-default/} were written by that version for {@link #TINY}, three
   * images. Text is drawn with the machine's fonts, so the panels are compared, to 1/255 for
   * another CPU's rounding; explicit {@code --order stochastic} is byte-identical to the default.
   */
  @Test
  void defaultOrderDrawsTheSamePicturesAsBeforeTheOption(@TempDir Path dir) throws IOException {
    Path def = dir.resolve("default");
    Path stochastic = dir.resolve("stochastic");
    assertEquals(0, runTiny(def).exitCode());
    assertEquals(0, runTiny(stochastic, "--order", "stochastic").exitCode());
    for (String name : List.of("reconstructions.png", "order.png")) {
      assertArrayEquals(
          Files.readAllBytes(def.resolve(name)),
          Files.readAllBytes(stochastic.resolve(name)),
          name);
    }
    // reconstructions: 3 columns x 3 rows of 128 px panels
    BufferedImage golden = golden("reconstructions.png");
    BufferedImage got = png(def.resolve("reconstructions.png"));
    assertEquals(golden.getWidth(), got.getWidth());
    assertEquals(golden.getHeight(), got.getHeight());
    for (int col = 0; col < 3; col++) {
      for (int row = 0; row < 3; row++) {
        for (int y = 0; y < 128; y++) {
          for (int x = 0; x < 128; x++) {
            int px = Pictures.panelX(col, 128) + x;
            int py = Pictures.panelY(row, 128) + y;
            assertClose(golden.getRGB(px, py), got.getRGB(px, py), "reconstructions.png", px, py);
          }
        }
      }
    }
    // order: two panels of 4 x 4 patches of 64 px; a patch's colour away from its step number
    golden = golden("order.png");
    got = png(def.resolve("order.png"));
    assertEquals(golden.getWidth(), got.getWidth());
    for (int col = 0; col < 2; col++) {
      for (int k = 0; k < 16; k++) {
        int px = Pictures.panelX(col, 256) + (k % 4) * 64 + 3;
        int py = Pictures.panelY(0, 256) + (k / 4) * 64 + 3;
        assertEquals(golden.getRGB(px, py), got.getRGB(px, py), "order.png patch " + k);
      }
    }
  }

  private static BufferedImage golden(String name) throws IOException {
    try (InputStream in =
        VisualizeCommandTest.class.getResourceAsStream("/visualize-default/" + name)) {
      return Objects.requireNonNull(ImageIO.read(Objects.requireNonNull(in, name)), name);
    }
  }

  private static void assertClose(int want, int got, String file, int x, int y) {
    for (int shift = 0; shift <= 16; shift += 8) {
      int a = (want >> shift) & 0xff;
      int b = (got >> shift) & 0xff;
      assertTrue(
          Math.abs(a - b) <= 1,
          String.format(
              "%s (%d, %d): %06x, was %06x", file, x, y, want & 0xffffff, got & 0xffffff));
    }
  }

  @Test
  void theKnnMonitorsLinesBecomeAThirdCurve(@TempDir Path dir) throws Exception {
    Path m = dir.resolve("metrics.jsonl");
    Files.writeString(
        m,
        String.join(
            "\n",
            "{\"type\":\"step\",\"step\":1,\"loss\":0.9,\"lr\":1e-4}",
            "{\"type\":\"step\",\"step\":2,\"loss\":0.8,\"lr\":2e-4}",
            "{\"type\":\"knn\",\"step\":2,\"top1\":41.5,\"top5\":80.0,\"knn_s\":1.2}",
            "{\"type\":\"step\",\"step\":3,\"loss\":0.7,\"lr\":3e-4}",
            "{\"type\":\"knn\",\"step\":3,\"top1\":45.0,\"top5\":82.0,\"knn_s\":1.1}"));
    VisualizeCommand.Curves c = VisualizeCommand.readMetrics(m);
    assertArrayEquals(new double[] {1, 2, 3}, c.step());
    assertArrayEquals(new double[] {2, 3}, c.knnStep());
    assertArrayEquals(new double[] {41.5, 45.0}, c.knnTop1());
    BufferedImage img = VisualizeCommand.curves(c, m);
    assertEquals(VisualizeCommand.CURVES_WIDTH, img.getWidth());
    // the third panel's series is drawn in green (0x2ca02c, anti-aliased) right of two thirds
    boolean green = false;
    for (int x = 2 * img.getWidth() / 3; x < img.getWidth() && !green; x++) {
      for (int y = 0; y < img.getHeight() && !green; y++) {
        int rgb = img.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        green = g - r > 40 && g - b > 40;
      }
    }
    assertTrue(green, "no k-NN curve in the third panel");
  }
}
