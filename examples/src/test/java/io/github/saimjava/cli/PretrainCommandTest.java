package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainCommandTest {
  static final String[] TINY =
      CliTestSupport.args(
          "pretrain",
          CliTestSupport.TINY,
          "--blur-kernel",
          "3",
          "--augment",
          "flip",
          "--batch-size",
          "8",
          "--threads",
          "1");

  static String[] args(String... extra) {
    String[] all = new String[TINY.length + extra.length];
    System.arraycopy(TINY, 0, all, 0, TINY.length);
    System.arraycopy(extra, 0, all, TINY.length, extra.length);
    return all;
  }

  @Test
  void trainsOnTheEmbeddedDataAndWritesTheContractFiles(@TempDir Path dir) {
    Path out = dir.resolve("run");
    CliTestSupport.Result r =
        CliTestSupport.run(
            args("--max-steps", "2", "--keep-weights-every", "1", "--output", out.toString()));
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(Files.exists(out.resolve("final.safetensors")));
    // kept at step 1; the last step's weights are final.safetensors
    assertTrue(Files.exists(out.resolve("weights-step1.safetensors")));
    assertTrue(!Files.exists(out.resolve("weights-step2.safetensors")));
    assertTrue(Files.exists(out.resolve("metrics.jsonl")));
    assertTrue(r.out().contains("done: 2 steps, 16 images"), r.out());
    CliTestSupport.Result again =
        CliTestSupport.run(args("--max-steps", "3", "--output", out.toString()));
    assertEquals(0, again.exitCode(), again.err());
    assertTrue(again.out().contains("(resumed from step 2)"), again.out());
  }

  @Test
  void batchLargerThanTheDatasetIsAOneLineError(@TempDir Path dir) throws Exception {
    ByteBuffer b =
        ByteBuffer.allocate(16 + 4 * 28 * 28).putInt(0x803).putInt(4).putInt(28).putInt(28);
    Path idx = Files.write(dir.resolve("few-images-idx3-ubyte"), b.array());
    CliTestSupport.Result r =
        CliTestSupport.run(args("--data", idx.toString(), "--output", dir.resolve("o").toString()));
    assertEquals(2, r.exitCode());
    assertTrue(
        r.err()
            .startsWith(
                "saim: error: batch size 8 x accum iter 1 is larger than the dataset (4 images"),
        r.err());
    assertEquals(1, r.err().strip().lines().count());
  }

  @Test
  void emptyDataFolderAndUnwritableOutputAreOneLineErrors(@TempDir Path dir) throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    CliTestSupport.Result r =
        CliTestSupport.run(
            args("--data", empty.toString(), "--output", dir.resolve("o").toString()));
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("no images found"), r.err());
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    CliTestSupport.Result w =
        CliTestSupport.run(args("--max-steps", "1", "--output", file.resolve("sub").toString()));
    assertEquals(2, w.exitCode());
    assertTrue(w.err().contains("cannot create the output folder"), w.err());
    assertFalse(w.err().contains("\tat "));
  }

  @Test
  void resumingWithAnotherConfigurationIsRefused(@TempDir Path dir) {
    Path out = dir.resolve("run");
    assertEquals(
        0, CliTestSupport.run(args("--max-steps", "1", "--output", out.toString())).exitCode());
    String[] other = args("--max-steps", "2", "--output", out.toString());
    other[java.util.Arrays.asList(other).indexOf("--dim") + 1] = "96";
    CliTestSupport.Result r = CliTestSupport.run(other);
    assertEquals(2, r.exitCode());
    assertTrue(
        r.err().contains("is from another configuration (model.embed_dim: checkpoint 48, now 96)"),
        r.err());
  }

  @Test
  void badEnumValuesAreNamed() {
    CliTestSupport.Result r = CliTestSupport.run(args("--head", "conv"));
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("--head must be one of [mlp, linear], got 'conv'"), r.err());
  }

  /**
   * {@code --augment} takes rrc or flip in any case (the run goes on to refuse the bad --precision
   * given after it) and names a bad value in the one message of every enum-like option.
   */
  @Test
  void augmentTakesRrcOrFlipAndNamesABadValue() {
    int at = java.util.Arrays.asList(TINY).indexOf("--augment") + 1;
    for (String ok : new String[] {"rrc", "flip", "RRC", "Flip"}) {
      String[] a = args("--precision", "fp16");
      a[at] = ok;
      CliTestSupport.Result r = CliTestSupport.run(a);
      assertEquals(2, r.exitCode(), ok);
      assertTrue(r.err().contains("--precision must be one of"), ok + ": " + r.err());
    }
    String[] bad = args();
    bad[at] = "jitter";
    CliTestSupport.Result r = CliTestSupport.run(bad);
    assertEquals(2, r.exitCode());
    assertEquals(
        "saim: error: --augment must be one of [rrc, flip], got 'jitter'", r.err().strip());
  }
}
