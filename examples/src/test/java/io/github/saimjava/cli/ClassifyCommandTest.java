package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.io.SafeTensors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code saim classify} and {@code saim evaluate} on the reference's classifiers (saim-impl's
 * {@code fixtures/classifier/}: {@code tiny} from the shared fixtures, {@code hidden} a second
 * configuration made with the same harness).
 */
class ClassifyCommandTest {
  static final Path FIXTURES = Path.of("../saim-impl/src/test/resources/fixtures/classifier");

  /** ‖ours − ref‖ / ‖ref‖ allowed (issue #14). */
  static final double TOLERANCE = 1e-4;

  static JsonObject meta(Path dir) throws Exception {
    return JsonParser.parseString(Files.readString(dir.resolve("expected.json"))).getAsJsonObject();
  }

  /** The architecture flags of a fixture, as a user would type them. */
  static List<String> archFlags(JsonObject m) {
    return List.of(
        "--img-size",
        m.get("input_size").getAsString(),
        "--patch-size",
        m.get("patch_size").getAsString(),
        "--dim",
        m.get("embed_dim").getAsString(),
        "--depth",
        m.get("depth").getAsString(),
        "--heads",
        m.get("num_heads").getAsString());
  }

  static String[] args(List<String> a) {
    return a.toArray(String[]::new);
  }

  @ParameterizedTest
  @CsvSource({"tiny, finetune", "tiny, linprobe", "hidden, finetune", "hidden, linprobe"})
  void classifyReproducesTheReferenceLogits(String name, String kind, @TempDir Path tmp)
      throws Exception {
    Path dir = FIXTURES.resolve(name);
    JsonObject m = meta(dir);
    Path out = tmp.resolve("out.safetensors");
    // issue #14's command: saim classify --checkpoint finetune.pth --img-size 32 --patch-size 4
    // --dim 32
    //   --depth 2 --heads 2 --data images --logits out.safetensors
    List<String> a =
        new ArrayList<>(List.of("classify", "--checkpoint", dir.resolve(kind + ".pth").toString()));
    a.addAll(archFlags(m));
    a.addAll(List.of("--data", dir.resolve("images").toString(), "--logits", out.toString()));
    CliTestSupport.Result r = CliTestSupport.run(args(a));
    assertEquals(0, r.exitCode(), r.err());

    int k = m.get("nb_classes").getAsInt();
    int n = m.getAsJsonArray("files").size();
    double err = relativeError(out, dir, kind, n, k);
    System.out.printf(
        java.util.Locale.ROOT, "saim classify %s/%s: relative error %.3g%n", name, kind, err);
    assertTrue(err <= TOLERANCE, "relative error " + err);

    List<String> paths = Files.readAllLines(Path.of(out + ".paths.txt"), StandardCharsets.UTF_8);
    List<String> lines = r.out().lines().filter(l -> l.contains("\t")).toList();
    assertEquals(n, paths.size());
    assertEquals(n, lines.size(), r.out());
    for (int i = 0; i < n; i++) {
      String file = m.getAsJsonArray("files").get(i).getAsString();
      int top1 = m.getAsJsonArray(kind + ".top1").get(i).getAsInt();
      assertTrue(paths.get(i).endsWith(file), paths.toString());
      String[] cols = lines.get(i).split("\t");
      assertTrue(cols[0].endsWith(file), lines.get(i));
      assertEquals(1 + Math.min(5, k), cols.length, lines.get(i));
      assertTrue(cols[1].endsWith(" class " + top1), "image " + file + ": " + lines.get(i));
    }
  }

  /** ‖ours − ref‖ / ‖ref‖ of the logits in {@code out} against the fixture's, shape checked. */
  static double relativeError(Path out, Path dir, String kind, int n, int k) throws Exception {
    var ours = SafeTensors.read(out).require("logits");
    assertArrayEquals(new long[] {n, k}, ours.shape());
    float[] z = ours.toFloatArray();
    float[] ref =
        SafeTensors.read(dir.resolve("expected.safetensors"))
            .require("out." + kind + ".logits")
            .toFloatArray();
    double num = 0;
    double den = 0;
    for (int i = 0; i < ref.length; i++) {
      num += Math.pow((double) z[i] - ref[i], 2);
      den += Math.pow(ref[i], 2);
    }
    return Math.sqrt(num / den);
  }

