package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.model.SaimModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LossByPositionCommandTest {
  private static CliTestSupport.Result run(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("loss-by-position"));
    args.addAll(CliTestSupport.RANDOM_TINY_16);
    args.addAll(List.of("--images", "24", "--batch-size", "10", "--threads", "1"));
    args.addAll(List.of(extra));
    args.addAll(List.of("--output", out.toString()));
    return CliTestSupport.run(args.toArray(String[]::new));
  }

  @Test
  void sumsGoByPositionInTheOrderAndByPatch() {
    LossByPositionCommand.Sums s = new LossByPositionCommand.Sums(3);
    // two images of three patches; image 0 predicts patch 2, 0, 1; image 1 patch 1, 2, 0
    s.add(new float[] {1, 2, 3, 10, 20, 30}, new long[] {2, 0, 1, 1, 2, 0});
    LossByPositionCommand.Result r = s.result("x");
    assertArrayEquals(
        new double[] {(3 + 20) / 2.0, (1 + 30) / 2.0, (2 + 10) / 2.0}, r.byPosition());
    assertArrayEquals(new double[] {(1 + 10) / 2.0, (2 + 20) / 2.0, (3 + 30) / 2.0}, r.byPatch());
    assertEquals(66 / 6.0, r.mean(), 1e-12);
  }

  @Test
  void meanIsTheModelsLossAndRasterPositionIsThePatch(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("raster");
    CliTestSupport.Result r = run(out, "--order", "raster", "--seed", "4");
    assertEquals(0, r.exitCode(), r.err());
    LossByPositionCommand.Result got =
        LossByPositionCommand.read(out.resolve("loss-by-position.json"));
    assertEquals(16, got.byPosition().length);
    // raster: the t-th patch predicted is patch t
    assertArrayEquals(got.byPatch(), got.byPosition());
    // the same model (random init, seed 4) and images: SaimModel.loss over all 24 at once
    ModelOptions mo = new ModelOptions();
    new CommandLine(mo)
        .parseArgs(
            CliTestSupport.RANDOM_TINY_16
                .subList(1, CliTestSupport.RANDOM_TINY_16.size())
                .toArray(String[]::new));
    SaimConfig c = mo.builder().build();
    ImageDataset d = Datasets.embeddedTest();
    int per = c.channels() * 16 * 16;
    float[] px = new float[24 * per];
    for (int i = 0; i < 24; i++) {
      System.arraycopy(Transforms.centreCrop(d.image(i), 16, c.channels()), 0, px, i * per, per);
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(c, m, 4);
        Permutation p = PermutationSampler.builder(16).raster().build().sample(m, 24)) {
      NDArray x = m.create(px, new Shape(24, c.channels(), 16, 16));
      float loss = model.loss(model.forward(x, p, false).prediction(), model.target(x)).getFloat();
      assertEquals(loss, got.mean(), 1e-5);
    }
    double mean = 0;
    for (double v : got.byPosition()) {
      mean += v / 16;
    }
    assertEquals(got.mean(), mean, 1e-9);
    assertTrue(
        Files.readString(out.resolve("loss-by-position.md"), StandardCharsets.UTF_8)
            .contains("| 1-2 | "));
  }

  @Test
  void stochasticIsDeterministicAndPlotsBothOrders(@TempDir Path dir) throws IOException {
    Path raster = dir.resolve("raster");
    assertEquals(0, run(raster, "--order", "raster").exitCode());
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    String with = raster.resolve("loss-by-position.json").toString();
    CliTestSupport.Result ra =
        run(a, "--order", "stochastic", "--seed", "1", "--with", with, "--plot");
    assertEquals(0, ra.exitCode(), ra.err());
    assertEquals(0, run(b, "--order", "stochastic", "--seed", "1").exitCode());
    LossByPositionCommand.Result first =
        LossByPositionCommand.read(a.resolve("loss-by-position.json"));
    LossByPositionCommand.Result again =
        LossByPositionCommand.read(b.resolve("loss-by-position.json"));
    assertArrayEquals(first.byPosition(), again.byPosition());
    assertArrayEquals(first.byPatch(), again.byPatch());
    // a random order spreads each patch over positions: by position is no longer by patch
    assertFalse(java.util.Arrays.equals(first.byPatch(), first.byPosition()));
    String md = Files.readString(a.resolve("loss-by-position.md"), StandardCharsets.UTF_8);
    assertTrue(md.contains("| positions | stochastic | raster |"), md);
    BufferedImage png = ImageIO.read(a.resolve("loss-by-position.png").toFile());
    assertEquals(LossByPositionCommand.WIDTH, png.getWidth());
    assertEquals(LossByPositionCommand.HEIGHT, png.getHeight());
  }

  @Test
  void badInputsAreOneClearError(@TempDir Path dir) throws IOException {
    Path bad = dir.resolve("bad.json");
    Files.writeString(
        bad, "{\"label\":\"x\",\"mean_loss\":1,\"by_position\":[1,\"a\"],\"by_patch\":[1,2]}");
    CliTestSupport.Result r = run(dir.resolve("o"), "--with", bad.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains(bad + ": 'by_position'[1] is not a finite number"), r.err());
    CliTestSupport.Result order = run(dir.resolve("o"), "--order", "spiral");
    assertEquals(2, order.exitCode());
    assertTrue(
        order.err().contains("--order must be stochastic or raster, got 'spiral'"), order.err());
    assertFalse(Files.exists(dir.resolve("o")));
  }
}
