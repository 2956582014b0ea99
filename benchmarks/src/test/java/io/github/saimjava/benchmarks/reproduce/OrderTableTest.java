package io.github.saimjava.benchmarks.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The order table from synthetic results (test resources order-table/, numbers made up). */
class OrderTableTest {
  private static String res(String name) {
    try {
      return Path.of(OrderTableTest.class.getResource("/order-table/" + name).toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private record Run(int exitCode, String err) {}

  private static Run run(String... args) {
    CommandLine cl = OrderTable.newCommandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    return new Run(cl.execute(args), err.toString());
  }

  private static String[] all(Path out) {
    List<String> a = new ArrayList<>();
    a.addAll(List.of("--small", res("small.json")));
    a.addAll(
        List.of(
            "--long",
            res("long-stochastic-seed0.json")
                + ","
                + res("long-raster-seed0.json")
                + ","
                + res("long-raster-seed1.json")));
    a.addAll(List.of("--finetune", res("ft-random-seed0.json")));
    a.addAll(List.of("--finetune", res("ft-stochastic60k-seed0.json")));
    a.addAll(List.of("--output", out.toString()));
    return a.toArray(String[]::new);
  }

  private static String row(String md, String first) {
    return md.lines()
        .filter(l -> l.startsWith("| " + first + " |"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row '" + first + "' in\n" + md));
  }

  @Test
  void tableHoldsMeansSdsAndGapsWithTheirStandardError(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("orders");
    Run r = run(all(out));
    assertEquals(0, r.exitCode(), r.err());
    String md = Files.readString(dir.resolve("orders.md"), StandardCharsets.UTF_8);
    // short budget: probe 70/72, 75/77, 76/80; fine-tune 50/52 ... ; the noblur ablation is left
    // out
    assertEquals(
        "| random init | 71.00 ± 1.41 (2 seeds) | 51.00 ± 1.41 (2 seeds) | 74.00 ± 1.41 (2 seeds)"
            + " | 75.00 ± 1.41 (2 seeds) | 76.00 ± 1.41 (2 seeds) | 80.60 (1 seed) |",
        row(md, "random init"));
    // long budget at epoch 4: raster seed 0 (probe seeds 80.0, 80.2); seed 1 stopped at epoch 2
    assertEquals(
        "| raster | 76.00 ± 1.41 (2 seeds) | 56.00 ± 1.41 (2 seeds) | 80.10 (1 seed) | 81.10 (1"
            + " seed) | 82.10 (1 seed) | — |",
        row(md, "raster"));
    // the old file's labels carry no seed: seed 0
    assertEquals(
        "| stochastic | 78.00 ± 2.83 (2 seeds) | 58.00 ± 2.83 (2 seeds) | 82.00 (1 seed) | 83.00 (1"
            + " seed) | 84.00 (1 seed) | 89.10 (1 seed) |",
        row(md, "stochastic"));
    // SE of a top-1 on 10,000 images at the pair's mean: 77% -> 0.42, 57% -> 0.50, 81.05% -> 0.39
    assertEquals(
        "| stochastic − raster | +2.00 (SE 0.42) | +2.00 (SE 0.50) | +1.90 (SE 0.39) | +1.90 (SE"
            + " 0.38) | +1.90 (SE 0.38) | — |",
        row(md, "stochastic − raster"));
    assertTrue(
        row(md, "raw pixels (the floor)").startsWith("| raw pixels (the floor) | 82.00 ± 0.14"));
    assertTrue(md.contains("raster seed 1 (epoch 2)"), md);
    assertTrue(md.contains("4 epochs on 60,000 images"), md);
    // random fine-tune curve 79, 80, 80.5, 80.6 at its end: +0.60 over epochs 6-8
    assertTrue(
        md.contains(
            "| random | 0 | 0.0005 → 85.00, 0.001 → 86.00 | 0.001 | 8 | fp32 | 80.60 | +0.60"),
        md);
    // a second seed that reused the first seed's blr instead of sweeping again
    assertTrue(
        md.contains(
            "| stochastic60k | 0 | none: the blr of stochastic60k seed 1's sweep | 0.001 | 8 | bf16"
                + " | 89.10 |"),
        md);
    BufferedImage png = ImageIO.read(dir.resolve("orders.png").toFile());
    assertEquals(OrderTable.WIDTH, png.getWidth());
    assertEquals(OrderTable.HEIGHT, png.getHeight());
    assertTrue(md.contains("![fine-tuning test top-1 against epochs](orders-finetune.png)"), md);
    BufferedImage curves = ImageIO.read(dir.resolve("orders-finetune.png").toFile());
    assertEquals(OrderTable.WIDTH, curves.getWidth());
  }

  @Test
  void fineTuningCurvesAreOnePerRunFromEpochOne() throws Exception {
    OrderTable.Results r = new OrderTable.Results();
    OrderTable.readFineTune(Path.of(res("ft-random-seed0.json")), r);
    OrderTable.readFineTune(Path.of(res("ft-stochastic60k-seed0.json")), r);
    List<LineChart.Series> s = OrderTable.fineTuneSeries(r);
    assertEquals(
        List.of("random, seed 0", "stochastic60k, seed 0"),
        s.stream().map(LineChart.Series::label).toList());
    LineChart.Series random = s.get(0);
    assertEquals(1.0, random.x()[0]);
    assertEquals(random.x().length, random.x()[random.x().length - 1]);
    // the fixture's curve ends 79, 80, 80.5, 80.6
    assertEquals(80.6, random.y()[random.y().length - 1], 1e-9);
    assertEquals(80.5, random.y()[random.y().length - 2], 1e-9);
  }

  @Test
  void seedsProbedAtDifferentEpochsAreDrawnOneCurveEach() throws Exception {
    OrderTable.Results r = new OrderTable.Results();
    OrderTable.readLong(Path.of(res("long-stochastic-seed0.json")), r);
    OrderTable.readLong(Path.of(res("long-raster-seed0.json")), r);
    // raster seed 0 probed at epochs 2 and 4: one curve, the order's
    List<String> one = OrderTable.plotSeries(r).stream().map(LineChart.Series::label).toList();
    assertEquals(
        List.of("raster (1 seed)", "stochastic (1 seed)", "random init", "raw pixels"), one);
    // raster seed 1 probed at epoch 2 only: a mean over seeds would mix seed sets from one epoch to
    // the next, so each seed gets its own curve with its own points
    OrderTable.readLong(Path.of(res("long-raster-seed1.json")), r);
    List<LineChart.Series> two = OrderTable.plotSeries(r);
    assertEquals(
        List.of(
            "raster, seed 0", "raster, seed 1", "stochastic (1 seed)", "random init", "raw pixels"),
        two.stream().map(LineChart.Series::label).toList());
    assertEquals(2, two.get(0).x().length);
    assertEquals(1, two.get(1).x().length);
    assertEquals(2.0, two.get(1).x()[0]);
    assertEquals(78.0, two.get(1).y()[0], 1e-9);
  }

  @Test
  void standardErrorOfATop1IsThatOfABinomialProportion() {
    assertEquals(0.4, OrderTable.standardError(80, 10_000), 1e-12);
    assertEquals(0.5, OrderTable.standardError(50, 10_000), 1e-12);
  }

  @Test
  void badInputIsOneLineNamingFileAndKeyAndWritesNothing(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.json");
    Files.writeString(
        bad,
        "{\"pixels\": [], \"encoders\": [{\"variant\": \"raster\", \"seed\": 0,"
            + " \"linear_probe\": {\"top1\": \"high\"}}]}");
    Run r = run("--small", bad.toString(), "--output", dir.resolve("o").toString());
    assertEquals(2, r.exitCode());
    assertEquals(
        "order-table: error: " + bad + ": encoders[0].linear_probe: 'top1' missing or not a number",
        r.err().strip());
    Run missing =
        run("--long", dir.resolve("nope.json").toString(), "--output", dir.resolve("o").toString());
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains("no such file"), missing.err());
    assertFalse(Files.exists(dir.resolve("o.md")));
    assertFalse(Files.exists(dir.resolve("o.png")));
  }
}