  /** --precision bf16 really lowers the encoder (the logits move) and stays near float32's. */
  @Test
  void bf16LogitsStayNearTheReference(@TempDir Path tmp) throws Exception {
    Path dir = FIXTURES.resolve("tiny");
    JsonObject m = meta(dir);
    Path out = tmp.resolve("bf16.safetensors");
    List<String> a =
        new ArrayList<>(
            List.of("classify", "--checkpoint", dir.resolve("finetune.pth").toString()));
    a.addAll(archFlags(m));
    a.addAll(
        List.of(
            "--precision",
            "bf16",
            "--data",
            dir.resolve("images").toString(),
            "--logits",
            out.toString()));
    CliTestSupport.Result r = CliTestSupport.run(args(a));
    assertEquals(0, r.exitCode(), r.err());
    double err =
        relativeError(
            out, dir, "finetune", m.getAsJsonArray("files").size(), m.get("nb_classes").getAsInt());
    System.out.printf(
        java.util.Locale.ROOT, "saim classify --precision bf16: relative error %.3g%n", err);
    assertTrue(err > TOLERANCE && err < 3e-2, "bf16 relative error " + err);
  }

  @Test
  void topKAndSingleFilesAreAccepted(@TempDir Path tmp) throws Exception {
    Path dir = FIXTURES.resolve("tiny");
    List<String> a =
        new ArrayList<>(
            List.of("classify", "--checkpoint", dir.resolve("linprobe.pth").toString()));
    a.addAll(archFlags(meta(dir)));
    a.addAll(
        List.of(
            "--top",
            "2",
            "--data",
            dir.resolve("images/img4_90x37_RGBA.png").toString(),
            dir.resolve("images/img2_31x50_L.png").toString()));
    CliTestSupport.Result r = CliTestSupport.run(args(a));
    assertEquals(0, r.exitCode(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size(), r.out());
    // sorted by path, whatever the order given; linprobe's top-1: img2 -> 9, img4 -> 3
    assertTrue(
        lines.get(0).startsWith(dir.resolve("images/img2_31x50_L.png").toString()), lines.get(0));
    String[] cols = lines.get(0).split("\t");
    assertEquals(3, cols.length);
    assertTrue(cols[1].endsWith(" class 9"), lines.get(0));
    double p1 = Double.parseDouble(cols[1].split(" ")[0]);
    double p2 = Double.parseDouble(cols[2].split(" ")[0]);
    assertTrue(p1 >= p2 && p1 <= 1 && p2 >= 0, lines.get(0));
    assertTrue(lines.get(1).split("\t")[1].endsWith(" class 3"), lines.get(1));
  }

  @Test
  void aPthWithoutArchitectureFlagsIsOneLineAndExit2(@TempDir Path tmp) {
    Path dir = FIXTURES.resolve("tiny");
    Path out = tmp.resolve("out.safetensors");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "classify",
            "--checkpoint",
            dir.resolve("finetune.pth").toString(),
            "--data",
            dir.resolve("images").toString(),
            "--logits",
            out.toString());
    assertEquals(2, r.exitCode());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(
        r.err().contains("records no architecture") && r.err().contains("--img-size"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void aWrongArchitectureNamesTheTensorsAndWritesNothing(@TempDir Path tmp) throws Exception {
    Path dir = FIXTURES.resolve("tiny");
    Path out = tmp.resolve("out.safetensors");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "classify",
            "--checkpoint",
            dir.resolve("finetune.pth").toString(),
            "--img-size",
            "32",
            "--patch-size",
            "4",
            "--dim",
            "32",
            "--depth",
            "3",
            "--heads",
            "2",
            "--data",
            dir.resolve("images").toString(),
            "--logits",
            out.toString());
    assertEquals(2, r.exitCode());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(
        r.err().contains("does not fit the classifier") && r.err().contains("blocks.2."), r.err());
    assertFalse(Files.exists(out));
    assertFalse(Files.exists(Path.of(out + ".paths.txt")));
  }

  @Test
  void badDataIsOneLineAndExit2(@TempDir Path tmp) throws Exception {
    Path dir = FIXTURES.resolve("tiny");
    Path text = Files.writeString(tmp.resolve("notes.txt"), "not an image");
    Path fake = Files.writeString(tmp.resolve("fake.png"), "not a png");
    for (Path data : List.of(tmp.resolve("missing"), text, fake)) {
      List<String> a =
          new ArrayList<>(
              List.of("classify", "--checkpoint", dir.resolve("finetune.pth").toString()));
      a.addAll(archFlags(meta(dir)));
      a.addAll(List.of("--data", data.toString()));
      CliTestSupport.Result r = CliTestSupport.run(args(a));
      assertEquals(2, r.exitCode(), data + ": " + r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().contains(data.getFileName().toString()), r.err());
    }
  }

  /**
   * Ten class folders c0..c9 of the tiny fixture's images (folder i holds image i mod 5); the known
   * answer is counted from the reference's own logits.
   */
  @ParameterizedTest
  @CsvSource({"finetune", "linprobe"})
  void evaluateCountsTop1AndTop5AgainstTheReferenceLogits(String kind, @TempDir Path tmp)
      throws Exception {
    Path dir = FIXTURES.resolve("tiny");
    JsonObject m = meta(dir);
    int k = m.get("nb_classes").getAsInt();
    float[] ref =
        SafeTensors.read(dir.resolve("expected.safetensors"))
            .require("out." + kind + ".logits")
            .toFloatArray();
    Path val = tmp.resolve("val");
    long top1 = 0;
    long top5 = 0;
    for (int c = 0; c < k; c++) {
      int img = c % 5;
      String file = m.getAsJsonArray("files").get(img).getAsString();
      Files.copy(
          dir.resolve("images").resolve(file),
          Files.createDirectories(val.resolve("c" + c)).resolve(file));
      float[] z = java.util.Arrays.copyOfRange(ref, img * k, (img + 1) * k);
      int rank = EvaluateCommand.rank(z, c);
      top1 += rank == 0 ? 1 : 0;
      top5 += rank < 5 ? 1 : 0;
    }
    List<String> a =
        new ArrayList<>(List.of("evaluate", "--checkpoint", dir.resolve(kind + ".pth").toString()));
    a.addAll(archFlags(m));
    a.addAll(List.of("--data", val.toString(), "--batch-size", "3"));
    CliTestSupport.Result r = CliTestSupport.run(args(a));
    assertEquals(0, r.exitCode(), r.err());
    String want =
        String.format(
            java.util.Locale.ROOT, "top-1 %.2f top-5 %.2f", 100.0 * top1 / k, 100.0 * top5 / k);
    System.out.println("saim evaluate " + kind + ": " + r.lastLine() + " (expected " + want + ")");
    assertEquals(want, r.lastLine());
  }

  @Test
  void evaluateRefusesAFolderWhoseClassesDoNotMatchTheHead(@TempDir Path tmp) throws Exception {
    Path dir = FIXTURES.resolve("tiny");
    Path val = tmp.resolve("val");
    for (String c : List.of("a", "b", "c")) {
      Files.copy(
          dir.resolve("images/img0_40x48_RGB.png"),
          Files.createDirectories(val.resolve(c)).resolve("x.png"));
    }
    List<String> a =
        new ArrayList<>(
            List.of("evaluate", "--checkpoint", dir.resolve("finetune.pth").toString()));
    a.addAll(archFlags(meta(dir)));
    a.addAll(List.of("--data", val.toString()));
    CliTestSupport.Result r = CliTestSupport.run(args(a));
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("has 3 class folders but the head has 10 classes"), r.err());
  }

  @Test
  void theZoosViTBClassifiesThroughTheCliWithImageNetNames() {
    Path here = io.github.saimjava.examples.VitBaseFixture.install();
    try {
      CliTestSupport.Result r =
          CliTestSupport.run(
              "classify",
              "--zoo",
              io.github.saimjava.examples.VitBaseFixture.FT,
              "--data",
              here.resolve("cat.jpg").toString(),
              "--top",
              "3");
      assertEquals(0, r.exitCode(), r.err());
      List<String> lines = r.out().lines().toList();
      assertEquals(1, lines.size(), r.out());
      String[] cols = lines.get(0).split("\t");
      assertEquals(4, cols.length, lines.get(0));
      for (int i = 1; i < 4; i++) {
        String label = cols[i].substring(cols[i].indexOf(' ') + 1);
        assertTrue(io.github.saimjava.api.ImageNetClasses.names().contains(label), cols[i]);
      }
    } finally {
      io.github.saimjava.examples.VitBaseFixture.uninstall();
    }
  }

  @Test
  void wordNetFoldersAreLabelledByTheirImageNetIndex() {
    int[] idx =
        EvaluateCommand.classIndices(
            List.of("n01440764", "n01443537", "n15075141"), 1000, Path.of("val"));
    assertArrayEquals(new int[] {0, 1, 999}, idx);
    // other names: folder order, one folder per class
    assertArrayEquals(
        new int[] {0, 1}, EvaluateCommand.classIndices(List.of("cat", "dog"), 2, Path.of("val")));
  }
}
