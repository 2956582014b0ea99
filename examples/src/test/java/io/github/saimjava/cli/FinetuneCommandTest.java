package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.data.Datasets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FinetuneCommandTest {
  static final String[] TINY = {
    "--random-init",
    "--model",
    "tiny",
    "--img-size",
    "32",
    "--patch-size",
    "8",
    "--dim",
    "32",
    "--depth",
    "2",
    "--heads",
    "2"
  };

  static String[] args(String... more) {
    String[] all = new String[TINY.length + more.length];
    System.arraycopy(TINY, 0, all, 0, TINY.length);
    System.arraycopy(more, 0, all, TINY.length, more.length);
    return all;
  }

  @Test
  void fineTunesAndEndsWithTheBestEpochsAccuracy(@TempDir Path dir) throws Exception {
    LinprobeCommandTest.idxPair(dir, "train", Datasets.embeddedTrain(), 0, 256);
    LinprobeCommandTest.idxPair(dir, "t10k", Datasets.embeddedTrain(), 256, 100);
    Path out = dir.resolve("ft");
    String[] a =
        args(
            "--data",
            dir.toString(),
            "--epochs",
            "2",
            "--batch-size",
            "32",
            "--blr",
            "2e-2",
            "--warmup-epochs",
            "0.5",
            "--mixup",
            "0.8",
            "--cutmix",
            "1.0",
            "--augment",
            "flip",
            "--threads",
            "1",
            "--output",
            out.toString());
    CliTestSupport.Result r = CliTestSupport.run(prepend("finetune", a));
    assertEquals(0, r.exitCode(), r.err());
    Matcher m =
        Pattern.compile("top-1 (\\d+\\.\\d\\d) top-5 (\\d+\\.\\d\\d)").matcher(r.lastLine());
    assertTrue(m.matches(), r.lastLine());
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
    assertEquals(Double.parseDouble(m.group(1)), summary.get("best_top1").getAsDouble(), 0.006);
    assertEquals(Double.parseDouble(m.group(2)), summary.get("best_top5").getAsDouble(), 0.006);
    List<String> epochs = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(2, epochs.size());
    assertTrue(Files.isRegularFile(out.resolve("best.safetensors")));
    assertTrue(Files.isRegularFile(out.resolve("checkpoint.safetensors")));
    // a second invocation finds the finished run and reports the same best epoch
    CliTestSupport.Result again = CliTestSupport.run(prepend("finetune", a));
    assertEquals(0, again.exitCode(), again.err());
    assertEquals(r.lastLine(), again.lastLine());
    assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
    // the fine-tuned weights serve as an encoder (mean pooling through fc_norm)
    Path img = dir.resolve("imgs");
    Files.createDirectories(img);
    javax.imageio.ImageIO.write(
        new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY),
        "png",
        img.resolve("a.png").toFile());
    CliTestSupport.Result e =
        CliTestSupport.run(
            "embed",
            "--checkpoint",
            out.resolve("best.safetensors").toString(),
            "--pooling",
            "mean",
            "--data",
            img.toString(),
            "--output",
            dir.resolve("e.safetensors").toString());
    assertEquals(0, e.exitCode(), e.err());
    CliTestSupport.Result cls =
        CliTestSupport.run(
            "embed",
            "--checkpoint",
            out.resolve("best.safetensors").toString(),
            "--data",
            img.toString(),
            "--output",
            dir.resolve("c.safetensors").toString());
    assertEquals(2, cls.exitCode());
    assertTrue(cls.err().contains("use mean pooling"), cls.err());
  }

  /**
   * One epoch with no --warmup-epochs: the default warm-up (5 epochs) is capped by the epochs, as
   * the API caps it, instead of failing on its own default.
   */
  @Test
  void oneEpochRunsOnTheDefaultWarmupCappedByTheEpochs(@TempDir Path dir) throws Exception {
    LinprobeCommandTest.idxPair(dir, "train", Datasets.embeddedTrain(), 0, 64);
    LinprobeCommandTest.idxPair(dir, "t10k", Datasets.embeddedTrain(), 64, 16);
    Path out = dir.resolve("ft");
    CliTestSupport.Result r =
        CliTestSupport.run(
            prepend(
                "finetune",
                args(
                    "--data",
                    dir.toString(),
                    "--epochs",
                    "1",
                    "--batch-size",
                    "32",
                    "--augment",
                    "flip",
                    "--aa",
                    "none",
                    "--reprob",
                    "0",
                    "--threads",
                    "1",
                    "--output",
                    out.toString())));
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(1, Files.readAllLines(out.resolve("metrics.jsonl")).size());
    JsonObject config =
        JsonParser.parseString(Files.readString(out.resolve("config.json")))
            .getAsJsonObject()
            .getAsJsonObject("finetune");
    assertEquals(1.0, config.get("warmup_epochs").getAsDouble(), 0);
  }

  static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  /**
   * {@code --augment} takes rrc or flip in any case (the run goes on to refuse the bad --precision
   * given after it) and names a bad value as pretrain does.
   */
  @Test
  void augmentTakesRrcOrFlipAndNamesABadValue() {
    for (String ok : new String[] {"rrc", "flip", "RRC", "Flip"}) {
      CliTestSupport.Result r =
          CliTestSupport.run(prepend("finetune", args("--augment", ok, "--precision", "fp16")));
      assertEquals(2, r.exitCode(), ok);
      assertTrue(r.err().contains("--precision must be one of"), ok + ": " + r.err());
    }
    CliTestSupport.Result r = CliTestSupport.run(prepend("finetune", args("--augment", "jitter")));
    assertEquals(2, r.exitCode());
    assertEquals(
        "saim: error: --augment must be one of [rrc, flip], got 'jitter'", r.err().strip());
  }

  @Test
  void badFlagsExitWithCodeTwoAndOneLine(@TempDir Path dir) {
    for (String[] bad :
        new String[][] {
          {"--layer-decay", "1.5"},
          {"--augment", "jitter"},
          {"--mixup", "0.8", "--batch-size", "15"},
          {"--cutmix-minmax", "0.9", "0.1"},
          {"--drop-path", "1"},
          {"--aa", "v0"},
          {"--precision", "fp16"}
        }) {
      String[] a = new String[bad.length + 2];
      System.arraycopy(bad, 0, a, 0, bad.length);
      a[bad.length] = "--output";
      a[bad.length + 1] = dir.resolve("x").toString();
      CliTestSupport.Result r = CliTestSupport.run(prepend("finetune", args(a)));
      assertEquals(2, r.exitCode(), String.join(" ", bad) + ": " + r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertFalse(r.err().contains("Exception"), r.err());
    }
  }

  /**
   * --val-split holds out the last training images for the per-epoch evaluation: the test images
   * play no part (here a 10-image test file, which would show as val_images 10). The run is in
   * bfloat16, which config.json records.
   */
  @Test
  void valSplitEvaluatesOnHeldOutTrainingImages(@TempDir Path dir) throws Exception {
    LinprobeCommandTest.idxPair(dir, "train", Datasets.embeddedTrain(), 0, 120);
    LinprobeCommandTest.idxPair(dir, "t10k", Datasets.embeddedTrain(), 500, 10);
    Path out = dir.resolve("ft");
    CliTestSupport.Result r =
        CliTestSupport.run(
            prepend(
                "finetune",
                args(
                    "--data",
                    dir.toString(),
                    "--train-images",
                    "96",
                    "--val-split",
                    "32",
                    "--epochs",
                    "1",
                    "--batch-size",
                    "32",
                    "--warmup-epochs",
                    "0",
                    "--augment",
                    "flip",
                    "--aa",
                    "none",
                    "--reprob",
                    "0",
                    "--precision",
                    "bf16",
                    "--threads",
                    "1",
                    "--output",
                    out.toString())));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("images 0-63 of "), r.out());
    assertTrue(r.out().contains("images 64-95 of "), r.out());
    assertTrue(r.out().contains("epoch 0: train loss "), r.out());
    assertTrue(r.out().contains(", val top-1 "), r.out());
    JsonObject config =
        JsonParser.parseString(Files.readString(out.resolve("config.json")))
            .getAsJsonObject()
            .getAsJsonObject("finetune");
    assertEquals(64, config.get("train_images").getAsInt());
    assertEquals(32, config.get("val_images").getAsInt());
    assertEquals("BF16", config.get("precision").getAsString());
    assertTrue(
        config
            .get("data")
            .getAsString()
            .endsWith(", first 96 training images, evaluated on the last 32 of them (validation)"),
        config.get("data").getAsString());
  }

  @Test
  void badSplitsNameTheOptionAndTheRange(@TempDir Path dir) throws Exception {
    LinprobeCommandTest.idxPair(dir, "train", Datasets.embeddedTrain(), 0, 40);
    LinprobeCommandTest.idxPair(dir, "t10k", Datasets.embeddedTrain(), 40, 10);
    String[][] cases = {
      {"--train-images", "41", "--train-images must be in 0..40"},
      {"--val-split", "40", "--val-split must be in 0..39"},
      {"--val-split", "-1", "--val-split must be in 0..39"}
    };
    for (String[] c : cases) {
      CliTestSupport.Result r =
          CliTestSupport.run(
              prepend(
                  "finetune",
                  args(
                      "--data",
                      dir.toString(),
                      c[0],
                      c[1],
                      "--output",
                      dir.resolve("x").toString())));
      assertEquals(2, r.exitCode(), r.err());
      assertTrue(r.err().contains(c[2]), r.err());
      assertFalse(Files.exists(dir.resolve("x")));
    }
  }
}
