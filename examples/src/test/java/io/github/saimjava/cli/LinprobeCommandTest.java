package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.IdxDataset;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinprobeCommandTest {
  /** Writes the first n embedded images and labels as an IDX pair named prefix-*. */
  static void idxPair(Path dir, String prefix, IdxDataset src, int first, int n) throws Exception {
    ByteBuffer img =
        ByteBuffer.allocate(16 + n * 784).putInt(0x803).putInt(n).putInt(28).putInt(28);
    ByteBuffer lab = ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
    for (int i = first; i < first + n; i++) {
      img.put(src.image(i).pixels());
      lab.put((byte) src.label(i));
    }
    Files.write(dir.resolve(prefix + "-images-idx3-ubyte"), img.array());
    Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), lab.array());
  }

  @Test
  void probesAnEncoderAndEndsWithTheContractLine(@TempDir Path dir) throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    idxPair(dir, "train", src, 0, 1000);
    idxPair(dir, "t10k", src, 1000, 400);
    Path out = dir.resolve("probe");
    CliTestSupport.Result r =
        CliTestSupport.run(
            CliTestSupport.args(
                "linprobe",
                CliTestSupport.RANDOM_TINY,
                "--data",
                dir.toString(),
                "--epochs",
                "15",
                "--batch-size",
                "100",
                "--blr",
                "25",
                "--threads",
                "1",
                "--output",
                out.toString()));
    assertEquals(0, r.exitCode(), r.err());
    Matcher m =
        Pattern.compile("top-1 (\\d+\\.\\d\\d) top-5 (\\d+\\.\\d\\d)").matcher(r.lastLine());
    assertTrue(m.matches(), r.lastLine());
    double top1 = Double.parseDouble(m.group(1));
    // ten classes: chance is 10%; random-init ViT features of Fashion-MNIST are far better
    assertTrue(top1 > 40, "top-1 " + top1);
    JsonObject metrics =
        JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
    assertEquals(top1, metrics.get("top1").getAsDouble(), 0.006);
    assertEquals(400, metrics.get("val_images").getAsInt());
    assertEquals("fp32", metrics.get("precision").getAsString());
  }

  @Test
  void precisionBf16ReachesTheEncoderAndTheMetrics(@TempDir Path dir) throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    idxPair(dir, "train", src, 0, 100);
    idxPair(dir, "t10k", src, 100, 50);
    Path out = dir.resolve("probe");
    CliTestSupport.Result r =
        CliTestSupport.run(
            CliTestSupport.args(
                "linprobe",
                CliTestSupport.RANDOM_TINY,
                "--data",
                dir.toString(),
                "--precision",
                "bf16",
                "--epochs",
                "1",
                "--batch-size",
                "50",
                "--threads",
                "1",
                "--output",
                out.toString()));
    assertEquals(0, r.exitCode(), r.err());
    JsonObject metrics =
        JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
    // recorded from the built encoder, not echoed from the flag
    assertEquals("bf16", metrics.get("precision").getAsString());
    assertEquals(48, metrics.get("feature_dim").getAsInt());
  }

  @Test
  void probesAnEarlierBlockWithBothPoolingsAndSaysSoInTheMetrics(@TempDir Path dir)
      throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    idxPair(dir, "train", src, 0, 1000);
    idxPair(dir, "t10k", src, 1000, 400);
    Path out = dir.resolve("probe");
    CliTestSupport.Result r =
        CliTestSupport.run(
            CliTestSupport.args(
                "linprobe",
                CliTestSupport.RANDOM_TINY,
                "--data",
                dir.toString(),
                "--layer",
                "1",
                "--pooling",
                "cls_mean",
                "--epochs",
                "15",
                "--batch-size",
                "100",
                "--blr",
                "25",
                "--threads",
                "1",
                "--output",
                out.toString()));
    assertEquals(0, r.exitCode(), r.err());
    JsonObject metrics =
        JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
    assertEquals(96, metrics.get("feature_dim").getAsInt(), "class token and mean side by side");
    assertEquals(1, metrics.get("layer").getAsInt());
    assertEquals("cls_mean", metrics.get("pooling").getAsString());
    assertTrue(metrics.get("top1").getAsDouble() > 40, metrics.toString());
  }

  @Test
  void aLayerBeyondTheDepthOrAnUnknownPoolingIsAClearError(@TempDir Path dir) throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    idxPair(dir, "train", src, 0, 20);
    idxPair(dir, "t10k", src, 20, 10);
    String[] model =
        CliTestSupport.args(
            "linprobe",
            CliTestSupport.RANDOM_TINY,
            "--data",
            dir.toString(),
            "--threads",
            "1",
            "--output",
            dir.resolve("probe").toString());
    CliTestSupport.Result deep = CliTestSupport.run(CliTestSupport.args(model, "--layer", "3"));
    assertEquals(2, deep.exitCode(), deep.err());
    assertTrue(deep.err().contains("layer 3") && deep.err().contains("1..2"), deep.err());
    CliTestSupport.Result zero = CliTestSupport.run(CliTestSupport.args(model, "--layer", "0"));
    assertEquals(2, zero.exitCode(), zero.err());
    assertTrue(zero.err().contains("--layer"), zero.err());
    CliTestSupport.Result pool = CliTestSupport.run(CliTestSupport.args(model, "--pooling", "max"));
    assertEquals(2, pool.exitCode(), pool.err());
    assertTrue(pool.err().contains("--pooling") && pool.err().contains("max"), pool.err());
    CliTestSupport.Result precision =
        CliTestSupport.run(CliTestSupport.args(model, "--precision", "half"));
    assertEquals(2, precision.exitCode(), precision.err());
    assertTrue(
        precision.err().contains("--precision must be one of [fp32, bf16], got 'half'"),
        precision.err());
  }

  @Test
  void unlabelledOrMissingDataIsAClearError(@TempDir Path dir) {
    CliTestSupport.Result r =
        CliTestSupport.run("linprobe", "--random-init", "--data", dir.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("expected train/ and val/ image folders"), r.err());
  }

  private static String[] tinyProbe(Path data, Path out, String blr, String... more) {
    return CliTestSupport.args(
        "linprobe",
        CliTestSupport.RANDOM_TINY,
        "--data",
        data.toString(),
        "--epochs",
        "3",
        "--batch-size",
        "50",
        "--blr",
        blr,
        "--threads",
        "1",
        "--output",
        out.toString(),
        more);
  }

  @Test
  void aListOfRatesReportsEveryHeadAndTheOneSelectedOnHeldOutTrainingImages(@TempDir Path dir)
      throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    idxPair(dir, "train", src, 0, 300);
    idxPair(dir, "t10k", src, 300, 100);
    Path out = dir.resolve("probe");
    CliTestSupport.Result r =
        CliTestSupport.run(tinyProbe(dir, out, "0.1, 6.4,25", "--held-out", "0.2"));
    assertEquals(0, r.exitCode(), r.err());
    JsonObject metrics =
        JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
    var sweep = metrics.getAsJsonArray("blr_sweep");
    assertEquals(3, sweep.size());
    assertEquals(60, metrics.get("held_out_images").getAsInt());
    double bestHeldOut = -1;
    double selected = Double.NaN;
    double selectedTop1 = Double.NaN;
    for (var e : sweep) {
      JsonObject o = e.getAsJsonObject();
      assertTrue(r.out().contains("blr " + o.get("blr").getAsDouble() + ": held-out top-1 "));
      if (o.get("held_out_top1").getAsDouble() > bestHeldOut) {
        bestHeldOut = o.get("held_out_top1").getAsDouble();
        selected = o.get("blr").getAsDouble();
        selectedTop1 = o.get("top1").getAsDouble();
      }
    }
    assertEquals(selected, metrics.get("blr").getAsDouble());
    assertEquals(selectedTop1, metrics.get("top1").getAsDouble(), 1e-12);
    assertTrue(r.out().contains("selected blr " + selected + ": best top-1 on the 60 held-out"));
    assertTrue(
        Pattern.compile("top-1 \\d+\\.\\d\\d top-5 \\d+\\.\\d\\d").matcher(r.lastLine()).matches(),
        r.lastLine());
  }

  @Test
  void aBadRateInTheListIsOneLineNamingIt(@TempDir Path dir) {
    Path out = dir.resolve("probe");
    CliTestSupport.Result word = CliTestSupport.run(tinyProbe(dir, out, "0.1,fast,1.6"));
    assertEquals(2, word.exitCode(), word.err());
    assertEquals(
        "saim: error: --blr 0.1,fast,1.6: 'fast' is not a positive number", word.err().strip());
    CliTestSupport.Result negative = CliTestSupport.run(tinyProbe(dir, out, "0.1,-2"));
    assertEquals(2, negative.exitCode(), negative.err());
    assertEquals(
        "saim: error: --blr 0.1,-2: '-2' is not a positive number", negative.err().strip());
    CliTestSupport.Result empty = CliTestSupport.run(tinyProbe(dir, out, "0.1,,1.6"));
    assertEquals("saim: error: --blr 0.1,,1.6: '' is not a positive number", empty.err().strip());
    CliTestSupport.Result twice = CliTestSupport.run(tinyProbe(dir, out, "0.4,1.6,0.40"));
    assertEquals("saim: error: --blr 0.4,1.6,0.40: 0.40 is listed twice", twice.err().strip());
    CliTestSupport.Result held =
        CliTestSupport.run(tinyProbe(dir, out, "0.1,1", "--held-out", "1.5"));
    assertEquals("saim: error: --held-out (1.5) must be in (0, 1)", held.err().strip());
    assertTrue(!Files.exists(out), "no output folder after a refused option");
  }
}
