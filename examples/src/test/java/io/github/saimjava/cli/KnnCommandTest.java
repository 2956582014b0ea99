package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

class KnnCommandTest {
  /** A knn command line on a random-init tiny encoder, one thread, then {@code tail}. */
  static String[] args(String... tail) {
    return CliTestSupport.args("knn", CliTestSupport.RANDOM_TINY, "--threads", "1", tail);
  }

  @Test
  void classifiesByNeighboursAndEndsWithTheContractLine(@TempDir Path dir) throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    LinprobeCommandTest.idxPair(dir, "train", src, 0, 1000);
    LinprobeCommandTest.idxPair(dir, "t10k", src, 1000, 300);
    Path out = dir.resolve("knn");
    CliTestSupport.Result r =
        CliTestSupport.run(args("--data", dir.toString(), "--k", "10", "--output", out.toString()));
    assertEquals(0, r.exitCode(), r.err());
    Matcher m =
        Pattern.compile("top-1 (\\d+\\.\\d\\d) top-5 (\\d+\\.\\d\\d)").matcher(r.lastLine());
    assertTrue(m.matches(), r.lastLine());
    double top1 = Double.parseDouble(m.group(1));
    // ten classes: chance is 10%; neighbours in random-init ViT features of Fashion-MNIST do far
    // better
    assertTrue(top1 > 40, "top-1 " + top1);
    JsonObject metrics =
        JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
    assertEquals(top1, metrics.get("top1").getAsDouble(), 0.006);
    assertEquals(10, metrics.get("k").getAsInt());
    assertEquals(0.07, metrics.get("temperature").getAsDouble());
    assertEquals(300, metrics.get("val_images").getAsInt());
    assertEquals(1000, metrics.get("train_images").getAsInt());
  }

  @Test
  void aBadSettingIsOneLineBeforeAnyFeatureIsComputed(@TempDir Path dir) {
    CliTestSupport.Result r = CliTestSupport.run(args("--k", "0"));
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().strip().endsWith("k (0) must be positive"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(!r.out().contains("extracting features"), r.out());
  }
}
