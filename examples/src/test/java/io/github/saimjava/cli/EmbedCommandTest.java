package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.io.SafeTensors;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedCommandTest {
  static Path images(Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("imgs/b"));
    Files.createDirectories(dir.resolve("imgs/a"));
    for (int i = 0; i < 5; i++) {
      BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
      for (int x = 0; x < 40; x++) {
        img.setRGB(x, i, 0x010203 * (x * 5 + i));
      }
      ImageIO.write(
          img,
          "png",
          (i % 2 == 0 ? dir.resolve("imgs/a") : data).resolve("img" + i + ".png").toFile());
    }
    return dir.resolve("imgs");
  }

  static String[] args(Path data, Path out, String batch) {
    return CliTestSupport.args(
        "embed",
        CliTestSupport.RANDOM_TINY,
        "--data",
        data.toString(),
        "--batch-size",
        batch,
        "--threads",
        "1",
        "--output",
        out.toString());
  }

  @Test
  void writesEmbeddingsInSortedPathOrderIndependentOfBatchSize(@TempDir Path dir) throws Exception {
    Path data = images(dir);
    Path a = dir.resolve("a.safetensors");
    Path b = dir.resolve("b.safetensors");
    CliTestSupport.Result r = CliTestSupport.run(args(data, a, "1"));
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(0, CliTestSupport.run(args(data, b, "4")).exitCode());
    List<String> paths = Files.readAllLines(Path.of(a + ".paths.txt"));
    assertEquals(5, paths.size());
    assertTrue(
        paths.get(0).endsWith("a/img0.png") && paths.get(3).endsWith("b/img1.png"),
        paths.toString());
    var ea = SafeTensors.read(a).require("embeddings");
    var eb = SafeTensors.read(b).require("embeddings");
    assertArrayEquals(new long[] {5, 48}, ea.shape());
    assertArrayEquals(ea.toFloatArray(), eb.toFloatArray(), 1e-5f);
    // same flags, same seed: identical vectors
    Path c = dir.resolve("c.safetensors");
    assertEquals(0, CliTestSupport.run(args(data, c, "1")).exitCode());
    assertArrayEquals(ea.toFloatArray(), SafeTensors.read(c).require("embeddings").toFloatArray());
  }

  @Test
  void aFileNameWithALineBreakIsWrittenEscapedSoPathsAlignWithRows(@TempDir Path dir)
      throws Exception {
    Path data = images(dir);
    Files.copy(data.resolve("a/img0.png"), data.resolve("a/line\nbreak\\.png"));
    Path out = dir.resolve("o.safetensors");
    CliTestSupport.Result r = CliTestSupport.run(args(data, out, "2"));
    assertEquals(0, r.exitCode(), r.err());
    List<String> paths = Files.readAllLines(Path.of(out + ".paths.txt"));
    assertEquals(SafeTensors.read(out).require("embeddings").shape()[0], paths.size());
    assertEquals(6, paths.size());
    assertEquals(data.resolve("a") + "/line\\nbreak\\\\.png", paths.get(3));
  }

  @Test
  void layerAndPoolingChooseTheFeatures(@TempDir Path dir) throws Exception {
    Path data = images(dir);
    Path last = dir.resolve("last.safetensors");
    Path first = dir.resolve("first.safetensors");
    assertEquals(0, CliTestSupport.run(args(data, last, "2")).exitCode());
    String[] a = args(data, first, "2");
    String[] withLayer = java.util.Arrays.copyOf(a, a.length + 4);
    System.arraycopy(
        new String[] {"--layer", "1", "--pooling", "cls_mean"}, 0, withLayer, a.length, 4);
    CliTestSupport.Result r = CliTestSupport.run(withLayer);
    assertEquals(0, r.exitCode(), r.err());
    var contents = SafeTensors.read(first);
    var e = contents.require("embeddings");
    assertArrayEquals(new long[] {5, 96}, e.shape());
    assertEquals("1", contents.metadata().get("layer"));
    assertEquals("cls_mean", contents.metadata().get("pooling"));
    // block 1's class token is not the last block's
    float[] cls1 = e.toFloatArray();
    float[] cls2 = SafeTensors.read(last).require("embeddings").toFloatArray();
    double diff = 0;
    for (int j = 0; j < 48; j++) {
      diff += Math.abs(cls1[j] - cls2[j]);
    }
    assertTrue(diff > 1e-3, "block 1 and block 2 class tokens are equal");
    System.arraycopy(new String[] {"--layer", "0", "--pooling", "cls"}, 0, withLayer, a.length, 4);
    CliTestSupport.Result bad = CliTestSupport.run(withLayer);
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().contains("--layer must be 1 or more"), bad.err());
    // the rejected run left the earlier output as it was
    assertArrayEquals(cls1, SafeTensors.read(first).require("embeddings").toFloatArray());
  }

  /**
   * {@code --precision bf16} reaches the encoder: the file says bf16 and the vectors differ from
   * float32's by a bfloat16 rounding error (measured 4.7e-3 relative; the bounds are
   * EncoderPrecisionTest's in saim-impl, which justifies them), while a value that is not a
   * precision names the flag and writes nothing.
   */
  @Test
  void precisionBf16ComputesTheVectorsInBfloat16(@TempDir Path dir) throws Exception {
    Path data = images(dir);
    Path fp32 = dir.resolve("fp32.safetensors");
    Path bf16 = dir.resolve("bf16.safetensors");
    assertEquals(0, CliTestSupport.run(args(data, fp32, "5")).exitCode());
    CliTestSupport.Result r =
        CliTestSupport.run(concat(args(data, bf16, "5"), "--precision", "bf16"));
    assertEquals(0, r.exitCode(), r.err());
    var a = SafeTensors.read(fp32);
    var b = SafeTensors.read(bf16);
    assertEquals("fp32", a.metadata().get("precision"));
    assertEquals("bf16", b.metadata().get("precision"));
    float[] x = a.require("embeddings").toFloatArray();
    float[] y = b.require("embeddings").toFloatArray();
    double num = 0;
    double den = 0;
    for (int i = 0; i < x.length; i++) {
      num += Math.pow((double) x[i] - y[i], 2);
      den += Math.pow(x[i], 2);
    }
    double err = Math.sqrt(num / den);
    System.out.printf(java.util.Locale.ROOT, "saim embed bf16 vs fp32: relative error %.3e%n", err);
    assertTrue(err > 1e-3 && err < 3e-2, "relative error " + err);

    Path none = dir.resolve("none.safetensors");
    CliTestSupport.Result bad =
        CliTestSupport.run(concat(args(data, none, "5"), "--precision", "fp16"));
    assertEquals(2, bad.exitCode());
    assertTrue(
        bad.err().contains("--precision must be one of [fp32, bf16], got 'fp16'"), bad.err());
    assertTrue(Files.notExists(none));
  }

  static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void missingSourceAndEmptyFolderAreErrors(@TempDir Path dir) throws Exception {
    CliTestSupport.Result none =
        CliTestSupport.run("embed", "--data", dir.toString(), "--output", "x.safetensors");
    assertEquals(2, none.exitCode());
    CliTestSupport.Result empty =
        CliTestSupport.run(
            "embed",
            "--random-init",
            "--data",
            dir.toString(),
            "--output",
            dir.resolve("x.safetensors").toString());
    assertEquals(2, empty.exitCode());
    assertTrue(empty.err().contains("no JPEG or PNG images found"), empty.err());
  }
}
