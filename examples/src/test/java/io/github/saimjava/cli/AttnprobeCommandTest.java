package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.IdxDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttnprobeCommandTest {
  private static String[] args(Path data, Path out, String... more) {
    return CliTestSupport.args(
        "attnprobe",
        CliTestSupport.RANDOM_TINY,
        "--data",
        data.toString(),
        "--threads",
        "1",
        "--output",
        out.toString(),
        more);
  }

  @Test
  void probesThePatchTokensAndEndsWithTheContractLine(@TempDir Path dir) throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    LinprobeCommandTest.idxPair(dir, "train", src, 0, 600);
    LinprobeCommandTest.idxPair(dir, "t10k", src, 600, 200);
    Path out = dir.resolve("probe");
    CliTestSupport.Result r =
        CliTestSupport.run(
            args(
                dir,
                out,
                "--last-blocks",
                "2",
                "--probe-heads",
                "4",
                "--queries",
                "2",
                "--epochs",
                "10",
                "--batch-size",
                "50",
                "--blr",
                "0.05"));
    assertEquals(0, r.exitCode(), r.err());
    Matcher m =
        Pattern.compile("top-1 (\\d+\\.\\d\\d) top-5 (\\d+\\.\\d\\d)").matcher(r.lastLine());
    assertTrue(m.matches(), r.lastLine());
    double top1 = Double.parseDouble(m.group(1));
    // ten classes: chance is 10%
    assertTrue(top1 > 35, "top-1 " + top1);
    JsonObject metrics =
        JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
    assertEquals(top1, metrics.get("top1").getAsDouble(), 0.006);
    assertEquals(16, metrics.get("tokens").getAsInt());
    assertEquals(48, metrics.get("feature_dim").getAsInt());
    assertEquals(2, metrics.get("last_blocks").getAsInt());
    assertEquals(2, metrics.get("queries").getAsInt());
    assertEquals(200, metrics.get("val_images").getAsInt());
  }

  @Test
  void optionsAtFaultAreOneLineAndWriteNothing(@TempDir Path dir) throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    LinprobeCommandTest.idxPair(dir, "train", src, 0, 20);
    LinprobeCommandTest.idxPair(dir, "t10k", src, 20, 10);
    Path out = dir.resolve("probe");
    CliTestSupport.Result heads = CliTestSupport.run(args(dir, out, "--probe-heads", "5"));
    assertEquals(2, heads.exitCode(), heads.err());
    assertEquals(
        "saim: error: --probe-heads 5 does not divide the encoder's width 48", heads.err().strip());
    CliTestSupport.Result deep = CliTestSupport.run(args(dir, out, "--last-blocks", "3"));
    assertEquals(
        "saim: error: --last-blocks 3 is more than the encoder's 2 blocks", deep.err().strip());
    CliTestSupport.Result queries = CliTestSupport.run(args(dir, out, "--queries", "0"));
    assertEquals(2, queries.exitCode(), queries.err());
    assertEquals("saim: error: --queries (0) must be positive", queries.err().strip());
    assertFalse(Files.exists(out));
  }
}
